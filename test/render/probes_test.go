package render

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"

	"kotaemon-k8s/invariants"
	"kotaemon-k8s/test/chart"
)

// The seed article's configuration renders exactly: readiness /health/ready on 8000 with
// 60/10/5/1/3, liveness /health/live on 8000 with 120/30/5/1/3, and no startup probe.
func TestSeedArticleValuesRenderTheClassicConfigurationExactly(t *testing.T) {
	t.Parallel()
	m := mustRender(t, []string{valuesFile("seed-article.yaml")}, nil)
	app := container(t, m, "kotaemon")
	require.NotNil(t, app.ReadinessProbe)
	require.NotNil(t, app.LivenessProbe)
	assert.Nil(t, app.StartupProbe)

	assert.Equal(t, "/health/ready", app.ReadinessProbe.HTTPGet.Path)
	assert.Equal(t, "/health/live", app.LivenessProbe.HTTPGet.Path)
	for _, p := range []*corev1.Probe{app.ReadinessProbe, app.LivenessProbe} {
		port, ok := invariants.ContainerPort(app, p.HTTPGet.Port)
		require.True(t, ok)
		assert.Equal(t, 8000, port)
	}
	assert.Equal(t, timing{60, 10, 5, 1, 3}, timingOf(app.ReadinessProbe))
	assert.Equal(t, timing{120, 30, 5, 1, 3}, timingOf(app.LivenessProbe))
}

// Every timing value renders exactly as given, zero included: no `| default` turns a
// user's 0 into something else.
func TestProbeTimingsRenderExactlyAsGivenIncludingZero(t *testing.T) {
	t.Parallel()
	set := map[string]string{
		"probes.startup.initialDelaySeconds":   "0",
		"probes.startup.periodSeconds":         "7",
		"probes.startup.timeoutSeconds":        "2",
		"probes.startup.failureThreshold":      "40",
		"probes.readiness.initialDelaySeconds": "0",
		"probes.readiness.periodSeconds":       "9",
		"probes.readiness.timeoutSeconds":      "4",
		"probes.readiness.successThreshold":    "2",
		"probes.readiness.failureThreshold":    "4",
		"probes.liveness.initialDelaySeconds":  "0",
		"probes.liveness.periodSeconds":        "25",
		"probes.liveness.timeoutSeconds":       "6",
		"probes.liveness.failureThreshold":     "5",
	}
	m := mustRender(t, nil, set)
	app := container(t, m, "kotaemon")
	assert.Equal(t, timing{0, 7, 2, 1, 40}, timingOf(app.StartupProbe))
	assert.Equal(t, timing{0, 9, 4, 2, 4}, timingOf(app.ReadinessProbe))
	assert.Equal(t, timing{0, 25, 6, 1, 5}, timingOf(app.LivenessProbe))
	assert.Empty(t, invariants.Check(m))

	// A non-zero delay renders too (the zero above is not a default).
	m = mustRender(t, nil, map[string]string{"probes.readiness.initialDelaySeconds": "13"})
	assert.Equal(t, int32(13), container(t, m, "kotaemon").ReadinessProbe.InitialDelaySeconds)
}

// The startup failureThreshold is derived from the measured P99: ceil((expectedSeconds x
// safetyFactor - initialDelaySeconds) / periodSeconds); an explicit value wins.
func TestStartupFailureThresholdIsDerivedFromTheMeasuredP99(t *testing.T) {
	t.Parallel()
	cases := []struct {
		expected, delay, period int
		factor                  string
		explicit                string
		want                    int32
	}{
		{expected: 100, factor: "1.2", period: 10, want: 12},            // exactly 120 s, no float drift
		{expected: 120, factor: "1.5", period: 5, want: 36},             // the chart default
		{expected: 140, factor: "1.3", period: 10, want: 19},            // 182 s -> rounded up
		{expected: 180, factor: "1.5", delay: 30, period: 10, want: 24}, // delay counts
		{expected: 7, factor: "1.2", delay: 60, period: 10, want: 1},    // never below 1
		{expected: 100, factor: "1.2", period: 10, explicit: "50", want: 50},
	}
	for _, c := range cases {
		name := fmt.Sprintf("P99 %ds x %s, delay %d, period %d, explicit %q", c.expected, c.factor, c.delay, c.period, c.explicit)
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			// A values file, not --set: helm's --set reads 1.2 as a string.
			values := fmt.Sprintf("probes:\n  startup:\n    expectedSeconds: %d\n    safetyFactor: %s\n    initialDelaySeconds: %d\n    periodSeconds: %d\n",
				c.expected, c.factor, c.delay, c.period)
			if c.explicit != "" {
				values += "    failureThreshold: " + c.explicit + "\n"
			}
			file := filepath.Join(t.TempDir(), "startup.yaml")
			require.NoError(t, os.WriteFile(file, []byte(values), 0o644))
			m := mustRender(t, []string{file}, nil)
			s := container(t, m, "kotaemon").StartupProbe
			require.NotNil(t, s)
			assert.Equal(t, c.want, s.FailureThreshold)
			assert.Empty(t, invariants.Check(m))
		})
	}
}

