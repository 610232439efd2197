// Package advise turns the health agent's history (package history: start-ups, stalls,
// check latencies, from every pod of a release) into probe values for one environment:
// a values override whose every number carries its reason, and the figures that change
// for the user. kotaemonctl advise runs it; the chart's guards check what it writes.
package advise

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"kotaemon-k8s/internal/history"
)

// The method's constants, each stated in the file it writes.
const (
	// P99Samples is the fewest start-ups from which a P99 is not simply the maximum
	// (nearest rank: with 100 samples the P99 is the 99th).
	P99Samples = 100
	// FactorWithP99 and FactorWithMax are the safety factors of the rule "P99 x
	// 1.2-1.5": above the floor when the P99 is measured (1 start in 100 is slower than
	// it), the ceiling when only a maximum of a few starts is known.
	FactorWithP99 = 1.3
	FactorWithMax = 1.5
	// StallMargin is what the liveness window keeps over the longest stall that ended
	// with an answer (with what its measure may miss): such a stall must not restart the
	// container.
	StallMargin = 1.5
	// LatencyMargin is what a check's timeout keeps over its passed runs' P99.
	LatencyMargin = 3
)

// Observations are the histories of a release's pods, merged, or (Aggregated) the
// summaries a Prometheus computed from the agents' histograms.
type Observations struct {
	Pods   int
	Starts []history.Start
	Stalls []history.Stall
	Checks map[string][]float64
	// Resolution is the coarsest the histories say their stalls were seen at (0: at
	// the probes' granularity, the liveness period).
	Resolution float64
	// Aggregated replaces the samples above when set.
	Aggregated *Aggregates
}

// Aggregates are summaries computed elsewhere, with the method that computed them.
type Aggregates struct {
	Method string  // how, for the file's comments
	Starts Summary // start-ups to the app's first answer
	Stalls Summary // stalls of the live route that ended with an answer
	Checks map[string]Summary
}

// Merge adds one pod's history.
func (o *Observations) Merge(d history.Data) {
	o.Pods++
	o.Resolution = max(o.Resolution, d.ResolutionSeconds)
	o.Starts = append(o.Starts, d.Starts...)
	o.Stalls = append(o.Stalls, d.Stalls...)
	if o.Checks == nil {
		o.Checks = map[string][]float64{}
	}
	for name, l := range d.CheckLatencies {
		o.Checks[name] = append(o.Checks[name], l...)
	}
}

// Summary is a sample's order statistics by nearest rank.
type Summary struct {
	N                  int
	P50, P95, P99, Max float64
}

