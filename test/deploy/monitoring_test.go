package deploy

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"kotaemon-k8s/invariants"
)

// monitoringOn turns on every monitoring object, with protected metrics, so the scrape
// carries credentials.
var monitoringOn = parseLayer(`
metrics:
  enabled: true
  serviceMonitor: {enabled: true}
  prometheusRule: {enabled: true}
  dashboard: {enabled: true}
health:
  auth: {mode: token, protectMetrics: true}
`)

// The monitoring objects meet the real API server. Created: prometheus-operator's
// ServiceMonitor and PrometheusRule CRDs (the real ones, at the pinned version), and the
// release with every monitoring object on. Must hold: the install succeeds (the API
// server and the CRDs' schemas accept every object), the objects are stored as
// rendered (the scrape authenticated with the agent's token, every alert there, the
// dashboard labelled for Grafana's sidecar), the pod becomes Ready, and the stored
// release holds every invariant.
func TestTheMonitoringObjectsAreAcceptedByTheAPIServer(t *testing.T) {
	t.Parallel()
	for _, mode := range modes {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			r := newRelease(t, "monitoring-"+mode)
			r.c.EnsureMonitoringCRDs(t)
			r.install(nil, imagesLayer(r.im), standinLayer(mode, 8000), fastProbes, modeLayer(mode), monitoringOn)
			p := r.probes()
			r.awaitReady(r.onePod(), "with monitoring on", podStart+p.startup.Window())

			live := r.liveManifest()
			byKind := map[string]map[string]any{}
			for _, u := range live.Custom {
				byKind[u.GetKind()] = u.Object
			}
			require.Contains(t, byKind, "ServiceMonitor")
			require.Contains(t, byKind, "PrometheusRule")
			ep := byKind["ServiceMonitor"]["spec"].(map[string]any)["endpoints"].([]any)[0].(map[string]any)
			creds := ep["authorization"].(map[string]any)["credentials"].(map[string]any)
			assert.Equal(t, releaseName+"-kotaemon-health-auth", creds["name"], "the scrape sends the agent's token")
			var alerts int
			for _, g := range byKind["PrometheusRule"]["spec"].(map[string]any)["groups"].([]any) {
				alerts += len(g.(map[string]any)["rules"].([]any))
			}
			assert.Equal(t, 8, alerts, "every alert the chart renders (test/render: TestEveryAlertFiresForItsScenarioAndOnlyForIt)")
			var dashboard bool
			for _, cm := range live.ConfigMaps {
				if cm.Name == releaseName+"-kotaemon-dashboard" {
					dashboard = cm.Labels["grafana_dashboard"] == "1" && len(cm.Data["kotaemon.json"]) > 1000
				}
			}
			assert.True(t, dashboard, "the dashboard ConfigMap, labelled for Grafana's sidecar")
			assert.Empty(t, invariants.Check(live))
		})
	}
}
