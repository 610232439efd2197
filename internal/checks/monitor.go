package checks

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"
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
	Prober   Prober
}

type entry struct {
	spec   Spec
	status atomic.Pointer[Status]
}

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
}

// NewMonitor prepares the checks; nothing runs before Start. Every critical check
// counts as failing until its first success.
func NewMonitor(specs []Spec, log *slog.Logger, rec Recorder) *Monitor {
	m := &Monitor{log: log, rec: rec, now: time.Now}
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

// CriticalOK reports whether every critical check's latest result is up. O(1).
func (m *Monitor) CriticalOK() bool { return m.failing.Load() == 0 }

// Snapshot returns every check's latest status in configuration order.
func (m *Monitor) Snapshot() []Status {
	out := make([]Status, len(m.entries))
	for i, e := range m.entries {
		out[i] = *e.status.Load()
	}
	return out
}

// Runs is the number of check runs completed so far (tests and benchmarks).
func (m *Monitor) Runs() int64 { return m.runCount.Load() }

// jitter spreads runs over [0.9, 1.1] x interval so that checks started together do
// not stay in step; the mean stays the interval.
func jitter(d time.Duration) time.Duration {
	spread := int64(d) / 5
	if spread <= 0 {
		return d
	}
	return d - d/10 + time.Duration(rand.Int64N(spread+1))
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
		// The cadence is measured from the start of a run; timeout < interval, so runs
		// never overlap.
		next := jitter(e.spec.Interval) - time.Since(begin)
		timer.Reset(max(next, 0))
	}
}

// runOnce runs one check now and records the result.
func (m *Monitor) runOnce(ctx context.Context, e *entry) {
	cctx, cancel := context.WithTimeout(ctx, e.spec.Timeout)
	begin := time.Now()
	err := e.spec.Prober.Probe(cctx)
	took := time.Since(begin)
	cancel()
	if ctx.Err() != nil { // shutting down: the result says nothing about the dependency
		return
	}
	m.record(e, err, took)
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
	next.State = StateUp
	if err != nil {
		next.State = StateDown
		next.LastError = err.Error()
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
		m.log.Info("state change", "component", e.spec.Name, "type", e.spec.Type,
			"critical", e.spec.Critical, "from", string(prev.State), "to", string(next.State), "reason", reason)
	}
	e.status.Store(&next)
}

// RunAll runs every check once, in order, and records the results (start-up and tests).
func (m *Monitor) RunAll(ctx context.Context) {
	for _, e := range m.entries {
		m.runOnce(ctx, e)
	}
}
