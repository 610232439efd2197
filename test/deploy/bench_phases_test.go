//go:build bench

package deploy

// Random phases of the probe schedule. A start-up of 20 s, or a fault injected right
// after Ready was seen, lands on one point of every probe period, so the figures would
// show that point and no spread. Each repetition draws its start-up and its fault instant
// uniformly over benchPhaseWidth instead, from a seed printed once and recorded in every
// result, and records, beside each figure, the longest the probe schedule allows it.

import (
	"flag"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"kotaemon-k8s/internal/config"
	model "kotaemon-k8s/release"
)

var benchSeed = flag.Uint64("bench.seed", 0, "seed of the drawn start-ups and fault instants (0: from the clock); printed, and recorded in every result")

// benchPhaseWidth is the width every input is drawn over: the longest probe period of the
// configurations compared, and a multiple of every other one (checked at each install),
// so a uniform draw lands at a uniform phase of every period.
const benchPhaseWidth = 30 * time.Second

var (
	seedOnce sync.Once
	seedUsed uint64
)

// runSeed is the seed of this run: -bench.seed, or the clock's when 0.
func runSeed() uint64 {
	seedOnce.Do(func() {
		seedUsed = *benchSeed
		if seedUsed == 0 {
			seedUsed = uint64(time.Now().UnixNano())
		}
		fmt.Printf("bench: random phases from -bench.seed=%d\n", seedUsed)
	})
	return seedUsed
}

// phases draws the inputs of one repetition: seeded by the run's seed and the test's
// name, so a repetition draws the same inputs whatever runs beside it.
type phases struct {
	seed uint64
	rnd  *rand.Rand
	res  *benchResult
}

func newPhases(t *testing.T, res *benchResult) *phases {
	h := fnv.New64a()
	h.Write([]byte(t.Name()))
	seed := runSeed()
	return &phases{seed: seed, rnd: rand.New(rand.NewPCG(seed, h.Sum64())), res: res}
}

// draw is base plus a uniform draw over benchPhaseWidth, to 100 ms, recorded as name.
func (ph *phases) draw(name string, base time.Duration) time.Duration {
	d := base + time.Duration(ph.rnd.Int64N(int64(benchPhaseWidth/(100*time.Millisecond))))*100*time.Millisecond
	ph.res.Draw(name, d.Seconds(), ph.seed)
	ph.res.Describe(name+".fromSeconds", base.Seconds())
	ph.res.Describe(name+".toSeconds", (base + benchPhaseWidth).Seconds())
	return d
}

// describeProbes records the probes as they were rendered, and checks the draws are at
// uniform phases of them: every period divides benchPhaseWidth.
func describeProbes(t *testing.T, res *benchResult, p probes) {
	t.Helper()
	for _, probe := range []struct {
		kind string
		p    *model.Probe
	}{{"startup", p.startup}, {"readiness", p.readiness}, {"liveness", p.liveness}} {
		if probe.p == nil {
			res.Describe(probe.kind+".target", "none")
			continue
		}
		require.Zero(t, benchPhaseWidth%probe.p.Period(), "%s periodSeconds %d does not divide the draws' width %s: the draws would not be at uniform phases",
			probe.kind, probe.p.PeriodSeconds, benchPhaseWidth)
		res.Describe(probe.kind+".target", probeTarget(probe.p))
		res.Describe(probe.kind+".initialDelaySeconds", probe.p.InitialDelaySeconds)
		res.Describe(probe.kind+".periodSeconds", probe.p.PeriodSeconds)
		res.Describe(probe.kind+".timeoutSeconds", probe.p.TimeoutSeconds)
		res.Describe(probe.kind+".failureThreshold", probe.p.FailureThreshold)
	}
}

// probeTarget is what a probe asks, as a reader of the report would write it.
func probeTarget(p *model.Probe) string {
	switch {
	case p.HTTPGet != nil:
		return fmt.Sprintf("GET :%d%s", p.Port, p.Path)
	case p.TCPSocket != nil:
		return fmt.Sprintf("TCP :%d", p.Port)
	case p.Exec != nil:
		return "exec"
	}
	return "other"
}

// gatesOnDependencies says whether a probe asks the agent's ready endpoint, whose answer
// fails with a critical check or the app's sync route.
func gatesOnDependencies(p *model.Probe) bool {
	return p != nil && p.HTTPGet != nil && p.Path == config.DefaultReadyPath
}

// The limits the probe schedule puts on each figure, in the worst phase, and the mean
// over uniform phases where one run of each probe decides it.

// limitReadyLag: with a startup probe, the next startup run (one startup period): the
// kubelet runs readiness at once when the startup probe succeeds (its prober manager
// triggers the readiness worker, kubernetes/kubernetes#101738), so no readiness period is
// added. Without one, the rest of readiness's initial delay after the app bound
// (boundAfter the container started), then one readiness period.
func limitReadyLag(res *benchResult, p probes, boundAfter time.Duration) {
	if p.readiness == nil {
		return
	}
	var limit, mean time.Duration
	if p.startup != nil {
		limit, mean = p.startup.Period(), p.startup.Period()/2
	} else {
		wait := max(0, seconds(p.readiness.InitialDelaySeconds)-boundAfter)
		limit, mean = wait+p.readiness.Period(), wait+p.readiness.Period()/2
	}
	res.Limit("readyLag", limit.Seconds())
	res.Limit("readyLag/mean", mean.Seconds())
}

// limitKill: liveness runs only after its initial delay (faultAfter is how long after
// the container started the fault came), then fails failureThreshold times a period
// apart, the last one waiting its timeout; the first run comes up to one period after.
func limitKill(res *benchResult, figure string, live *model.Probe, faultAfter time.Duration) {
	if live == nil {
		return
	}
	before := max(0, seconds(live.InitialDelaySeconds)-faultAfter)
	res.Limit(figure, (before + live.ToFail()).Seconds())
	res.Limit(figure+"/mean", (before + live.ToFail() - live.Period()/2).Seconds())
}

// limitNotReady: the same for readiness, after what must happen before it fails (the
// agent's check going down).
func limitNotReady(res *benchResult, figure string, ready *model.Probe, before time.Duration) {
	if ready == nil {
		return
	}
	res.Limit(figure, (before + ready.ToFail()).Seconds())
	res.Limit(figure+"/mean", (before + ready.ToFail() - ready.Period()/2).Seconds())
}

// describeCheck records the critical check's schedule, which outageToNotReady waits on.
func describeCheck(res *benchResult) {
	res.Describe("check.intervalSeconds", checkIntervalSeconds)
	res.Describe("check.timeoutSeconds", checkTimeoutSeconds)
	res.Describe("check.failureThreshold", config.DefaultCheckFailures)
}
