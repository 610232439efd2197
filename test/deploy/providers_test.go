package deploy

import (
	"testing"
	"time"

	"kotaemon-k8s/standin/dependency"
)

// A model provider configured by values (kotaemon.providers.ollama), with egress
// restricted: the dependency stand-in plays the Ollama server with both models pulled.
// The checks and the egress rule the chart derives from the provider's URL must work
// together: the pod becomes Ready only if the NetworkPolicy lets the checks through (a
// rule missing for the provider's port keeps it out of traffic), it leaves readiness when
// the server stops answering (the checks are critical) without a restart, and comes back.
func TestTheOllamaProviderReachesItsServerThroughItsOwnEgressRuleAndGatesReadiness(t *testing.T) {
	t.Parallel()
	r := newRelease(t, "provider")
	d := r.startDependency("qwen2.5:7b", "nomic-embed-text")
	policy := layer{"networkPolicy": map[string]any{"enabled": true, "egress": map[string]any{"enabled": true, "withoutInternet": true}}}
	layers := []layer{imagesLayer(r.im), standinLayer("wrapper", 8000), fastProbes, policy, {
		"kotaemon": map[string]any{"providers": map[string]any{"ollama": map[string]any{
			"enabled": true, "url": d.url, "chatModel": "qwen2.5:7b", "embeddingsModel": "nomic-embed-text",
			"check": map[string]any{"intervalSeconds": checkIntervalSeconds, "timeoutSeconds": checkTimeoutSeconds},
		}}},
	}}
	if r.c.Embedded {
		layers = append(layers, embeddedDNSPeer(t, policy))
	}
	r.install(nil, layers...)
	p := r.probes()
	recordWindows(r.tl, p)
	pod := r.onePod()
	// kube-router applies the policy to a new pod within policySync; until then the checks
	// may fail, so the bound counts it.
	r.awaitReady(pod, "with the provider's server reachable through the policy", podStart+p.startup.Window()+policySync+checkLag())

	r.setDependency(d, dependency.ModeDown, 0)
	outBound := checkLag() + p.readiness.ToFail() + statusSlack
	out := r.awaitNotReady(pod, "while the provider's server is down (its checks are critical)", outBound)
	t.Logf("not Ready %s after the provider's server went down (bound %s)", out.Sub(r.tl.Find("test", "dependency-down", "", time.Time{})[0].At).Round(100*time.Millisecond), outBound)
	r.holdWithoutRestart(pod, "PI-03: liveness never asks a provider", p.liveness.Window(), stillNotReady)

	r.setDependency(d, dependency.ModeUp, 0)
	r.awaitReady(pod, "once the provider's server answers again", checkLag()+p.readiness.ToPass()+statusSlack)
}