// Summarise sorts a copy of the sample; an empty one gives a zero Summary.
func Summarise(xs []float64) Summary {
	if len(xs) == 0 {
		return Summary{}
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	rank := func(q float64) float64 { return s[int(math.Ceil(q*float64(len(s))))-1] }
	return Summary{N: len(s), P50: rank(0.50), P95: rank(0.95), P99: rank(0.99), Max: s[len(s)-1]}
}

// String names each figure known (a NaN is not).
func (s Summary) String() string {
	var parts []string
	for _, f := range []struct {
		name string
		v    float64
	}{{"P50", s.P50}, {"P95", s.P95}, {"P99", s.P99}, {"max", s.Max}} {
		if !math.IsNaN(f.v) {
			parts = append(parts, f.name+" "+secs(f.v))
		}
	}
	return strings.Join(parts, ", ")
}

// Current is what the environment's values say today, as the advice needs it.
type Current struct {
	LivenessTimeout     int // probes.liveness.timeoutSeconds (a period is no shorter, PI-06)
	MeasurePeriod       int // the liveness period the stalls were seen with
	StartupDisabled     bool
	ReadinessDelay      int // probes.readiness.initialDelaySeconds
	ReadinessWindow     int // probes.readiness.periodSeconds x failureThreshold (PI-07's floor)
	Checks              []map[string]any
	MinFailureThreshold int // the chart's floor (PI-06)
}

// Advice is the values override and the reasons of its numbers.
type Advice struct {
	// Startup: expectedSeconds and safetyFactor, with the lines that justify them.
	ExpectedSeconds int
	SafetyFactor    float64
	StartupReason   []string
	// Liveness initialDelaySeconds where there is no startup probe (0: unchanged).
	LivenessDelay int
	// Liveness periodSeconds and failureThreshold (0: unchanged), with their reason.
	LivenessPeriod, LivenessFailures int
	LivenessReason                   []string
	// Checks: the environment's checks with advised timeouts (nil: unchanged).
	Checks       []map[string]any
	ChecksReason []string
	// Warnings the user must read (censored start-ups, restarts during stalls).
	Warnings []string
	Starts   Summary
	Stalls   Summary // of the live route's stalls that ended with an answer
}

// ErrNoStarts is returned when no start-up reached its first answer.
var ErrNoStarts = errors.New("no start-up in the history reached the app's first answer: nothing to size the startup probe from (let the release start, and restart, a few times first)")

// Compute derives the advice. Start-ups are sized on the phase the startup probe waits
// for (the app's first answer, PhaseAnswered); the liveness window on the live route's
// stalls; check timeouts on passed runs.
func Compute(o Observations, cur Current, liveRoute string) (*Advice, error) {
	a := &Advice{}
	censored, restarts := 0, 0
	source, rank := fmt.Sprintf("the history of %s", count(o.Pods, "pod")), "nearest rank"
	checks := map[string]Summary{}
	runNoun := "passed run" // the history keeps passed runs only
	if ag := o.Aggregated; ag != nil {
		runNoun = "run" // a histogram has failed runs in it too
		a.Starts, a.Stalls, checks = ag.Starts, ag.Stalls, ag.Checks
		source, rank = ag.Method, "interpolated in the histogram's buckets"
	} else {
		var starts, live []float64
		for _, s := range o.Starts {
			if v, ok := s.Phases[history.PhaseAnswered]; ok {
				starts = append(starts, v)
			} else {
				censored++
			}
		}
		for _, s := range o.Stalls {
			if s.Route != liveRoute {
				continue
			}
			if s.EndedBy == history.EndedByAnswer {
				live = append(live, s.Seconds)
			} else {
				restarts++
			}
		}
		a.Starts, a.Stalls = Summarise(starts), Summarise(live)
		for name, l := range o.Checks {
			checks[name] = Summarise(l)
		}
	}
	if a.Starts.N == 0 {
		return nil, ErrNoStarts
	}
	a.StartupReason = append(a.StartupReason, fmt.Sprintf("%s from %s, process start to the app's first answer: %s.", count(a.Starts.N, "start-up"), source, a.Starts))
	if a.Starts.N >= P99Samples {
		a.ExpectedSeconds = int(math.Ceil(a.Starts.P99))
		a.SafetyFactor = FactorWithP99
		a.StartupReason = append(a.StartupReason, fmt.Sprintf("expectedSeconds is the P99 (%s), with safetyFactor %.1f: about 1 start in 100 is slower than the P99.", rank, FactorWithP99))
	} else {
		a.ExpectedSeconds = int(math.Ceil(a.Starts.Max))
		a.SafetyFactor = FactorWithMax
		a.StartupReason = append(a.StartupReason, fmt.Sprintf("Too few start-ups for a P99 (%d, fewer than %d): expectedSeconds is the maximum, with the rule's widest safetyFactor %.1f. Measure again after more restarts.", a.Starts.N, P99Samples, FactorWithMax))
	}
	if cur.StartupDisabled {
		a.LivenessDelay = max(int(math.Ceil(float64(a.ExpectedSeconds)*a.SafetyFactor)), cur.ReadinessDelay+1)
		a.StartupReason = append(a.StartupReason, fmt.Sprintf("The startup probe is off here, so liveness's initial delay covers the start instead: %ds, expectedSeconds x safetyFactor and after readiness's delay (PI-05).", a.LivenessDelay))
	}
	if censored > 0 {
		a.Warnings = append(a.Warnings, fmt.Sprintf("%s ended before the app's first answer (a restart cut them short: a startup budget too small, a crash, or an upgrade). They are not in the figures; if the startup probe killed them, their start-up was longer than its budget, and the advice is too low: raise the budget and measure again.", count(censored, "start-up")))
	}

	if restarts > 0 {
		a.Warnings = append(a.Warnings, fmt.Sprintf("%s of the live route ended in a restart of the container: deadlocks the liveness probe ended (as it should), or stalls it cut short. They are not in the figures.", count(restarts, "stall")))
	}
	if a.Stalls.N == 0 {
		a.LivenessReason = append(a.LivenessReason, "No stall of the live route that ended with an answer is in the history: the liveness window is kept.")
	} else {
		// A stall is seen at the granularity of whatever asked the live route (the
		// agent itself, every second, or the liveness probe): it may have been up to one
		// such step longer. A stall of s seconds fails at most ceil((s + timeout) /
		// period) probes in a row, so the window must pass (longest + step) + timeout;
		// the margin goes on top.
		seen, at := float64(cur.MeasurePeriod), "the liveness probe's granularity"
		if o.Resolution > 0 && o.Aggregated == nil {
			seen, at = math.Ceil(o.Resolution), "the agent's own asking"
		}
		need := (a.Stalls.Max+seen)*StallMargin + float64(cur.LivenessTimeout)
		failures := max(cur.MinFailureThreshold, 1)
		period := max(int(math.Ceil(need/float64(failures))), cur.LivenessTimeout, 1)
		for failures*period < cur.ReadinessWindow { // PI-07: liveness acts after readiness
			period++
		}
		a.LivenessPeriod, a.LivenessFailures = period, failures
		a.LivenessReason = append(a.LivenessReason,
			fmt.Sprintf("%s of the live route ended with an answer: %s, each seen at %s (up to %s may be missing from it).", count(a.Stalls.N, "stall"), a.Stalls, at, secs(seen)),
			fmt.Sprintf("periodSeconds x failureThreshold (%d x %d = %ds) covers (the longest + %s) x %.1f + the timeout %ds = %s, with the fewest failures the chart allows (%d), a period no shorter than the timeout (PI-06), and a window no shorter than readiness's (%ds, PI-07).",
				period, failures, failures*period, secs(seen), StallMargin, cur.LivenessTimeout, secs(need), failures, cur.ReadinessWindow))
	}

	for _, c := range cur.Checks {
		name, _ := c["name"].(string)
		lat := checks[name]
		interval := toInt(c["intervalSeconds"])
		if lat.N == 0 || interval < 2 {
			continue
		}
		timeout := max(1, int(math.Ceil(lat.P99*LatencyMargin)))
		if timeout >= interval {
			timeout = interval - 1
		}
		if a.Checks == nil {
			a.Checks = make([]map[string]any, 0, len(cur.Checks))
			for _, orig := range cur.Checks {
				cp := map[string]any{}
				for k, v := range orig {
					cp[k] = v
				}
				a.Checks = append(a.Checks, cp)
			}
		}
		for _, cp := range a.Checks {
			if cp["name"] == name {
				cp["timeoutSeconds"] = timeout
			}
		}
		a.ChecksReason = append(a.ChecksReason, fmt.Sprintf("%s: %s, %s; timeoutSeconds %d = the P99 x %d rounded up, at least 1 and below intervalSeconds %d.",
			name, count(lat.N, runNoun), lat, timeout, LatencyMargin, interval))
	}
	return a, nil
}

// count says "1 pod", "2 pods".
func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

func secs(v float64) string {
	return (time.Duration(v * float64(time.Second))).Round(100 * time.Millisecond).String()
}

func toInt(v any) int {
	switch n := v.(type) {
	case int:
		return n
	case int64:
		return int(n)
	case float64:
		return int(n)
	}
	return 0
}
