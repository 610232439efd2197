package release

import (
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"

	"kotaemon-k8s/internal/checks"
)

// The API server's defaults for probe fields left at zero: what it stores, hence what
// the kubelet acts on. The one default rule of the project: every figure below is
// computed from a probe these were applied to.
const (
	defaultPeriodSeconds    = 10
	defaultTimeoutSeconds   = 1
	defaultSuccessThreshold = 1
	defaultFailureThreshold = 3
)

// WithDefaults is a copy of p with the API server's defaults in its zero fields.
func WithDefaults(p *corev1.Probe) *corev1.Probe {
	q := p.DeepCopy()
	if q.PeriodSeconds == 0 {
		q.PeriodSeconds = defaultPeriodSeconds
	}
	if q.TimeoutSeconds == 0 {
		q.TimeoutSeconds = defaultTimeoutSeconds
	}
	if q.SuccessThreshold == 0 {
		q.SuccessThreshold = defaultSuccessThreshold
	}
	if q.FailureThreshold == 0 {
		q.FailureThreshold = defaultFailureThreshold
	}
	return q
}

func seconds(n int32) time.Duration { return time.Duration(n) * time.Second }

// Period is the time between two runs of the probe.
func (p *Probe) Period() time.Duration { return seconds(p.PeriodSeconds) }

// Timeout is how long one run may take.
func (p *Probe) Timeout() time.Duration { return seconds(p.TimeoutSeconds) }

// FailureWindow is periodSeconds x failureThreshold: how long a running container may
// fail the probe before the kubelet acts on it (readiness: out of the endpoints;
// liveness: a restart). PI-07 compares liveness's with readiness's.
func (p *Probe) FailureWindow() time.Duration {
	return p.Period() * time.Duration(p.FailureThreshold)
}

// Window is initialDelaySeconds + FailureWindow: how long a container that fails the
// probe from its start is tolerated. For the startup probe it is the start-up budget.
func (p *Probe) Window() time.Duration {
	return seconds(p.InitialDelaySeconds) + p.FailureWindow()
}

// EarliestFailure is the soonest a container failing from its start can reach the
// failure threshold: the first run at the initial delay, the last failureThreshold-1
// periods later.
func (p *Probe) EarliestFailure() time.Duration {
	return seconds(p.InitialDelaySeconds) + p.Period()*time.Duration(p.FailureThreshold-1)
}

// ToFail bounds how long a running probe takes to reach its failure threshold once its
// target starts failing: up to one period until the next run, failureThreshold runs a
// period apart, the last one waiting its whole timeout.
func (p *Probe) ToFail() time.Duration {
	return p.FailureWindow() + p.Timeout()
}

// ToPass bounds how long a probe takes to succeed successThreshold times once its
// target answers again.
func (p *Probe) ToPass() time.Duration {
	return p.Period()*time.Duration(p.SuccessThreshold) + p.Timeout()
}

// StartupBudget is the startup probe's Window, 0 without a startup probe.
func (w *Workload) StartupBudget() time.Duration {
	if s := w.Probes[Startup]; s != nil {
		return s.Window()
	}
	return 0
}

// Grace is the pod's terminationGracePeriodSeconds (the API's 30 s when unset).
func (w *Workload) Grace() time.Duration {
	if g := w.Deployment.Spec.Template.Spec.TerminationGracePeriodSeconds; g != nil {
		return time.Duration(*g) * time.Second
	}
	return 30 * time.Second
}

// WorstStartToReady bounds how long a start the chart promises to cover takes to reach
// Ready, and says what it is made of (PI-16); 0 without a readiness probe. The start ends
// by the startup budget (startup off: liveness's initial delay), each critical check is
// up after its first run's timeout and successThreshold-1 intervals with the agent's 10%
// jitter, counted from the container's start; then readiness passes (ToPass).
func (w *Workload) WorstStartToReady() (time.Duration, string) {
	r := w.Probes[Readiness]
	if r == nil {
		return 0, ""
	}
	start, reason := seconds(r.InitialDelaySeconds), "readiness's initial delay"
	later := func(d time.Duration, why string) {
		if d > start {
			start, reason = d, why
		}
	}
	if s := w.Probes[Startup]; s != nil {
		later(s.Window(), fmt.Sprintf("the startup budget %s", s.Window()))
	} else if l := w.Probes[Liveness]; l != nil {
		later(seconds(l.InitialDelaySeconds), "liveness's initial delay")
	}
	if w.Agent != nil {
		for _, c := range w.Agent.Checks {
			if !c.IsCritical() {
				continue
			}
			jittered := time.Duration(c.Passes()-1) * checks.LongestWait(c.Interval)
			up := (jittered + time.Second - 1).Truncate(time.Second) + c.Timeout
			later(up, fmt.Sprintf("check %s's first pass %s", c.Name, up))
		}
	}
	return start + r.ToPass(), fmt.Sprintf("%s + readiness's passes %s", reason, r.ToPass())
}
