package deploy

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"

	"kotaemon-k8s/invariants"
	"kotaemon-k8s/test/kube"
)

// modes are the health modes the behaviour scenarios run in: the agent in the Kotaemon
// container (probes on the agent) and beside it (liveness and startup on the app).
var modes = []string{"wrapper", "sidecar"}

// serviceName is the release's app Service.
const serviceName = releaseName + "-kotaemon"

// promisedStart is the slowest start-up the chart promises never to kill (PI-05): the
// expected start-up of the values (fastProbes) x 1.2, the floor of the safety factor.
func promisedStart() time.Duration {
	expected := fastProbes["probes"].(map[string]any)["startup"].(map[string]any)["expectedSeconds"].(float64) // JSON's number
	return time.Duration(expected * float64(time.Second) * invariants.StartupCoverPermille / 1000)
}

// PB-01. Created: the release with fast probes; the stand-in keeps its port closed for
// promisedStart, the slowest start-up the chart promises to cover. Happens: the port
// opens. Must hold: the rendered startup budget leaves that start-up one startup period
// before its earliest failure; the pod is neither Ready nor a ready endpoint of the
// Service before the app answers; it is Ready within one startup and one readiness probe
// (period and timeout each) of the moment the app bound its port (the stand-in's own
// record); no restart.
func TestPB01_ASlowStartIsNeitherRestartedNorServedBeforeTheAppAnswers(t *testing.T) {
	t.Parallel()
	for _, mode := range modes {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			slowStart := promisedStart()
			r := newRelease(t, "pb01-"+mode)
			r.install(nil, imagesLayer(r.im), standinLayer(mode, 8000, "--startup="+slowStart.String()), fastProbes, modeLayer(mode))
			p := r.probes()
			recordWindows(r.tl, p)
			// Not fatal: a budget that breaks the promise must also be seen to kill.
			assert.LessOrEqual(t, slowStart, p.startup.EarliestFailure()-p.startup.Period(),
				"PI-05: the startup budget (earliest failure %s after the first probe) does not leave a start-up of expected x 1.2 (%s) one period", p.startup.EarliestFailure(), slowStart)
			pod := r.onePod()

			var bound time.Time
			kube.Await(t, "the stand-in opens its app port", podStart+slowStart, func(ctx context.Context) (bool, string) {
				// Pod and endpoints are read before the stand-in: if it has not bound yet,
				// what they showed was shown before it answered.
				p, why := r.pod(ctx, pod)
				if p == nil {
					return false, why
				}
				eps, err := kube.EndpointReadiness(ctx, r.c.Client, r.ns, serviceName)
				if err != nil {
					return false, err.Error()
				}
				st, onTestClock, err := r.stateOnTestClock(ctx, pod)
				if err != nil {
					return false, err.Error()
				}
				if st.BoundAt != nil {
					bound = onTestClock(*st.BoundAt)
					r.tl.Mark("app-bound", st.BoundAt.UTC().Format(time.RFC3339Nano))
					return true, ""
				}
				require.False(t, kube.PodReady(p), "PB-01: the pod is Ready before the app answers: %s", podSummary(p))
				for addr, ready := range eps {
					require.False(t, ready, "PB-01: endpoint %s is ready before the app answers", addr)
				}
				return false, "port still closed"
			})
			bound2ready := p.startup.ToPass() + p.readiness.ToPass() + statusSlack
			ready := r.awaitReady(pod, "after the app answers", bound2ready-time.Since(bound))
			t.Logf("Ready %s after the app answered (bound %s)", ready.Sub(bound).Round(100*time.Millisecond), bound2ready)

			got, why := r.pod(context.Background(), pod)
			require.NotNil(t, got, why)
			assert.Zero(t, kube.Restarts(got), "PI-05: restarts during a start-up the budget promises to cover (%s)", slowStart)
			assert.Empty(t, r.tl.Find("event", "Killing", "", time.Time{}), "PI-05: the kubelet decided to kill a start-up the budget promises to cover")
		})
	}
}

