package checks

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// switchable is a prober whose result the test sets.
type switchable struct {
	mu    sync.Mutex
	err   error
	calls atomic.Int64
}

func (s *switchable) set(err error) { s.mu.Lock(); s.err = err; s.mu.Unlock() }

func (s *switchable) Probe(context.Context) error {
	s.calls.Add(1)
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// logBuffer collects JSON log lines safely.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) lines(t *testing.T) []map[string]any {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(l.buf.String()), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &m))
		out = append(out, m)
	}
	return out
}

type recorder struct {
	mu      sync.Mutex
	results []bool
}

func (r *recorder) CheckResult(_ string, up bool, _ time.Duration) {
	r.mu.Lock()
	r.results = append(r.results, up)
	r.mu.Unlock()
}

func newTestMonitor(specs []Spec) (*Monitor, *logBuffer, *recorder) {
	lb := &logBuffer{}
	rec := &recorder{}
	return NewMonitor(specs, slog.New(slog.NewJSONHandler(lb, nil)), rec), lb, rec
}

func TestCriticalCheckCountsAsFailingUntilItsFirstSuccess(t *testing.T) {
	t.Parallel()
	p := &switchable{}
	m, _, _ := newTestMonitor([]Spec{{Name: "llm", Type: "openai", Critical: true, Interval: time.Hour, Timeout: time.Second, Prober: p}})
	assert.False(t, m.CriticalOK(), "before the first run")
	assert.Equal(t, StateUnknown, m.Snapshot()[0].State)

	m.RunAll(context.Background())
	assert.True(t, m.CriticalOK(), "after a success")
	assert.Equal(t, StateUp, m.Snapshot()[0].State)
}

func TestStateChangesAreLoggedOnceAndCountedInReadiness(t *testing.T) {
	t.Parallel()
	crit, info := &switchable{}, &switchable{}
	m, logs, rec := newTestMonitor([]Spec{
		{Name: "llm", Type: "openai", Critical: true, Interval: time.Hour, Timeout: time.Second, Prober: crit},
		{Name: "disk", Type: "disk", Critical: false, Interval: time.Hour, Timeout: time.Second, Prober: info},
	})
	ctx := context.Background()
	steps := []struct {
		name          string
		critErr       error
		infoErr       error
		wantOK        bool
		wantLogsAfter int
	}{
		{"both up: two transitions from unknown", nil, nil, true, 2},
		{"both still up: no new log line", nil, nil, true, 2},
		{"informational down: readiness unaffected", nil, errors.New("full"), true, 3},
		{"critical down: readiness fails", errors.New("status 500"), errors.New("full"), false, 4},
		{"critical still down: no new log line", errors.New("status 502"), errors.New("full"), false, 4},
		{"critical back up", nil, nil, true, 6},
	}
	for _, s := range steps {
		crit.set(s.critErr)
		info.set(s.infoErr)
		m.RunAll(ctx)
		assert.Equal(t, s.wantOK, m.CriticalOK(), s.name)
		assert.Len(t, logs.lines(t), s.wantLogsAfter, s.name)
	}
	lines := logs.lines(t)
	down := lines[3]
	assert.Equal(t, "llm", down["component"])
	assert.Equal(t, "up", down["from"])
	assert.Equal(t, "down", down["to"])
	assert.Equal(t, "status 500", down["reason"])
	snap := m.Snapshot()
	assert.Equal(t, "", snap[0].LastError)
	rec.mu.Lock()
	assert.Len(t, rec.results, 2*len(steps), "every run is recorded")
	rec.mu.Unlock()
}

func TestMonitorRunsChecksInTheBackgroundUntilCancelled(t *testing.T) {
	t.Parallel()
	p := &switchable{}
	m, _, _ := newTestMonitor([]Spec{{Name: "tei", Type: "tei", Critical: true, Interval: 20 * time.Millisecond, Timeout: 10 * time.Millisecond, Prober: p}})
	ctx, cancel := context.WithCancel(context.Background())
	m.Start(ctx)
	m.Start(ctx) // a second Start is a no-op

	// Runs counts a run once its result is recorded; the prober's own count goes up as a
	// run starts, so waiting on it could cancel the third run before it is counted.
	deadline := time.After(10 * time.Second)
	for m.Runs() < 3 {
		select {
		case <-deadline:
			t.Fatalf("only %d runs before the deadline (%d prober calls)", m.Runs(), p.calls.Load())
		case <-time.After(5 * time.Millisecond):
		}
	}
	assert.True(t, m.CriticalOK())
	cancel()
	done := make(chan struct{})
	go func() { m.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("check goroutines did not stop")
	}
	assert.GreaterOrEqual(t, m.Runs(), int64(3))
}

func TestTimedOutCheckIsDown(t *testing.T) {
	t.Parallel()
	slow := ProberFunc(func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() })
	m, _, _ := newTestMonitor([]Spec{{Name: "slow", Type: "http", Critical: true, Interval: time.Hour, Timeout: 10 * time.Millisecond, Prober: slow}})
	m.RunAll(context.Background())
	st := m.Snapshot()[0]
	assert.Equal(t, StateDown, st.State)
	assert.Contains(t, st.LastError, "deadline exceeded")
	assert.False(t, m.CriticalOK())
}

func TestJitterStaysWithinTenPercent(t *testing.T) {
	t.Parallel()
	for _, d := range []time.Duration{time.Nanosecond, 3 * time.Nanosecond, time.Second, 30 * time.Second, 10 * time.Minute} {
		for range 1000 {
			j := jitter(d)
			require.GreaterOrEqual(t, j, d-d/10, "interval %s", d)
			require.LessOrEqual(t, j, d+d/10, "interval %s", d)
		}
	}
}
