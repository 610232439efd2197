package render

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"

	"kotaemon-k8s/internal/config"
	"kotaemon-k8s/invariants"
)

// ssoCommand is Kotaemon's SSO entrypoint as launch.sh runs it, with the bound on
// uvicorn's graceful shutdown the chart adds (docs/kotaemon.md, "SSO mode").
var ssoCommand = []string{"/app/.venv/bin/uvicorn", "sso_app:app", "--host", "0.0.0.0", "--port", "7860", "--timeout-graceful-shutdown", "5"}

// The entrypoint decides what runs and every route that asks it: python app.py answers
// /startup-events and /app_id at the root; the SSO app answers only /login without a
// session, so the agent's routes, sidecar mode's kubelet probes and the helm test move
// there, in every health mode.
func TestTheEntrypointDecidesTheCommandAndEveryRouteThatAsksTheApp(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name       string
		set        map[string]string
		command    []string
		live       string
		ready      string
		ssoEnabled bool
	}{
		{"python app.py", nil, []string{"/app/.venv/bin/python", "app.py"}, "/startup-events", "/app_id", false},
		{"sso", map[string]string{"kotaemon.sso.enabled": "true"}, ssoCommand, "/login", "/login", true},
		{"sso behind a proxy", map[string]string{"kotaemon.sso.enabled": "true", "kotaemon.sso.forwardedAllowIps": "10.0.0.0/8", "kotaemon.port": "7861", "kotaemon.sso.gracefulShutdownSeconds": "9"},
			[]string{"/app/.venv/bin/uvicorn", "sso_app:app", "--host", "0.0.0.0", "--port", "7861", "--timeout-graceful-shutdown", "9", "--forwarded-allow-ips", "10.0.0.0/8"}, "/login", "/login", true},
		{"explicit routes win", map[string]string{"kotaemon.routes.live": "/info", "kotaemon.routes.ready": "/config"}, []string{"/app/.venv/bin/python", "app.py"}, "/info", "/config", false},
	}
	for _, c := range cases {
		for _, mode := range []string{"wrapper", "sidecar", "none"} {
			t.Run(c.name+"/"+mode, func(t *testing.T) {
				t.Parallel()
				set := map[string]string{"health.mode": mode}
				for k, v := range c.set {
					set[k] = v
				}
				m := mustRender(t, nil, set)
				app := container(t, m, "kotaemon")
				command := app.Command
				if mode == "wrapper" {
					i := indexOf(command, "--")
					require.GreaterOrEqual(t, i, 0, "the agent supervises the app after --: %v", command)
					command = command[i+1:]
				}
				assert.Equal(t, c.command, command)

				env := map[string]string{}
				for _, e := range app.Env {
					env[e.Name] = e.Value
				}
				if c.ssoEnabled {
					assert.Equal(t, "true", env["KH_SSO_ENABLED"], "launch.sh's SSO branch sets it")
					assert.Equal(t, "/app", env["GR_FILE_ROOT_PATH"], "Gradio's files are served under its mount")
				} else {
					assert.NotContains(t, env, "KH_SSO_ENABLED")
					assert.NotContains(t, env, "GR_FILE_ROOT_PATH")
				}

				if mode != "none" {
					cfg, err := config.Parse([]byte(configMap(t, m, "-health").Data["config.yaml"]))
					require.NoError(t, err)
					assert.Equal(t, c.live, cfg.App.Live.Path, "the agent's live route")
					assert.Equal(t, c.ready, cfg.App.Ready.Path, "the agent's ready route")
				}
				if mode == "sidecar" {
					// The kubelet asks the app itself for startup and liveness here.
					for name, p := range map[string]*corev1.Probe{"startup": app.StartupProbe, "liveness": app.LivenessProbe} {
						require.NotNil(t, p, name)
						require.NotNil(t, p.HTTPGet, name)
						assert.Equal(t, c.live, p.HTTPGet.Path, "%s probe on the app port", name)
					}
				}
				assert.True(t, strings.HasSuffix(testConnectionURL(t, m), c.ready), "helm test asks the ready route through the Service: %s", testConnectionURL(t, m))
			})
		}
	}
}

// testConnectionURL is the URL the helm test pod asks through the app Service.
func testConnectionURL(t *testing.T, m *invariants.Manifest) string {
	t.Helper()
	for _, p := range m.Pods {
		for _, c := range p.Spec.Containers {
			for _, a := range c.Command {
				if strings.HasPrefix(a, "http://") {
					return a
				}
			}
		}
	}
	t.Fatal("no helm test pod asks the app Service")
	return ""
}

// The command names a file in the image, and where Kotaemon keeps its interpreters moved
// with its versions (Kotaemon's Dockerfile at each tag: pip into the base image's Python
// up to 0.11.1, uv into /app/.venv from 0.11.2; sso_app.py from 0.10.0). One case per
// family and per edge of the table; a user's command always wins.
func TestTheImageVersionDecidesWhichInterpreterRuns(t *testing.T) {
	t.Parallel()
	venv := []string{"/app/.venv/bin/python", "app.py"}
	base := []string{"/usr/local/bin/python", "app.py"}
	cases := []struct {
		name    string
		set     map[string]string
		command []string
	}{
		{"appVersion, no tag", nil, venv},
		{"0.9.0, the oldest known", map[string]string{"image.tag": "0.9.0-lite"}, base},
		{"0.10.7", map[string]string{"image.tag": "0.10.7-full"}, base},
		{"0.11.1, the last on pip", map[string]string{"image.tag": "0.11.1-lite"}, base},
		{"0.11.2, the first on uv", map[string]string{"image.tag": "0.11.2-lite"}, venv},
		{"v-prefixed 0.11.3", map[string]string{"image.tag": "v0.11.3-ollama"}, venv},
		{"a digest keeps appVersion's layout", map[string]string{"image.digest": "sha256:" + strings.Repeat("a", 64)}, venv},
		{"0.11.1 with SSO", map[string]string{"image.tag": "0.11.1-lite", "kotaemon.sso.enabled": "true"}, append([]string{"/usr/local/bin/uvicorn"}, ssoCommand[1:]...)},
		{"0.11.2 with SSO", map[string]string{"image.tag": "0.11.2-lite", "kotaemon.sso.enabled": "true"}, ssoCommand},
		{"an unknown tag with the user's command", map[string]string{"image.tag": "main-lite", "kotaemon.command": "{/opt/py/bin/python,app.py}"}, []string{"/opt/py/bin/python", "app.py"}},
		{"the user's command on a known tag", map[string]string{"image.tag": "0.11.1-lite", "kotaemon.command": "{/app/.venv/bin/python,app.py}"}, venv},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			set := map[string]string{"health.mode": "sidecar"}
			for k, v := range c.set {
				set[k] = v
			}
			app := container(t, mustRender(t, nil, set), "kotaemon")
			assert.Equal(t, c.command, app.Command)
		})
	}
}