// Where each probe points, by mode: wrapper and none serve every probe on the health port
// of the Kotaemon container; sidecar puts readiness on the agent (a native sidecar) and
// liveness and startup on Kotaemon's own port.
func TestProbesTargetTheRightContainerPortAndPathInEveryMode(t *testing.T) {
	t.Parallel()
	type target struct {
		container string
		port      int
		path      string
	}
	want := map[string]map[string]target{
		"wrapper": {
			"startup":   {"kotaemon", 8000, "/health/live"},
			"readiness": {"kotaemon", 8000, "/health/ready"},
			"liveness":  {"kotaemon", 8000, "/health/live"},
		},
		"none": {
			"startup":   {"kotaemon", 8000, "/health/live"},
			"readiness": {"kotaemon", 8000, "/health/ready"},
			"liveness":  {"kotaemon", 8000, "/health/live"},
		},
		"sidecar": {
			"startup":   {"kotaemon", 7860, "/startup-events"},
			"readiness": {"health-agent", 8000, "/health/ready"},
			"liveness":  {"kotaemon", 7860, "/startup-events"},
		},
	}
	for mode, probes := range want {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			m := mustRender(t, nil, map[string]string{"health.mode": mode})
			for kind, w := range probes {
				c := container(t, m, w.container)
				p := map[string]*corev1.Probe{"startup": c.StartupProbe, "readiness": c.ReadinessProbe, "liveness": c.LivenessProbe}[kind]
				require.NotNil(t, p, "%s probe on %s", kind, w.container)
				port, ok := invariants.ContainerPort(c, p.HTTPGet.Port)
				require.True(t, ok, "%s probe port declared by %s", kind, w.container)
				assert.Equal(t, w.port, port, kind)
				assert.Equal(t, w.path, p.HTTPGet.Path, kind)
			}
			if mode == "sidecar" {
				agent := container(t, m, "health-agent")
				require.NotNil(t, agent.RestartPolicy, "a native sidecar")
				assert.Equal(t, corev1.ContainerRestartPolicyAlways, *agent.RestartPolicy)
				app := container(t, m, "kotaemon")
				assert.Nil(t, app.ReadinessProbe, "readiness sits on the agent only")
			}
		})
	}
}

// Health port and paths are values: a different port and paths move every probe, the
// container port and the agent's listen address together.
func TestHealthPortAndPathsAreValues(t *testing.T) {
	t.Parallel()
	m := mustRender(t, nil, map[string]string{
		"health.port": "9100", "health.paths.ready": "/ready", "health.paths.live": "/alive",
	})
	app := container(t, m, "kotaemon")
	for _, p := range []*corev1.Probe{app.StartupProbe, app.ReadinessProbe, app.LivenessProbe} {
		port, ok := invariants.ContainerPort(app, p.HTTPGet.Port)
		require.True(t, ok)
		assert.Equal(t, 9100, port)
	}
	assert.Equal(t, "/ready", app.ReadinessProbe.HTTPGet.Path)
	assert.Equal(t, "/alive", app.LivenessProbe.HTTPGet.Path)
	cfg := configMap(t, m, "-health").Data["config.yaml"]
	assert.Contains(t, cfg, `listen: ":9100"`)
	assert.Contains(t, cfg, `live: "/alive"`)
	assert.Empty(t, invariants.Check(m))
}

