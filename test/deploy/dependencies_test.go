package deploy

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	corev1 "k8s.io/api/core/v1"

	"kotaemon-k8s/standin/dependency"
	"kotaemon-k8s/test/kube"
)

// stillNotReady is a hold condition: the pod stays out of traffic.
func stillNotReady(p *corev1.Pod) (bool, string) {
	return !kube.PodReady(p), "PI-04: Ready again during the fault: " + podSummary(p)
}

// PB-04. Created: the release with fast probes and a critical check on the dependency
// stand-in (as Ollama). Happens: the dependency is down for longer than two liveness
// windows, then up. Must hold: the pod leaves readiness within one readiness failure
// window plus the check's lag; it is never restarted during the outage (liveness never
// looks at a dependency); after the outage it is Ready again within one readiness probe
// plus the check's lag.
func TestPB04_ACriticalDependencyOutageTakesThePodOutOfTrafficWithoutARestart(t *testing.T) {
	t.Parallel()
	for _, mode := range modes {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			r := newRelease(t, "pb04-"+mode)
			deps := r.startDependency()
			r.install(nil, imagesLayer(r.im), standinLayer(mode, 8000), fastProbes, modeLayer(mode), criticalCheckLayer(deps))
			p := r.probes()
			recordWindows(r.tl, p)
			pod := r.onePod()
			r.awaitReady(pod, "with the dependency up", podStart+p.startup.Window()+checkLag())

			downAt := time.Now()
			r.setDependency(deps, dependency.ModeDown, 0)
			outBound := p.readiness.ToFail() + checkLag() + statusSlack
			out := r.awaitNotReady(pod, "during the outage (PI-04: readiness asks every critical check)", outBound)
			t.Logf("not Ready %s after the outage began (bound %s)", out.Sub(downAt).Round(100*time.Millisecond), outBound)
			r.holdWithoutRestart(pod, "PI-03: liveness never consults a dependency", 2*p.liveness.Window(), stillNotReady)

			upAt := time.Now()
			r.setDependency(deps, dependency.ModeUp, 0)
			backBound := p.readiness.ToPass() + checkLag() + statusSlack
			back := r.awaitReady(pod, "after the outage", backBound)
			t.Logf("Ready %s after the dependency came back (bound %s)", back.Sub(upAt).Round(100*time.Millisecond), backBound)
			r.holdWithoutRestart(pod, "PI-03: liveness never consults a dependency", time.Second, nil)
		})
	}
}

// PB-05. Created: the release with fast probes and a critical check on the dependency
// stand-in. Happens: the dependency flaps for flapCycles cycles, each half long enough
// for the chart's promises to play out: down for longer than the check's lag plus
// readiness's time to fail, up for longer than the check's lag plus readiness's time to
// pass. Must hold: readiness follows the dependency, as the check thresholds and the
// readiness probe promise: the pod leaves readiness within (check lag + readiness to
// fail) of every down edge and is Ready again within (check lag + readiness to pass) of
// every up edge, and leaves it no more often than the dependency goes down; the liveness
// probe never fails (it never looks at a dependency) and nothing is restarted.
func TestPB05_AFlappingDependencyNeverRestartsThePodAndBoundsItsReadinessChanges(t *testing.T) {
	t.Parallel()
	for _, mode := range modes {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			r := newRelease(t, "pb05-"+mode)
			deps := r.startDependency()
			r.install(nil, imagesLayer(r.im), standinLayer(mode, 8000), fastProbes, modeLayer(mode), criticalCheckLayer(deps))
			p := r.probes()
			recordWindows(r.tl, p)
			pod := r.onePod()
			r.awaitReady(pod, "with the dependency up", podStart+p.startup.Window()+checkLag())

			toLeave := checkLag() + p.readiness.ToFail() + statusSlack
			toReturn := checkLag() + p.readiness.ToPass() + statusSlack
			half := max(toLeave, toReturn)
			// The flap starts down when the stand-in takes the request: between these two.
			sent := time.Now()
			r.setDependency(deps, dependency.ModeFlap, half)
			taken := time.Now()
			r.holdWithoutRestart(pod, "PI-03: liveness never consults a dependency", 2*flapCycles*half, nil)
			r.setDependency(deps, dependency.ModeUp, 0)

			left := r.tl.Find("pod", "not-ready", pod, sent)
			back := r.tl.Find("pod", "ready", pod, sent)
			for k := range 2 * flapCycles {
				edge := time.Duration(k) * half
				what, entries, bound := "leaves readiness", left, toLeave
				if k%2 == 1 {
					what, entries, bound = "is Ready again", back, toReturn
				}
				at, ok := firstBetween(entries, sent.Add(edge), taken.Add(edge+bound))
				if assert.True(t, ok, "PI-04: the pod never %s within %s of the dependency's edge %d (readiness asks every critical check)", what, bound, k) {
					t.Logf("edge %d: the pod %s %s after it", k, what, at.Sub(taken.Add(edge)).Round(100*time.Millisecond))
				}
			}
			assert.LessOrEqual(t, len(r.tl.Find("pod", "not-ready", pod, sent)), flapCycles, "readiness dropped more often than the dependency went down")
			assert.Empty(t, r.livenessFailures(pod, sent), "PI-03: liveness failed while only a dependency flapped (liveness never consults a dependency)")
			r.awaitReady(pod, "after the flapping", toReturn)
		})
	}
}

// flapCycles is how many down-and-up cycles PB-05's dependency goes through.
const flapCycles = 2

// firstBetween is the first entry in [from, to].
func firstBetween(entries []kube.Entry, from, to time.Time) (time.Time, bool) {
	for _, e := range entries {
		if !e.At.Before(from) && !e.At.After(to) {
			return e.At, true
		}
	}
	return time.Time{}, false
}

// livenessFailures are the kubelet's reports of failed liveness probes of pod since a
// moment (Unhealthy events), whatever container carries the probe.
func (r *release) livenessFailures(pod string, since time.Time) []string {
	var out []string
	for _, e := range r.podEvents("Unhealthy", pod, since) {
		if strings.Contains(e.Detail, "Liveness probe failed") {
			out = append(out, e.Detail)
		}
	}
	return out
}
