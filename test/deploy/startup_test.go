package deploy

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"

	"kotaemon-k8s/test/kube"
)

// modes are the health modes the behaviour scenarios run in: the agent in the Kotaemon
// container (probes on the agent) and beside it (liveness and startup on the app).
var modes = []string{"wrapper", "sidecar"}

// serviceName is the release's app Service.
const serviceName = releaseName + "-kotaemon"

// slowStart is the stand-in's start-up in PB-01: well inside the fast startup budget.
const slowStart = 8 * time.Second

// PB-01. Created: the release with fast probes; the stand-in keeps its port closed for
// slowStart, inside the startup budget. Happens: the port opens. Must hold: the pod is
// neither Ready nor a ready endpoint of the Service before the app answers; it is Ready
// within one startup and one readiness probe (period and timeout each) after; no restart.
func TestPB01_ASlowStartIsNeitherRestartedNorServedBeforeTheAppAnswers(t *testing.T) {
	t.Parallel()
	for _, mode := range modes {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			r := newRelease(t, "pb01-"+mode)
			r.install(nil, imagesLayer(r.im), standinLayer(mode, 8000, "--startup="+slowStart.String()), fastProbes, modeLayer(mode))
			p := probesOf(r.deployment())
			recordWindows(r.tl, p)
			require.Less(t, slowStart, p.startup.Window(), "the scenario's premise: the start fits the startup budget")
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
				st, err := r.state(ctx, pod)
				if err != nil {
					return false, err.Error()
				}
				if st.BoundAt != nil {
					bound = time.Now()
					r.tl.Mark("app-bound", st.BoundAt.UTC().Format(time.RFC3339Nano))
					return true, ""
				}
				require.False(t, kube.PodReady(p), "the pod is Ready before the app answers: %s", podSummary(p))
				for addr, ready := range eps {
					require.False(t, ready, "endpoint %s is ready before the app answers", addr)
				}
				return false, "port still closed"
			})
			bound2ready := p.startup.ToPass() + p.readiness.ToPass() + statusSlack
			ready := r.awaitReady(pod, "after the app answers", bound2ready-time.Since(bound))
			t.Logf("Ready %s after the app answered (bound %s)", ready.Sub(bound).Round(100*time.Millisecond), bound2ready)

			got, why := r.pod(context.Background(), pod)
			require.NotNil(t, got, why)
			assert.Zero(t, kube.Restarts(got), "restarts during a start inside the budget")
		})
	}
}

// PB-02. Created: the release with fast probes; the stand-in never opens its port.
// Happens: every startup probe fails. Must hold: the container is restarted about one
// startup budget after it started, not before the probes could have failed
// failureThreshold times, and the pod is never Ready.
func TestPB02_AStartThatNeverCompletesIsRestartedAfterTheStartupBudget(t *testing.T) {
	t.Parallel()
	for _, mode := range modes {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			r := newRelease(t, "pb02-"+mode)
			r.install(nil, imagesLayer(r.im), standinLayer(mode, 8000, "--never-start"), fastProbes, modeLayer(mode))
			p := probesOf(r.deployment())
			recordWindows(r.tl, p)
			pod := r.onePod()

			neverReady := func(p *corev1.Pod) {
				require.False(t, kube.PodReady(p), "a pod whose app never answers is Ready: %s", podSummary(p))
			}
			var started time.Time
			kube.Await(t, "the Kotaemon container runs", podStart, func(ctx context.Context) (bool, string) {
				p, why := r.pod(ctx, pod)
				if p == nil {
					return false, why
				}
				neverReady(p)
				started = time.Now()
				return containerRunning(p, "kotaemon"), podSummary(p)
			})
			budget := p.startup.Window()
			// The earliest, on the runtime's own clock (whole seconds): failureThreshold
			// failures need (failureThreshold - 1) periods after the first probe.
			earliest := p.startup.EarliestFailure() - time.Second
			latest := budget + p.startup.Timeout() + restartSlack + statusSlack
			var lived time.Duration
			kube.Await(t, "the container is restarted", latest, func(ctx context.Context) (bool, string) {
				p, why := r.pod(ctx, pod)
				if p == nil {
					return false, why
				}
				neverReady(p)
				if term := lastTermination(p, "kotaemon"); term != nil {
					lived = term.FinishedAt.Sub(term.StartedAt.Time)
					return true, ""
				}
				return false, podSummary(p)
			})
			t.Logf("the first container lived %s, restarted %s after the test saw it run (startup budget %s, bounds %s..%s)",
				lived, time.Since(started).Round(100*time.Millisecond), budget, earliest, latest)
			assert.GreaterOrEqual(t, lived, earliest, "killed before the startup probe could fail %d times", p.startup.FailureThreshold)
			assert.Empty(t, r.tl.Find("pod", "ready", pod, time.Time{}), "the pod was Ready at some point")
		})
	}
}

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