// A custom probe replaces the rendered one whole, and the guards still hold it to the rules.
func TestACustomProbeReplacesTheRenderedOneAndIsStillGuarded(t *testing.T) {
	t.Parallel()
	m := mustRender(t, nil, map[string]string{
		"probes.liveness.custom.tcpSocket.port": "health",
		"probes.liveness.custom.periodSeconds":  "40",
		"probes.liveness.custom.timeoutSeconds": "5",
	})
	l := container(t, m, "kotaemon").LivenessProbe
	require.NotNil(t, l.TCPSocket)
	assert.Nil(t, l.HTTPGet)
	assert.Equal(t, int32(40), l.PeriodSeconds)
	assert.Equal(t, int32(3), l.FailureThreshold, "the API default fills what the custom probe leaves out")

	_, err := render(t, nil, map[string]string{
		"probes.readiness.custom.httpGet.path":   "/health/ready",
		"probes.readiness.custom.httpGet.port":   "health",
		"probes.readiness.custom.timeoutSeconds": "1",
	})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "PI-06")
	assert.Contains(t, err.Error(), "probes.readiness.timeoutSeconds")
}

// Diagnostic mode disables every probe and keeps the container alive without Kotaemon;
// the invariants report exactly the missing probes (PI-01), nothing else.
func TestDiagnosticModeDisablesProbesAndKeepsTheContainerAlive(t *testing.T) {
	t.Parallel()
	m := mustRender(t, nil, map[string]string{"diagnosticMode.enabled": "true"})
	app := container(t, m, "kotaemon")
	assert.Nil(t, app.StartupProbe)
	assert.Nil(t, app.ReadinessProbe)
	assert.Nil(t, app.LivenessProbe)
	assert.Equal(t, []string{"sleep"}, app.Command)
	assert.Equal(t, []string{"infinity"}, app.Args)
	got := ids(invariants.Check(m))
	assert.Equal(t, []string{"PI-01", "PI-01"}, got, "no readiness and no liveness probe, and only that")
}

// The agent's timeouts inside a probe request are derived below the probes' timeouts
// (PI-09): the shortest probe timeout minus half a second for live, readiness's for ready.
func TestAgentTimeoutsAreDerivedBelowTheProbeTimeouts(t *testing.T) {
	t.Parallel()
	cfg := configMap(t, mustRender(t, nil, nil), "-health").Data["config.yaml"]
	assert.Contains(t, cfg, "timeout: 2500ms", "live: startup timeoutSeconds 3 is the shortest")
	assert.Contains(t, cfg, "timeout: 4500ms", "ready: readiness timeoutSeconds 5")

	cfg = configMap(t, mustRender(t, nil, map[string]string{"health.app.liveTimeoutMs": "1200", "health.app.readyTimeoutMs": "900"}), "-health").Data["config.yaml"]
	assert.Contains(t, cfg, "timeout: 1200ms")
	assert.Contains(t, cfg, "timeout: 900ms")
}

// A probe-level grace period reaches the probes that may carry it, liveness and startup,
// each with its own value, and never a readiness probe (the API refuses it there), in
// every mode, whichever container carries each probe. A template that copies liveness's
// value onto every probe fails here.
func TestAProbeLevelGracePeriodRendersOnLivenessAndStartupOnly(t *testing.T) {
	t.Parallel()
	for _, mode := range chart.Modes {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			m := mustRender(t, nil, map[string]string{
				"health.mode": mode,
				"probes.liveness.terminationGracePeriodSeconds": "9",
				"probes.startup.terminationGracePeriodSeconds":  "7",
			})
			spec := deployment(t, m).Spec.Template.Spec
			grace := map[string][]int64{}
			for _, c := range append(spec.InitContainers, spec.Containers...) {
				for kind, p := range map[string]*corev1.Probe{"liveness": c.LivenessProbe, "startup": c.StartupProbe, "readiness": c.ReadinessProbe} {
					if p == nil {
						continue
					}
					g := int64(-1) // rendered without a grace period
					if p.TerminationGracePeriodSeconds != nil {
						g = *p.TerminationGracePeriodSeconds
					}
					grace[kind] = append(grace[kind], g)
				}
			}
			assert.Equal(t, []int64{9}, grace["liveness"], "liveness's own grace period, once")
			assert.Equal(t, []int64{7}, grace["startup"], "startup's own grace period, once")
			assert.Equal(t, []int64{-1}, grace["readiness"], "PI-14: a readiness probe never carries a grace period")
		})
	}
}
