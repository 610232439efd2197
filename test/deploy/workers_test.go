package deploy

import (
	"testing"
	"time"

	"kotaemon-k8s/standin/kotaemon"
)

// PB-06. Created: the release with fast probes. Happens: the app's worker pool is
// exhausted: sync routes (/app_id, the ready route) stall while the event loop (the live
// route) answers. Must hold: the pod leaves readiness within one readiness failure window
// (with the last probe's timeout) and is not restarted while it lasts, for two liveness
// windows; once workers are free it is Ready again within one readiness probe.
func TestPB06_ExhaustedWorkersTakeThePodOutOfTrafficWithoutARestart(t *testing.T) {
	t.Parallel()
	for _, mode := range modes {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			r := newRelease(t, "pb06-"+mode)
			r.install(nil, imagesLayer(r.im), standinLayer(mode, 8000), fastProbes, modeLayer(mode))
			p := r.probes()
			recordWindows(r.tl, p)
			pod := r.onePod()
			r.awaitReady(pod, "before the fault", podStart+p.startup.Window())

			faultAt := r.fault(pod, kotaemon.FaultExhaust, 0)
			notReady := r.awaitNotReady(pod, "with no free worker (PI-04: readiness asks the app's worker check)", p.readiness.ToFail()+statusSlack)
			t.Logf("not Ready %s after the workers were exhausted (bound %s)", notReady.Sub(faultAt).Round(100*time.Millisecond), p.readiness.ToFail()+statusSlack)
			r.holdWithoutRestart(pod, "PI-03: liveness asks the event loop, never the worker pool", 2*p.liveness.Window(), stillNotReady)

			freed := r.fault(pod, kotaemon.FaultNone, 0)
			ready := r.awaitReady(pod, "once workers are free", p.readiness.ToPass()+statusSlack)
			t.Logf("Ready again %s after the workers were freed", ready.Sub(freed).Round(100*time.Millisecond))
			r.holdWithoutRestart(pod, "PI-03: liveness asks the event loop, never the worker pool", time.Second, nil)
		})
	}
}
