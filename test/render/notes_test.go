package render

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"kotaemon-k8s/test/chart"
)

func notes(t *testing.T, files []string, set map[string]string) string {
	t.Helper()
	r, err := chart.NewRenderer()
	require.NoError(t, err)
	out, err := r.Notes(files, set)
	require.NoError(t, err)
	return out
}

// NOTES say what was rendered: the effective image, where each probe points in this
// mode, which probes are off, and the start-up budget.
func TestNotesDescribeTheRenderedProbesOfEachMode(t *testing.T) {
	t.Parallel()
	cases := []struct {
		mode string
		want []string
	}{
		{"wrapper", []string{"startup    GET /health/live on port health", "readiness  GET /health/ready on port health", "liveness   GET /health/live on port health", "the agent's state changes"}},
		{"sidecar", []string{"startup    GET /startup-events on port http", "readiness  GET /health/ready on port health", "liveness   GET /startup-events on port http"}},
		{"none", []string{"served by the image itself", "liveness   GET /health/live on port health"}},
	}
	for _, c := range cases {
		t.Run(c.mode, func(t *testing.T) {
			t.Parallel()
			out := notes(t, []string{valuesFile("prod.yaml")}, map[string]string{"health.mode": c.mode})
			for _, w := range c.want {
				assert.Contains(t, out, w)
			}
			assert.Contains(t, out, "start-up budget: 270s for an expected start-up (P99) of 180s")
			assert.Contains(t, out, "(ghcr.io/cinnamon/kotaemon:0.11.3-lite)")
		})
	}
}

func TestNotesSayAProbeIsOffAndNameTheImageTagThatWasSet(t *testing.T) {
	t.Parallel()
	out := notes(t, []string{valuesFile("seed-article.yaml")}, map[string]string{"image.tag": "0.11.0-full"})
	assert.Contains(t, out, "startup    off")
	assert.NotContains(t, out, "start-up budget")
	assert.Contains(t, out, "(ghcr.io/cinnamon/kotaemon:0.11.0-full)")
}

// NOTES say where the UI is through an HTTPRoute, and how sessions stay on one replica.
func TestNotesNameTheRouteAndTheSessionAffinity(t *testing.T) {
	t.Parallel()
	out := notes(t, []string{valuesFile("ha.yaml")}, nil)
	assert.Contains(t, out, "https://kotaemon.example.com/   (HTTPRoute on gateway-system/public;")
	assert.Contains(t, out, "2 replicas: a session stays on one (Service ClientIP affinity; turn on your Gateway's session persistence for the route)")
	assert.NotContains(t, out, "port-forward")

	out = notes(t, nil, map[string]string{"httpRoute.enabled": "true", "httpRoute.parentRefs[0].name": "gw"})
	assert.Contains(t, out, "through the Gateway default/gw (the route names no host)")
	assert.NotContains(t, out, "replicas: a session")
}

// NOTES say how to log in on every path to the UI, and what the admin Secret can and
// cannot change: Kotaemon creates its admin once (docs/kotaemon.md, "Admin login").
func TestNotesSayHowToLogInWhateverOpensTheUI(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		files []string
		set   map[string]string
		want  []string
	}{
		{"defaults", nil, nil, []string{"as admin/admin, Kotaemon's default", "kotaemon.admin.existingSecret before the first start"}},
		{"through an HTTPRoute", []string{valuesFile("ha.yaml")}, nil, []string{"as admin/admin, Kotaemon's default"}},
		{"admin from a Secret", nil, map[string]string{"kotaemon.admin.existingSecret": "kotaemon-admin"}, []string{"as the user of Secret kotaemon-admin (keys username, password)", "counts once"}},
		{"SSO", nil, map[string]string{"kotaemon.sso.enabled": "true"}, []string{"through your OAuth provider"}},
		{"user management off", nil, map[string]string{"kotaemon.env.KH_FEATURE_USER_MANAGEMENT": "False"}, []string{"no login"}},
		{"user management set empty (decouple reads it as false)", nil, map[string]string{"kotaemon.env.KH_FEATURE_USER_MANAGEMENT": ""}, []string{"no login"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			out := notes(t, c.files, c.set)
			for _, w := range c.want {
				assert.Contains(t, out, w)
			}
		})
	}
}

// NOTES name the models Kotaemon is given and say that they seed its database once
// (docs/kotaemon.md, "Providers"), or that without a provider Gemini is the default.
func TestNotesNameTheModelProvidersAndThatTheySeedOnce(t *testing.T) {
	t.Parallel()
	ollama := map[string]string{"kotaemon.providers.ollama.enabled": "true", "kotaemon.providers.ollama.url": "http://ollama.ai.svc:11434"}
	cases := []struct {
		name string
		set  map[string]string
		want []string
	}{
		{"none", nil, []string{"no kotaemon.providers", "Gemini"}},
		{"ollama", ollama, []string{"ollama: http://ollama.ai.svc:11434 (qwen2.5:7b, nomic-embed-text), the default", "pull both models", "first start"}},
		{"azure", map[string]string{
			"kotaemon.providers.azureOpenAI.enabled": "true", "kotaemon.providers.azureOpenAI.endpoint": "https://acme.openai.azure.com/",
			"kotaemon.providers.azureOpenAI.existingSecret": "az", "kotaemon.providers.azureOpenAI.embeddingsDeployment": "embed-3",
		}, []string{"azure: https://acme.openai.azure.com/ (deployments: embed-3), not default"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			out := notes(t, nil, c.set)
			for _, w := range c.want {
				assert.Contains(t, out, w)
			}
		})
	}
}
