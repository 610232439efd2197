//go:build bench

package deploy

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"kotaemon-k8s/standin/client"
	"kotaemon-k8s/standin/dependency"
	"kotaemon-k8s/standin/kotaemon"
	"kotaemon-k8s/test/kube"
)

// Scenario lengths of docs/BENCHMARKS.md. The caps bound how long a scenario waits for
// something that may never happen in a configuration (the naive one never becomes Ready
// when the start outlasts its liveness delay); the result then says "not within".
const (
	benchStart       = 20 * time.Second // the stand-in's start-up outside the slow-start scenarios
	benchOutage      = 3 * time.Minute
	benchStall       = 60 * time.Second
	benchAfterStall  = 15 * time.Second // restarts decided just after the stall still count
	benchReadyCap    = 4 * time.Minute  // beyond the start-up, for the first Ready
	benchRecoveryCap = 2 * time.Minute
	benchRestartCap  = 5 * time.Minute
	benchBoundWait   = 15 * time.Second // for the app's bind time once Ready was seen
)

// benchSlowStarts are the shortest start-ups of the slow-start scenarios; each repetition
// draws its start-up from there over benchPhaseWidth.
var benchSlowStarts = []time.Duration{20 * time.Second, 90 * time.Second}

// benchScenario plays one scenario in one configuration and records its figures.
type benchScenario struct {
	name string
	run  func(r *release, cfg benchConfig, res *benchResult)
}

func benchScenarios() []benchScenario {
	var out []benchScenario
	for _, s := range benchSlowStarts {
		name := fmt.Sprintf("slow-start-%.0f-%.0fs", s.Seconds(), (s + benchPhaseWidth).Seconds())
		out = append(out, benchScenario{name, func(r *release, cfg benchConfig, res *benchResult) { benchSlowStart(r, cfg, res, s) }})
	}
	return append(out,
		benchScenario{"deadlock", benchDeadlock},
		benchScenario{"dependency-outage", benchDependencyOutage},
		benchScenario{"worker-stall", benchWorkerStall},
		benchScenario{"upgrade-1-replica", func(r *release, cfg benchConfig, res *benchResult) { benchUpgrade(r, cfg, res, 1) }},
		benchScenario{"upgrade-2-replicas", func(r *release, cfg benchConfig, res *benchResult) { benchUpgrade(r, cfg, res, 2) }},
	)
}

// TestBenchInCluster runs every scenario in every configuration, -bench.draws times, all
// at once (the namespaces are independent; -test.parallel bounds how many).
func TestBenchInCluster(t *testing.T) {
	for _, sc := range benchScenarios() {
		for _, cfg := range benchConfigs() {
			if !cfg.playedIn(sc.name) {
				continue
			}
			for rep := 1; rep <= *benchDraws; rep++ {
				t.Run(fmt.Sprintf("%s/%s/%d", sc.name, cfg.name, rep), func(t *testing.T) {
					t.Parallel()
					r := newRelease(t, "bench-"+sc.name+"-"+cfg.name)
					sc.run(r, cfg, r.result(sc.name, cfg.name, rep))
				})
			}
		}
	}
}

