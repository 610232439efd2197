package deploy

import (
	"context"
	"fmt"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"kotaemon-k8s/test/kube"
)

// clientVerdicts awaits each client's last lines to start with its expected verdict
// ("OK 200" or "ERR"), reporting every client's lines when they do not.
func (r *release) clientVerdicts(want map[string]string, lines int) func(context.Context) (bool, string) {
	return func(ctx context.Context) (bool, string) {
		ok := true
		var seen []string
		for client, verdict := range want {
			got, err := kube.LastLogLines(ctx, r.c.Client, r.ns, client, "", int64(lines))
			if err != nil {
				return false, err.Error()
			}
			ok = ok && kube.AllPrefixed(got, lines, verdict)
			seen = append(seen, fmt.Sprintf("%s (want %s): %q", client, verdict, got))
		}
		return ok, strings.Join(seen, "; ")
	}
}

// PB-08. Created: the release with the NetworkPolicy on (app peers: role=app-client;
// monitoring peers: role=monitoring), and looping clients with keep-alive off: an app
// client and a monitoring client, each asking the port it is admitted to and the one it
// is not, and an unlisted client asking both. Happens: kube-router enforces the policy.
// Must hold: only the admitted pairs get answers; the kubelet's probes keep passing
// (Ready, no restart) for three liveness windows. A cluster whose CNI enforces no policy
// skips this (the embedded cluster must enforce it).
func TestPB08_TheNetworkPolicyAdmitsOnlyItsPeersWhileKubeletProbesPass(t *testing.T) {
	t.Parallel()
	for _, mode := range modes {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			r := newRelease(t, "pb08-"+mode)
			policy := parseLayer(`
networkPolicy:
  enabled: true
  appPeers:
    - podSelector: {matchLabels: {role: app-client}}
  monitoringPeers:
    - podSelector: {matchLabels: {role: monitoring}}
`)
			r.install(nil, imagesLayer(r.im), standinLayer(mode, 8000), fastProbes, modeLayer(mode), policy)
			p := r.probes()
			recordWindows(r.tl, p)
			pod := r.onePod()
			r.awaitReady(pod, "with the policy on", podStart+p.startup.Window())
			got, why := r.pod(context.Background(), pod)
			if got == nil {
				t.Fatal(why)
			}
			app, health := serviceURL("/"), fmt.Sprintf("http://%s:8000/health/live", got.Status.PodIP)
			clients := []struct{ name, role, url, verdict string }{
				{"app-to-app", "app-client", app, "OK 200"},
				{"app-to-health", "app-client", health, "ERR"},
				{"monitoring-to-health", "monitoring", health, "OK 200"},
				{"monitoring-to-app", "monitoring", app, "ERR"},
				{"other-to-app", "other", app, "ERR"},
				{"other-to-health", "other", health, "ERR"},
			}
			want := map[string]string{}
			for _, c := range clients {
				r.createPod(kube.ClientPod(c.name, r.im.standin, map[string]string{"role": c.role}, c.url))
				want[c.name] = c.verdict
			}
			if err := kube.AwaitE("PI-12: every client gets its verdict", podStart+policySync, r.clientVerdicts(want, 3)); err != nil {
				if !r.c.Embedded && r.admittedAll(clients) {
					t.Skip("this cluster's CNI does not enforce NetworkPolicy: every client got through")
				}
				t.Fatal(err)
			}
			r.holdWithoutRestart(pod, "PI-12: the policy admits the kubelet's probes", 3*p.liveness.Window(), func(p *corev1.Pod) (bool, string) {
				return kube.PodReady(p), "lost readiness under the policy: " + podSummary(p)
			})
			kube.Await(t, "PI-12: the verdicts still hold after the hold", statusSlack, r.clientVerdicts(want, 3))
		})
	}
}

// admittedAll reports whether every client, denied ones included, got answers.
func (r *release) admittedAll(clients []struct{ name, role, url, verdict string }) bool {
	for _, c := range clients {
		lines, err := kube.LastLogLines(context.Background(), r.c.Client, r.ns, c.name, "", 3)
		if err != nil || !kube.AllPrefixed(lines, 3, "OK 200") {
			return false
		}
	}
	return true
}
