package dependency

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// waitLimit bounds every wait on a condition; generous because -race on two shared cores
// is slow, and a passing run never waits it out.
const waitLimit = 10 * time.Second

// stall is how long a request must go unanswered to count as hung. Short, since every
// hung case is also shown to answer once the mode changes.
const stall = 300 * time.Millisecond

type harness struct {
	s       *Standin
	sigs    chan os.Signal
	clock   *fakeClock
	control ControlClient
}

// testOptions listen on 127.0.0.1 port 0 only.
func testOptions() Options {
	o := DefaultOptions()
	o.Listen = "127.0.0.1:0"
	o.ControlHost, o.ControlPort = "127.0.0.1", 0
	return o
}

func start(t *testing.T, o Options) *harness {
	t.Helper()
	h := &harness{sigs: make(chan os.Signal, 1), clock: &fakeClock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}}
	o.Signals, o.now = h.sigs, h.clock.now
	ctx, cancel := context.WithCancel(context.Background())
	s, err := Start(ctx, o, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	h.s = s
	h.control = NewControlClient(s.ControlURL(), &http.Client{Timeout: waitLimit})
	t.Cleanup(func() {
		cancel()
		select {
		case <-s.Done():
		case <-time.After(waitLimit):
			t.Errorf("stand-in did not stop within %s of cancel", waitLimit)
		}
	})
	return h
}

func (h *harness) setMode(t *testing.T, mode Mode, period time.Duration) State {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	st, err := h.control.SetMode(ctx, mode, period)
	require.NoError(t, err)
	return st
}

// await polls the state until cond holds.
func (h *harness) await(t *testing.T, what string, cond func(State) bool) State {
	t.Helper()
	deadline := time.After(waitLimit)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		st := h.s.State()
		if cond(st) {
			return st
		}
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatalf("waited %s for %s; last state %+v", waitLimit, what, st)
		}
	}
}

type reply struct {
	code int
	body string
	err  error
}

func get(url string, timeout time.Duration) reply {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return reply{err: err}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return reply{err: err}
	}
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(resp.Body)
	return reply{code: resp.StatusCode, body: string(b), err: err}
}

func getAsync(url string, timeout time.Duration) <-chan reply {
	out := make(chan reply, 1)
	go func() { out <- get(url, timeout) }()
	return out
}

func receive(t *testing.T, ch <-chan reply, what string) reply {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(waitLimit):
		t.Fatalf("no reply for %s within %s", what, waitLimit)
		return reply{}
	}
}

func requireHung(t *testing.T, r reply, route string) {
	t.Helper()
	require.Error(t, r.err, "%s answered %d %q, want no answer", route, r.code, r.body)
	require.True(t, errors.Is(r.err, context.DeadlineExceeded), "%s: want a timeout, got %v", route, r.err)
}

// fakeClock lets a test step through flap periods without waiting them out.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}
