package checks

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// stuck is a prober that ignores its context (a hung network filesystem under a disk
// check): it returns only when released.
type stuck struct {
	release chan struct{}
	calls   atomic.Int64
}

func (s *stuck) Probe(context.Context) error {
	s.calls.Add(1)
	<-s.release
	return nil
}

// Regression: a check that ignores its context is abandoned at its timeout and reported
// down; while it is still stuck no second run starts beside it (one goroutine, not one
// per interval); and shutdown does not wait for it.
func TestACheckThatIgnoresItsContextIsAbandonedAtItsTimeout(t *testing.T) {
	t.Parallel()
	s := &stuck{release: make(chan struct{})}
	defer close(s.release)
	m := NewMonitor([]Spec{{Name: "nfs", Type: "disk", Critical: true, Interval: 30 * time.Millisecond, Timeout: 20 * time.Millisecond, FailureThreshold: 1, Prober: s}}, slog.New(slog.DiscardHandler), nil)
	ctx, cancel := context.WithCancel(context.Background())
	m.Start(ctx)
	require.Eventually(t, func() bool { return m.Runs() >= 3 }, 5*time.Second, 5*time.Millisecond, "runs go on while the prober hangs")
	st := m.Snapshot()[0]
	assert.Equal(t, StateDown, st.State)
	assert.False(t, m.CriticalOK())
	assert.Equal(t, int64(1), s.calls.Load(), "no second prober beside the stuck one")

	stopped := make(chan struct{})
	go func() { cancel(); m.Wait(); close(stopped) }()
	select {
	case <-stopped:
	case <-time.After(2 * time.Second):
		t.Fatal("shutdown waited for a stuck check")
	}
}

// Regression: a result older than interval + timeout is not trusted: a critical check
// whose last result was "up" long ago counts as unknown, and readiness fails.
func TestAStaleResultCountsAsUnknown(t *testing.T) {
	t.Parallel()
	p := &switchable{}
	m := NewMonitor([]Spec{{Name: "llm", Type: "openai", Critical: true, Interval: time.Minute, Timeout: 5 * time.Second, Prober: p}}, slog.New(slog.DiscardHandler), nil)
	now := time.Now()
	m.now = func() time.Time { return now }
	m.RunAll(context.Background())
	require.True(t, m.CriticalOK())

	now = now.Add(time.Minute + 6*time.Second) // within interval + jitter + timeout
	assert.True(t, m.CriticalOK(), "a result within its interval, jitter and timeout is fresh")
	now = now.Add(10 * time.Second)
	assert.False(t, m.CriticalOK(), "an older one is not")
	assert.Equal(t, StateUnknown, m.Snapshot()[0].State)
}

// A check changes state only after failureThreshold consecutive failed runs, and comes
// back after successThreshold consecutive passed runs: one blip does not take the pod
// out of traffic.
func TestCheckThresholdsCountConsecutiveRuns(t *testing.T) {
	t.Parallel()
	p := &switchable{}
	m := NewMonitor([]Spec{{Name: "llm", Type: "openai", Critical: true, Interval: time.Hour, Timeout: time.Second,
		FailureThreshold: 3, SuccessThreshold: 2, Prober: p}}, slog.New(slog.DiscardHandler), nil)
	run := func() State { m.RunAll(context.Background()); return m.Snapshot()[0].State }

	assert.Equal(t, StateUnknown, run(), "one pass of two needed")
	assert.Equal(t, StateUp, run())
	p.set(errors.New("blip"))
	assert.Equal(t, StateUp, run(), "one failure of three: still up")
	p.set(nil)
	assert.Equal(t, StateUp, run(), "a pass resets the failures")
	p.set(errors.New("outage"))
	run()
	run()
	assert.True(t, m.CriticalOK(), "two failures of three")
	assert.Equal(t, StateDown, run())
	assert.False(t, m.CriticalOK())
	p.set(nil)
	assert.Equal(t, StateDown, run(), "one pass of two")
	assert.Equal(t, StateUp, run())
	assert.True(t, m.CriticalOK())
}
