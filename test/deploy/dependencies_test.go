package deploy

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	corev1 "k8s.io/api/core/v1"

	"kotaemon-k8s/standin/dependency"
	"kotaemon-k8s/test/kube"
)

// stillNotReady is a hold condition: the pod stays out of traffic.
func stillNotReady(p *corev1.Pod) (bool, string) {
	return !kube.PodReady(p), "Ready again during the fault: " + podSummary(p)
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
			p := probesOf(r.deployment())
			recordWindows(r.tl, p)
			pod := r.onePod()
			r.awaitReady(pod, "with the dependency up", podStart+p.startup.Window()+checkLag())

			downAt := time.Now()
			r.setDependency(deps, dependency.ModeDown, 0)
			outBound := p.readiness.ToFail() + checkLag() + statusSlack
			out := r.awaitNotReady(pod, "during the outage", outBound)
			t.Logf("not Ready %s after the outage began (bound %s)", out.Sub(downAt).Round(100*time.Millisecond), outBound)
			r.holdWithoutRestart(pod, 2*p.liveness.Window(), stillNotReady)

			upAt := time.Now()
			r.setDependency(deps, dependency.ModeUp, 0)
			backBound := p.readiness.ToPass() + checkLag() + statusSlack
			back := r.awaitReady(pod, "after the outage", backBound)
			t.Logf("Ready %s after the dependency came back (bound %s)", back.Sub(upAt).Round(100*time.Millisecond), backBound)
			r.holdWithoutRestart(pod, time.Second, nil)
		})
	}
}

// PB-05. Created: the release with fast probes and a critical check on the dependency
// stand-in. Happens: the dependency flaps, down and up for half a readiness window each,
// for three liveness windows. Must hold: no restart, and at most one NotReady transition
// per readiness failure window (period x failureThreshold) of flapping, plus one.
func TestPB05_AFlappingDependencyNeverRestartsThePodAndBoundsItsReadinessChanges(t *testing.T) {
	t.Parallel()
	for _, mode := range modes {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			r := newRelease(t, "pb05-"+mode)
			deps := r.startDependency()
			r.install(nil, imagesLayer(r.im), standinLayer(mode, 8000), fastProbes, modeLayer(mode), criticalCheckLayer(deps))
			p := probesOf(r.deployment())
			recordWindows(r.tl, p)
			pod := r.onePod()
			r.awaitReady(pod, "with the dependency up", podStart+p.startup.Window()+checkLag())

			readinessWindow := p.readiness.FailureWindow()
			flapping := 3 * p.liveness.Window()
			start := time.Now()
			r.setDependency(deps, dependency.ModeFlap, readinessWindow/2)
			r.holdWithoutRestart(pod, flapping, nil)
			r.setDependency(deps, dependency.ModeUp, 0)

			drops := len(r.tl.Find("pod", "not-ready", pod, start))
			limit := int(flapping/readinessWindow) + 1
			t.Logf("%d NotReady transitions in %s of flapping (limit %d)", drops, flapping, limit)
			assert.LessOrEqual(t, drops, limit, "readiness changed more often than its failure window allows")
			r.awaitReady(pod, "after the flapping", p.readiness.ToPass()+checkLag()+statusSlack)
		})
	}
}
