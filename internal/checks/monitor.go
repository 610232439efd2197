package checks

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"kotaemon-k8s/internal/statelog"
)

// State of a component.
type State string

// States. Unknown is a check that has not finished its first run; it counts as failing.
const (
	StateUnknown State = "unknown"
	StateUp      State = "up"
	StateDown    State = "down"
)

// Status is an immutable snapshot of one check's latest result.
type Status struct {
	Name           string
	Type           string
	Critical       bool
	State          State
	Latency        time.Duration
	LastError      string
	LastTransition time.Time
	LastRun        time.Time
}

// Recorder receives every result (metrics).
type Recorder interface {
	CheckResult(name string, up bool, took time.Duration)
}

// Spec is one check to run.
type Spec struct {
	Name     string
	Type     string
	Critical bool
	Interval time.Duration
	Timeout  time.Duration
	// Consecutive failed runs before the check is down, and passed runs before it is up
	// (0 means 1): one blip of a dependency does not take every pod out of traffic.
	FailureThreshold int
	SuccessThreshold int
	Prober           Prober
}

type entry struct {
	spec   Spec
	status atomic.Pointer[Status]
	// streak counts consecutive results alike (guarded by Monitor.mu): passed > 0 or
	// failed > 0.
	passed, failed int
	// hung is set while a run that outlived its timeout is still inside the prober (it
	// ignored its context): no second run is started beside it.
	hung atomic.Bool
}

// maxAge is how old a result may be before it counts as unknown: one interval with its
// jitter, plus the run's timeout.
func (s Spec) maxAge() time.Duration { return LongestWait(s.Interval) + s.Timeout }

// LongestWait is the longest jitter puts between two runs' starts: 1.1 x interval.
func LongestWait(interval time.Duration) time.Duration { return interval + interval/10 }

// Monitor runs checks in the background and keeps their latest results.
type Monitor struct {
	entries  []*entry
	log      *slog.Logger
	rec      Recorder
	now      func() time.Time
	mu       sync.Mutex // serialises updates of criticalFailing
	failing  atomic.Int64
	started  atomic.Bool
	wg       sync.WaitGroup
	runCount atomic.Int64
	logLimit *statelog.Limiter
}

// NewMonitor prepares the checks; nothing runs before Start. Every critical check
// counts as failing until its first success.
func NewMonitor(specs []Spec, log *slog.Logger, rec Recorder) *Monitor {
	m := &Monitor{log: log, rec: rec, now: time.Now, logLimit: statelog.New(statelog.DefaultWindow, statelog.DefaultBurst)}
	start := m.now()
	for _, s := range specs {
		e := &entry{spec: s}
		e.status.Store(&Status{Name: s.Name, Type: s.Type, Critical: s.Critical, State: StateUnknown, LastTransition: start})
		if s.Critical {
			m.failing.Add(1)
		}
		m.entries = append(m.entries, e)
	}
	return m
}

// Start launches one goroutine per check; they stop when ctx ends (see Wait).
func (m *Monitor) Start(ctx context.Context) {
	if !m.started.CompareAndSwap(false, true) {
		return
	}
	for _, e := range m.entries {
		m.wg.Add(1)
		go func() {
			defer m.wg.Done()
			m.loop(ctx, e)
		}()
	}
}

// Wait blocks until every check goroutine has returned after ctx ended.
func (m *Monitor) Wait() { m.wg.Wait() }

// CriticalOK reports whether every critical check's latest result is up and fresh: a
// result older than its interval plus its timeout says nothing about now (a check
// that stopped producing results is unknown, and unknown is not up).
func (m *Monitor) CriticalOK() bool {
	if m.failing.Load() != 0 {
		return false
	}
	now := m.now()
	for _, e := range m.entries {
		if e.spec.Critical && m.stale(e.status.Load(), e.spec, now) {
			return false
		}
	}
	return true
}

// stale reports a result too old to trust (only results that exist can be stale).
func (m *Monitor) stale(st *Status, spec Spec, now time.Time) bool {
	return !st.LastRun.IsZero() && now.Sub(st.LastRun) > spec.maxAge()
}

