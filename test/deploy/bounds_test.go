package deploy

import (
	"github.com/stretchr/testify/require"
	"time"

	appsv1 "k8s.io/api/apps/v1"

	"kotaemon-k8s/internal/config"
	model "kotaemon-k8s/release"
	"kotaemon-k8s/test/kube"
)

// Slack added to bounds derived from probe settings, each for one cause the settings do
// not cover. Bounds are generous where the scenario's point is that something happens at
// all (a restart, Ready again) and tight where timing is the point.
const (
	// podStart bounds scheduling, volume provisioning, image unpacking and container
	// start on a busy 2-core node.
	podStart = 90 * time.Second
	// statusSlack covers the kubelet acting late on a probe's result on a busy node, its
	// status manager writing the pod's new state to the API server, and the test's watch
	// or poll seeing it. Under make test-deploy-loaded, PB-06 once saw NotReady 5.2 s past
	// the probe schedule's limit, and a CI run of the whole suite more than 5.5 s past it:
	// 5 s was too little, so twice that.
	statusSlack = 10 * time.Second
	// restartSlack covers stopping a container the kubelet has decided to kill and
	// starting the next one (image present), after the termination the pod is given.
	restartSlack = 15 * time.Second
	// policySync bounds kube-router's reaction to a new pod or NetworkPolicy.
	policySync = 60 * time.Second
	// proxySync bounds kube-proxy's reaction to an EndpointSlice change.
	proxySync = 30 * time.Second
)

// probes are a pod template's probes as the API server stored them (package release's
// model: defaults applied, the timing derived there), wherever they sit: on the Kotaemon
// container or on the agent's (native sidecar or not).
type probes struct {
	startup, readiness, liveness *model.Probe
	grace                        time.Duration // the pod's terminationGracePeriodSeconds
}

func probesOf(d *appsv1.Deployment) probes {
	w := model.WorkloadOf(d)
	return probes{startup: w.Probes[model.Startup], readiness: w.Probes[model.Readiness], liveness: w.Probes[model.Liveness], grace: w.Grace()}
}

// probes are the release's probes, each one required: a scenario's bounds are computed
// from them, so a release without one fails naming the probe (and the rule that asks
// for it) instead of on a nil pointer.
func (r *release) probes() probes {
	r.t.Helper()
	p := probesOf(r.deployment())
	for _, need := range []struct {
		name  string
		probe *model.Probe
	}{{"startup", p.startup}, {"readiness", p.readiness}, {"liveness", p.liveness}} {
		require.NotNil(r.t, need.probe, "the release renders no %s probe, which the scenario's bounds are computed from (PI-01, PI-05)", need.name)
	}
	return p
}

func seconds(n int32) time.Duration { return time.Duration(n) * time.Second }

// checkLag bounds how long the agent's cached result of a check takes to go down with
// the dependency: the check's failureThreshold runs an interval apart (the agent's
// default), the last one waiting its timeout. Coming back takes one run (successThreshold 1).
func checkLag() time.Duration {
	return (checkIntervalSeconds*config.DefaultCheckFailures + checkTimeoutSeconds) * time.Second
}

// recordWindows puts the configured windows on the timeline, for pictures and readers.
func recordWindows(tl *kube.Timeline, p probes) {
	if p.startup != nil {
		tl.SetWindow("startupBudget", p.startup.Window().Seconds())
	}
	if p.readiness != nil {
		tl.SetWindow("readinessWindow", p.readiness.Window().Seconds())
		tl.SetWindow("readinessToFail", p.readiness.ToFail().Seconds())
	}
	if p.liveness != nil {
		tl.SetWindow("livenessWindow", p.liveness.Window().Seconds())
		tl.SetWindow("livenessToFail", p.liveness.ToFail().Seconds())
	}
	tl.SetWindow("terminationGracePeriod", p.grace.Seconds())
}