// benchSlowStart: the app opens its port a drawn start-up (from shortest, over
// benchPhaseWidth) after the container starts. Figures: ready lag (Ready minus the moment
// the app first answered), Ready after the container started, restarts before the first
// Ready (or within the cap).
func benchSlowStart(r *release, cfg benchConfig, res *benchResult, shortest time.Duration) {
	s := newPhases(r.t, res).draw("startupSeconds", shortest)
	r.installConfig(cfg, imagesLayer(r.im), standinLayer("wrapper", 8000, "--startup="+s.String()))
	p := r.benchProbes(res)
	pod := r.onePod()
	bound := r.watchApp(pod)
	watched := s + benchReadyCap
	ready, ok := r.readyWithin(pod, watched)
	res.count("restartsBeforeReady", r.restarts(pod))
	if !ok {
		res.never("readyLag", watched)
		res.never("readyAfterStart", watched)
		return
	}
	started, ok := r.firstAfter("container", "running", pod+"/kotaemon", time.Time{})
	if ok {
		res.seconds("readyAfterStart", ready.Sub(started))
	}
	// The watch reads the stand-in through the API server once a second; on a loaded node
	// a read can fail, so give it a few more before the figure is left out.
	first := bound()
	for wait := time.Now().Add(benchBoundWait); first.IsZero() && time.Now().Before(wait); first = bound() {
		time.Sleep(time.Second)
	}
	if !first.IsZero() {
		res.seconds("readyLag", ready.Sub(first))
		if ok {
			limitReadyLag(res, p, first.Sub(started))
		}
	}
}

// benchReady installs with a start of benchStart, waits for the first Ready (the premise
// of the fault scenarios: every configuration gets there at this start-up), then a drawn
// delay over benchPhaseWidth, so the fault lands at a random phase of the probes.
func benchReady(r *release, cfg benchConfig, res *benchResult, extra ...layer) (string, probes) {
	r.installConfig(cfg, append([]layer{imagesLayer(r.im), standinLayer("wrapper", 8000, "--startup="+benchStart.String())}, extra...)...)
	p := r.benchProbes(res)
	res.Describe("startupSeconds", benchStart.Seconds())
	pod := r.onePod()
	r.watchApp(pod)
	r.awaitReady(pod, "before the fault", podStart+benchStart+benchReadyCap)
	time.Sleep(newPhases(r.t, res).draw("faultAfterReadySeconds", 0))
	return pod, p
}

// benchProbes reads the release's probes, puts their windows on the timeline and records
// them in the result.
func (r *release) benchProbes(res *benchResult) probes {
	r.t.Helper()
	p := probesOf(r.deployment())
	recordWindows(r.tl, p)
	describeProbes(r.t, res, p)
	return p
}

// benchDeadlock: every app request hangs. Figures: deadlock to the kubelet's kill
// decision (its Killing event) and to the restarted container.
func benchDeadlock(r *release, cfg benchConfig, res *benchResult) {
	pod, p := benchReady(r, cfg, res)
	at := r.fault(pod, kotaemon.FaultDeadlock, 0)
	if started, ok := r.firstAfter("container", "running", pod+"/kotaemon", time.Time{}); ok {
		limitKill(res, "deadlockToKill", p.liveness, at.Sub(started))
	}
	if !r.restartedWithin(pod, benchRestartCap) {
		res.never("deadlockToRestart", benchRestartCap)
		return
	}
	if kill, ok := r.firstAfter("event", "Killing", "", at); ok {
		res.seconds("deadlockToKill", kill.Sub(at))
	}
	if restarted, ok := r.firstAfter("container", "restarted", pod+"/kotaemon", at); ok {
		res.seconds("deadlockToRestart", restarted.Sub(at))
	}
}

// benchDependencyOutage: a critical dependency (the dependency stand-in as Ollama) is
// down for benchOutage, then up. Figures: outage to NotReady, seconds the pod stayed a
// ready endpoint of the Service during the outage, restarts during it, recovery to Ready.
func benchDependencyOutage(r *release, cfg benchConfig, res *benchResult) {
	deps := r.startDependency()
	pod, p := benchReady(r, cfg, res, criticalCheckLayer(deps))
	describeCheck(res)
	res.Describe("outageSeconds", benchOutage.Seconds())
	if gatesOnDependencies(p.readiness) {
		limitNotReady(res, "outageToNotReady", p.readiness, checkLag())
	}
	before := r.restarts(pod)
	down := time.Now()
	r.setDependency(deps, dependency.ModeDown, 0)
	time.Sleep(benchOutage) // the outage itself: the figures come from the timeline
	up := time.Now()
	r.setDependency(deps, dependency.ModeUp, 0)
	res.count("restartsDuringOutage", r.restarts(pod)-before)
	res.seconds("inServiceDuringOutage", r.readyEndpointTime(pod, down, up))
	notReady, ok := r.firstAfter("pod", "not-ready", pod, down)
	if !ok || notReady.After(up) {
		res.never("outageToNotReady", benchOutage)
		return
	}
	res.seconds("outageToNotReady", notReady.Sub(down))
	if ready, ok := r.readyWithin(pod, benchRecoveryCap); ok {
		res.seconds("recoveryToReady", ready.Sub(up))
	} else {
		res.never("recoveryToReady", benchRecoveryCap)
	}
}

