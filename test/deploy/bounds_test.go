package deploy

import (
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

	"kotaemon-k8s/internal/config"
	"kotaemon-k8s/test/kube"
)

// Slack added to bounds derived from probe settings, each for one cause the settings do
// not cover. Bounds are generous where the scenario's point is that something happens at
// all (a restart, Ready again) and tight where timing is the point.
const (
	// podStart bounds scheduling, volume provisioning, image unpacking and container
	// start on a busy 2-core node.
	podStart = 90 * time.Second
	// statusSlack covers the kubelet's status manager writing a pod's new state to the
	// API server and the test's watch or poll seeing it.
	statusSlack = 5 * time.Second
	// restartSlack covers stopping a container the kubelet has decided to kill and
	// starting the next one (image present), after the termination the pod is given.
	restartSlack = 15 * time.Second
	// policySync bounds kube-router's reaction to a new pod or NetworkPolicy.
	policySync = 60 * time.Second
	// proxySync bounds kube-proxy's reaction to an EndpointSlice change.
	proxySync = 30 * time.Second
)

// probes are a pod template's probes as the API server stored them (defaults applied),
// wherever they sit: on the Kotaemon container or on the agent's (native sidecar or not).
type probes struct {
	startup, readiness, liveness *corev1.Probe
	grace                        time.Duration // the pod's terminationGracePeriodSeconds
}

func probesOf(d *appsv1.Deployment) probes {
	spec := d.Spec.Template.Spec
	var p probes
	for _, c := range append(append([]corev1.Container{}, spec.InitContainers...), spec.Containers...) {
		if c.StartupProbe != nil {
			p.startup = c.StartupProbe
		}
		if c.ReadinessProbe != nil {
			p.readiness = c.ReadinessProbe
		}
		if c.LivenessProbe != nil {
			p.liveness = c.LivenessProbe
		}
	}
	if spec.TerminationGracePeriodSeconds != nil {
		p.grace = seconds(int32(*spec.TerminationGracePeriodSeconds))
	}
	return p
}

func seconds(n int32) time.Duration { return time.Duration(n) * time.Second }

// window is initialDelay + period x failureThreshold: the longest a failing container is
// tolerated by this probe from its start (the startup budget for a startup probe).
func window(p *corev1.Probe) time.Duration {
	return seconds(p.InitialDelaySeconds) + seconds(p.PeriodSeconds)*time.Duration(p.FailureThreshold)
}

// toFail bounds how long a running probe takes to reach its failure threshold once its
// target starts failing: up to one period until the next probe, failureThreshold probes
// a period apart, the last one waiting its whole timeout.
func toFail(p *corev1.Probe) time.Duration {
	return seconds(p.PeriodSeconds)*time.Duration(p.FailureThreshold) + seconds(p.TimeoutSeconds)
}

// toPass bounds how long a probe takes to succeed successThreshold times once its
// target answers again.
func toPass(p *corev1.Probe) time.Duration {
	return seconds(p.PeriodSeconds)*time.Duration(p.SuccessThreshold) + seconds(p.TimeoutSeconds)
}

// checkLag bounds how long the agent's cached result of a check takes to go down with
// the dependency: the check's failureThreshold runs an interval apart (the agent's
// default), the last one waiting its timeout. Coming back takes one run (successThreshold 1).
func checkLag() time.Duration {
	return (checkIntervalSeconds*config.DefaultCheckFailures + checkTimeoutSeconds) * time.Second
}

// recordWindows puts the configured windows on the timeline, for pictures and readers.
func recordWindows(tl *kube.Timeline, p probes) {
	if p.startup != nil {
		tl.SetWindow("startupBudget", window(p.startup).Seconds())
	}
	if p.readiness != nil {
		tl.SetWindow("readinessWindow", window(p.readiness).Seconds())
		tl.SetWindow("readinessToFail", toFail(p.readiness).Seconds())
	}
	if p.liveness != nil {
		tl.SetWindow("livenessWindow", window(p.liveness).Seconds())
		tl.SetWindow("livenessToFail", toFail(p.liveness).Seconds())
	}
	tl.SetWindow("terminationGracePeriod", p.grace.Seconds())
}