// PB-02. Created: the release with fast probes; the stand-in never opens its port.
// Happens: every startup probe fails. Must hold: the startup probe, not another, makes
// the kubelet kill the container (its Killing event names it), no sooner than the probes
// could have failed failureThreshold times and within the startup budget plus one period
// and startupKillSlack of the container's start; the container is restarted; the pod is
// never Ready.
func TestPB02_AStartThatNeverCompletesIsRestartedAfterTheStartupBudget(t *testing.T) {
	t.Parallel()
	for _, mode := range modes {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			r := newRelease(t, "pb02-"+mode)
			r.install(nil, imagesLayer(r.im), standinLayer(mode, 8000, "--never-start"), fastProbes, modeLayer(mode))
			p := r.probes()
			recordWindows(r.tl, p)
			pod := r.onePod()

			neverReady := func(p *corev1.Pod) {
				require.False(t, kube.PodReady(p), "a pod whose app never answers is Ready: %s", podSummary(p))
			}
			kube.Await(t, "the Kotaemon container runs", podStart, func(ctx context.Context) (bool, string) {
				p, why := r.pod(ctx, pod)
				if p == nil {
					return false, why
				}
				neverReady(p)
				return containerRunning(p, "kotaemon"), podSummary(p)
			})
			budget := p.startup.Window()
			// The earliest, on the runtime's own clock (whole seconds): failureThreshold
			// failures need (failureThreshold - 1) periods after the first probe.
			earliest := p.startup.EarliestFailure() - time.Second
			latestKill := budget + p.startup.Period() + startupKillSlack
			var term *corev1.ContainerStateTerminated
			kube.Await(t, "the container is restarted", latestKill+p.grace+restartSlack+statusSlack, func(ctx context.Context) (bool, string) {
				p, why := r.pod(ctx, pod)
				if p == nil {
					return false, why
				}
				neverReady(p)
				if term = lastTermination(p, "kotaemon"); term != nil {
					return true, ""
				}
				return false, podSummary(p)
			})
			kills := r.podEvents("Killing", pod, time.Time{})
			require.NotEmpty(t, kills, "PI-05: the kubelet never decided to kill a container that never started (no Killing event)")
			assert.Contains(t, kills[0].Detail, "failed startup probe", "PI-05: the kill came from the startup probe")
			killedAfter := kills[0].At.Sub(term.StartedAt.Time)
			t.Logf("the startup probe's kill was decided %s after the container started (startup budget %s, bounds %s..%s): %s",
				killedAfter.Round(100*time.Millisecond), budget, earliest, latestKill, kills[0].Detail)
			assert.GreaterOrEqual(t, killedAfter, earliest, "killed before the startup probe could fail %d times", p.startup.FailureThreshold)
			assert.LessOrEqual(t, killedAfter, latestKill, "PI-05: the kill came later than the startup budget + one period + %s", startupKillSlack)
			assert.Empty(t, r.tl.Find("pod", "ready", pod, time.Time{}), "the pod was Ready at some point")
		})
	}
}

// startupKillSlack covers the kubelet's acting on the last failed startup probe (the
// probe's own timeout included) and the event reaching the test's watch.
const startupKillSlack = 5 * time.Second

// lastTermination is how the named container of p last ended, once it was restarted.
func lastTermination(p *corev1.Pod, name string) *corev1.ContainerStateTerminated {
	for _, s := range p.Status.ContainerStatuses {
		if s.Name == name && s.RestartCount >= 1 {
			return s.LastTerminationState.Terminated
		}
	}
	return nil
}

// containerRunning reports whether the named container of p is running.
func containerRunning(p *corev1.Pod, name string) bool {
	for _, s := range p.Status.ContainerStatuses {
		if s.Name == name {
			return s.State.Running != nil
		}
	}
	return false
}