// benchWorkerStall: the worker pool is taken for benchStall while the event loop keeps
// answering (Gradio's sync routes stall, /startup-events answers). Figures: restarts
// (false ones: the app recovers by itself) and stall to NotReady.
func benchWorkerStall(r *release, cfg benchConfig, res *benchResult) {
	pod, p := benchReady(r, cfg, res)
	res.Describe("stallSeconds", benchStall.Seconds())
	res.Describe("afterStallSeconds", benchAfterStall.Seconds())
	limitNotReady(res, "stallToNotReady", p.readiness, 0)
	before := r.restarts(pod)
	at := r.fault(pod, kotaemon.FaultExhaust, 0)
	time.Sleep(benchStall)
	if r.restarts(pod) == before {
		r.fault(pod, kotaemon.FaultNone, 0) // a restarted process has no stall to clear
	}
	time.Sleep(benchAfterStall)
	res.count("falseRestarts", r.restarts(pod)-before)
	if notReady, ok := r.firstAfter("pod", "not-ready", pod, at); ok && notReady.Before(at.Add(benchStall)) {
		res.seconds("stallToNotReady", notReady.Sub(at))
	} else {
		res.never("stallToNotReady", benchStall)
	}
}

// benchAnswer is how long each streamed answer of the upgrade scenarios lasts, and
// benchStreamers how many clients stream one after another at once.
const (
	benchAnswer    = 10 * time.Second
	benchStreamers = 2
	// The request client's pace and timeout.
	benchRequestInterval = 100 * time.Millisecond
	benchRequestTimeout  = 2 * time.Second
	// benchAfterRollout: late failures count too, and every answer in flight at the end
	// of the rollout has time to end.
	benchAfterRollout = 5*time.Second + benchAnswer
)

