package deploy

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"kotaemon-k8s/standin/kotaemon"
	"kotaemon-k8s/test/kube"
)

// PB-03. Created: the release with fast probes and the chart's default persistence (a
// claim of the cluster's default StorageClass); the stand-in marks the data volume at
// start. Happens: the app deadlocks (every HTTP request hangs, the process lives).
// Must hold: the liveness probe (its Killing event names it) makes the kubelet decide to
// restart within one liveness failure window (with the last probe's timeout); the
// container is restarted and Ready again; the new process finds the marker the old one
// left. Then the pod is replaced (deleted; its successor mounts the same claim): the
// next pod's process finds the marker too, so the data outlives the pod, not only the
// container (a pod volume would keep it across a restart as well).
func TestPB03_ADeadlockedAppIsRestartedWithinTheLivenessWindowAndKeepsItsData(t *testing.T) {
	t.Parallel()
	for _, mode := range modes {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			r := newRelease(t, "pb03-"+mode)
			r.install(nil, imagesLayer(r.im), standinLayer(mode, 8000), fastProbes, modeLayer(mode))
			p := r.probes()
			recordWindows(r.tl, p)
			pod := r.onePod()
			r.awaitReady(pod, "before the fault", podStart+p.startup.Window())
			before := r.mustState(pod)

			faultAt := r.fault(pod, kotaemon.FaultDeadlock, 0)
			decide := p.liveness.ToFail() + statusSlack
			kube.Await(t, "PB-03: the kubelet decides to restart the deadlocked container", decide, func(context.Context) (bool, string) {
				return len(r.podEvents("Killing", pod, faultAt)) > 0, "no Killing event yet"
			})
			killing := r.podEvents("Killing", pod, faultAt)[0]
			assert.Contains(t, killing.Detail, "failed liveness probe", "PI-01: the liveness probe restarts a deadlocked app")
			t.Logf("restart decided %s after the deadlock (liveness fails within %s): %s",
				killing.At.Sub(faultAt).Round(100*time.Millisecond), p.liveness.ToFail(), killing.Detail)
			kube.Await(t, "the container is restarted", p.grace+restartSlack+statusSlack, func(ctx context.Context) (bool, string) {
				got, why := r.pod(ctx, pod)
				if got == nil {
					return false, why
				}
				return kube.ContainerRestarts(got, "kotaemon") >= 1, podSummary(got)
			})
			r.awaitReady(pod, "again after the restart", p.startup.Window()+p.readiness.ToPass()+statusSlack)

			after := r.mustState(pod)
			assert.NotEqual(t, before.AppID, after.AppID, "a new process answers after the restart")
			assert.True(t, after.MarkerFound, "PB-03: the new process finds the marker the old one wrote on the data volume")
			assert.Equal(t, before.Starts+1, after.Starts, "starts counted on the data volume")
			assert.Empty(t, after.MarkerError)

			r.deletePod(pod)
			next := r.onePod()
			r.awaitReady(next, "after the pod was replaced", podStart+p.grace+p.startup.Window()+p.readiness.ToPass()+statusSlack)
			replaced := r.mustState(next)
			assert.True(t, replaced.MarkerFound, "PB-03: the next pod finds the marker the last one wrote: the data outlives the pod (a claim, not a pod volume)")
			assert.Equal(t, before.Starts+2, replaced.Starts, "PB-03: starts counted on the claim across pods")
		})
	}
}

// deletePod deletes a pod of the release (its ReplicaSet makes the next one) and marks
// it on the timeline.
func (r *release) deletePod(pod string) {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	require.NoError(r.t, r.c.Client.CoreV1().Pods(r.ns).Delete(ctx, pod, metav1.DeleteOptions{}))
	r.tl.Mark("pod-deleted", pod)
}

// mustState reads the stand-in's state in pod, failing the test when it cannot.
func (r *release) mustState(pod string) kotaemon.State {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	st, err := r.state(ctx, pod)
	require.NoError(r.t, err)
	return st
}