// Snapshot returns every check's latest status in configuration order; a stale result
// shows as unknown.
func (m *Monitor) Snapshot() []Status {
	now := m.now()
	out := make([]Status, len(m.entries))
	for i, e := range m.entries {
		out[i] = *e.status.Load()
		if m.stale(&out[i], e.spec, now) {
			out[i].State = StateUnknown
			out[i].LastError = "no result since " + out[i].LastRun.UTC().Format(time.RFC3339)
		}
	}
	return out
}

// Runs is the number of check runs completed so far (tests and benchmarks).
func (m *Monitor) Runs() int64 { return m.runCount.Load() }

// jitter spreads runs over [0.9, 1.1] x interval (up to LongestWait) so that checks
// started together do not stay in step; the mean stays the interval.
// Intervals are positive (config bounds); below 5 ns there is nothing to spread.
func jitter(d time.Duration) time.Duration {
	return d - d/10 + time.Duration(rand.Int64N(int64(d)/5+1))
}

// nextRun is the wait before the next run of a check whose run took took: the cadence is
// measured from the start of a run, and a run longer than the interval is followed at
// once (timeout < interval, so runs never overlap).
func nextRun(interval, took time.Duration) time.Duration {
	return max(jitter(interval)-took, 0)
}

func (m *Monitor) loop(ctx context.Context, e *entry) {
	timer := time.NewTimer(0) // first run at once
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		begin := time.Now()
		m.runOnce(ctx, e)
		if ctx.Err() != nil {
			return
		}
		timer.Reset(nextRun(e.spec.Interval, time.Since(begin)))
	}
}

// runOnce runs one check now and records the result. The prober runs in a goroutine of
// its own, so a prober that ignores its context (a hung network filesystem under a disk
// check) is abandoned at its timeout: it blocks neither the next run nor shutdown, and
// while it is still stuck no second one is started beside it.
func (m *Monitor) runOnce(ctx context.Context, e *entry) {
	begin := time.Now()
	if e.hung.Load() {
		m.record(e, fmt.Errorf("the previous run is still stuck after its %s timeout", e.spec.Timeout), 0)
		return
	}
	cctx, cancel := context.WithTimeout(ctx, e.spec.Timeout)
	defer cancel()
	result := make(chan error, 1)
	e.hung.Store(true)
	go func() {
		err := e.spec.Prober.Probe(cctx)
		e.hung.Store(false)
		result <- err
	}()
	var err error
	select {
	case err = <-result:
	case <-cctx.Done():
		// The context ended but the prober did not answer: either it is finishing
		// right now, or it ignores its context.
		select {
		case err = <-result:
		default:
			err = fmt.Errorf("no result within %s: %w", e.spec.Timeout, context.DeadlineExceeded)
		}
	}
	if ctx.Err() != nil { // shutting down: the result says nothing about the dependency
		return
	}
	m.record(e, err, time.Since(begin))
}

func (m *Monitor) record(e *entry, err error, took time.Duration) {
	m.runCount.Add(1)
	if m.rec != nil {
		m.rec.CheckResult(e.spec.Name, err == nil, took)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	prev := e.status.Load()
	next := *prev
	next.Latency = took
	next.LastRun = m.now()
	next.LastError = ""
	if err != nil {
		next.LastError = err.Error()
		e.failed, e.passed = e.failed+1, 0
		if e.failed >= max(e.spec.FailureThreshold, 1) {
			next.State = StateDown
		}
	} else {
		e.passed, e.failed = e.passed+1, 0
		if e.passed >= max(e.spec.SuccessThreshold, 1) {
			next.State = StateUp
		}
	}
	if next.State != prev.State {
		next.LastTransition = next.LastRun
		if e.spec.Critical {
			if prev.State == StateUp {
				m.failing.Add(1)
			}
			if next.State == StateUp {
				m.failing.Add(-1)
			}
		}
		reason := "check passed"
		if err != nil {
			reason = next.LastError
		}
		if ok, held := m.logLimit.Allow(e.spec.Name); ok {
			attrs := []any{"component", e.spec.Name, "type", e.spec.Type,
				"critical", e.spec.Critical, "from", string(prev.State), "to", string(next.State), "reason", reason}
			if held > 0 {
				attrs = append(attrs, "suppressed", held)
			}
			m.log.Info("state change", attrs...)
		}
	}
	e.status.Store(&next)
}

// RunAll runs every check once, in order, and records the results (start-up and tests).
func (m *Monitor) RunAll(ctx context.Context) {
	for _, e := range m.entries {
		m.runOnce(ctx, e)
	}
}