// benchUpgrade: a client sends a request through the Service every 100 ms (keep-alive
// off, 2 s timeout), and benchStreamers clients each stream one benchAnswer-long answer
// after another, while helm upgrade replaces every pod. One replica rolls with Recreate
// (its volume is ReadWriteOnce), two with maxUnavailable 0 (external stores). Figures:
// failed requests, requests sent, the longest time between two answers (how long the
// Service could not answer), upgrade to rollout complete; answers that ended from the
// upgrade on, and those among them cut off mid-stream.
func benchUpgrade(r *release, cfg benchConfig, res *benchResult, replicas int32) {
	layers := []layer{imagesLayer(r.im), standinLayer("wrapper", 8000, "--startup="+benchStart.String())}
	if replicas > 1 {
		layers = append(layers, parseLayer(fmt.Sprintf("replicaCount: %d\nkotaemon:\n  externalStores: true\npersistence:\n  enabled: false\n", replicas)))
	}
	r.installConfig(cfg, layers...)
	r.benchProbes(res)
	res.Describe("startupSeconds", benchStart.Seconds())
	res.Describe("replicas", replicas)
	res.Describe("requestIntervalSeconds", benchRequestInterval.Seconds())
	res.Describe("requestTimeoutSeconds", benchRequestTimeout.Seconds())
	res.Describe("streamers", benchStreamers)
	res.Describe("answerSeconds", benchAnswer.Seconds())
	res.Describe("afterRolloutSeconds", benchAfterRollout.Seconds())
	r.awaitRollout(replicas, podStart+benchStart+benchReadyCap)

	r.createPod(kube.Client("traffic", r.im.standin, nil, "-url="+serviceURL("/"), "-interval="+benchRequestInterval.String(), "-timeout="+benchRequestTimeout.String()))
	r.awaitAnswers("traffic", 5, podStart)
	streamers := make([]string, benchStreamers)
	for i := range streamers {
		streamers[i] = fmt.Sprintf("streams-%d", i+1)
		r.createPod(kube.Client(streamers[i], r.im.standin, nil, "-url="+serviceURL(kotaemon.StreamPath(int(benchAnswer.Seconds()))), "-interval=100ms", "-timeout=60s"))
	}
	for _, s := range streamers {
		r.awaitAnswers(s, 1, podStart+2*benchAnswer)
	}
	streamedBefore := map[string]int{}
	for _, s := range streamers {
		streamedBefore[s] = len(r.timedLogLines(s))
	}
	time.Sleep(newPhases(r.t, res).draw("upgradeAfterStreamsSeconds", 0))
	sentBefore := len(r.timedLogLines("traffic"))
	at := time.Now()
	r.upgrade(rollout(1))
	r.awaitRollout(replicas, 2*(podStart+benchStart+benchReadyCap))
	res.seconds("upgradeToRolledOut", time.Since(at))
	time.Sleep(benchAfterRollout)
	r.tl.Mark("traffic-end", "")

	lines := r.timedLogLines("traffic")[sentBefore:]
	failed, gap := 0, time.Duration(0)
	var lastOK time.Time
	for _, l := range lines {
		if !strings.HasPrefix(l.text, "OK 200") {
			failed++
			continue
		}
		if !lastOK.IsZero() {
			gap = max(gap, l.at.Sub(lastOK))
		}
		lastOK = l.at
	}
	answers, cut := 0, 0
	for _, s := range streamers {
		for _, l := range r.timedLogLines(s)[streamedBefore[s]:] {
			switch {
			case streamedToItsEnd(l.text):
				answers++
			case strings.Contains(l.text, client.BrokenOff):
				answers++
				cut++
			}
		}
	}
	res.count("answersEnded", answers)
	res.count("cutAnswers", cut)
	r.tl.Mark("answers", fmt.Sprintf("%d ended, %d cut", answers, cut))
	res.count("failedRequests", failed)
	res.count("requests", len(lines))
	res.seconds("longestWithoutAnswer", gap)
	r.tl.Mark("requests", fmt.Sprintf("%d sent, %d failed", len(lines), failed))
}

// restartedWithin waits up to d for any container of the pod to restart.
func (r *release) restartedWithin(pod string, d time.Duration) bool {
	return kube.AwaitE(pod+" restarts", d, func(ctx context.Context) (bool, string) {
		p, why := r.pod(ctx, pod)
		if p == nil {
			return false, why
		}
		return kube.Restarts(p) >= 1, podSummary(p)
	}) == nil
}

// readyEndpointTime is how long, between from and to, the pod was a ready endpoint of
// the app Service, by the timeline's endpoint entries.
func (r *release) readyEndpointTime(pod string, from, to time.Time) time.Duration {
	object := serviceName + "/" + pod
	changes := append(r.tl.Find("endpoint", "endpoint-ready", object, time.Time{}),
		r.tl.Find("endpoint", "endpoint-not-ready", object, time.Time{})...)
	sort.Slice(changes, func(i, j int) bool { return changes[i].At.Before(changes[j].At) })
	var total time.Duration
	ready, since := false, from
	for _, e := range changes {
		if e.At.After(to) {
			break
		}
		if e.At.After(from) {
			if ready {
				total += e.At.Sub(since)
			}
			since = e.At
		}
		ready = e.What == "endpoint-ready"
	}
	if ready {
		total += to.Sub(since)
	}
	return total
}
