package render

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"kotaemon-k8s/internal/config"
	"kotaemon-k8s/invariants"
)

// A change to the agent's configuration changes the pod template, so the pods restart
// with it instead of keeping the old file.
func TestAChangedAgentConfigChangesThePodTemplate(t *testing.T) {
	t.Parallel()
	checksum := func(set map[string]string) string {
		a := deployment(t, mustRender(t, nil, set)).Spec.Template.Annotations["checksum/health-config"]
		require.NotEmpty(t, a, "the pod template carries the agent config's checksum")
		return a
	}
	assert.NotEqual(t, checksum(nil), checksum(map[string]string{"health.logLevel": "debug"}))
}

// The chart's own defaults, the probe timings every environment starts from, are pinned
// here: changing one is a decision, not a side effect of editing values.yaml.
func TestTheChartsDefaultProbeTimingsArePinned(t *testing.T) {
	t.Parallel()
	app := container(t, mustRender(t, nil, nil), "kotaemon")
	// delay, period, timeout, success, failure; startup: ceil(120 x 1.5 / 5) = 36.
	assert.Equal(t, timing{0, 5, 3, 1, 36}, timingOf(app.StartupProbe), "startup")
	assert.Equal(t, timing{0, 10, 5, 1, 3}, timingOf(app.ReadinessProbe), "readiness")
	assert.Equal(t, timing{0, 30, 5, 1, 3}, timingOf(app.LivenessProbe), "liveness")
}

// The app Service selects the Kotaemon pods and nothing else: not the helm test pod,
// which carries the release's labels too.
func TestTheAppServiceSelectsOnlyTheKotaemonPods(t *testing.T) {
	t.Parallel()
	m := mustRender(t, nil, nil)
	podLabels := deployment(t, m).Spec.Template.Labels
	var selector map[string]string
	for _, s := range m.Services {
		if s.Name == "kh-kotaemon" {
			selector = s.Spec.Selector
		}
	}
	require.NotEmpty(t, selector)
	assert.Equal(t, "app", selector["app.kubernetes.io/component"])
	for k, v := range selector {
		assert.Equal(t, v, podLabels[k], "the Service selects %s=%s, which the pods lack", k, v)
	}
	require.Len(t, m.Pods, 1, "the helm test pod")
	matches := true
	for k, v := range selector {
		matches = matches && m.Pods[0].Labels[k] == v
	}
	assert.False(t, matches, "the app Service selects the helm test pod")
}

// Node CIDRs alone (no monitoring peers) still open the health port to the kubelet.
func TestNodeCIDRsAloneReachTheHealthPort(t *testing.T) {
	t.Parallel()
	m := mustRender(t, nil, map[string]string{"networkPolicy.enabled": "true", "networkPolicy.nodeCIDRs[0]": "10.0.0.0/16"})
	found := false
	for _, r := range networkPolicy(t, m, "").Spec.Ingress {
		for _, p := range r.Ports {
			for _, from := range r.From {
				found = found || (p.Port.IntValue() == 8000 && from.IPBlock != nil && from.IPBlock.CIDR == "10.0.0.0/16")
			}
		}
	}
	assert.True(t, found, "no rule admits 10.0.0.0/16 to the health port")
	assert.Empty(t, invariants.Check(m))
}

// Which process the agent runs as, and which app routes it asks, per mode: the
// wrapper supervises the app, the sidecar only serves; readiness asks the sync route,
// liveness the async one, never the other way round.
func TestTheAgentRunsAndAsksWhatItsModeNeeds(t *testing.T) {
	t.Parallel()
	for mode, runner := range map[string]string{"wrapper": "kotaemon", "sidecar": "health-agent"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			m := mustRender(t, nil, map[string]string{"health.mode": mode})
			c := container(t, m, runner)
			verb := map[string]string{"wrapper": "supervise", "sidecar": "serve"}[mode]
			require.GreaterOrEqual(t, len(c.Command), 2)
			assert.Equal(t, verb, c.Command[1], "the agent's command in %s mode", mode)
			cfg, err := config.Parse([]byte(configMap(t, m, "-health").Data["config.yaml"]))
			require.NoError(t, err)
			assert.Equal(t, "/app_id", cfg.App.Ready.Path, "readiness asks the sync route")
			assert.Equal(t, "/startup-events", cfg.App.Live.Path, "liveness asks the async route")
		})
	}
}
