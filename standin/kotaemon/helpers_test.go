package kotaemon

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// waitLimit bounds every wait on a condition; generous because -race on two shared cores
// is slow, and a passing run never waits it out.
const waitLimit = 10 * time.Second

// stall is how long a request must go unanswered to count as stalled. Short, since every
// stalled case is also shown to answer once the fault is cleared.
const stall = 300 * time.Millisecond

// harness is one stand-in started on loopback, with its signal channel and fake timers.
type harness struct {
	s       *Standin
	sigs    chan os.Signal
	timers  *fakeTimers
	control ControlClient
	logs    *syncBuffer
	cancel  context.CancelFunc
	raised  atomic.Int32 // default actions taken (the process "died" by a signal)
}

// testOptions listen on 127.0.0.1 port 0 only and keep their data in a fresh temp dir.
func testOptions(t *testing.T) Options {
	o := DefaultOptions()
	o.AppHost, o.AppPort = "127.0.0.1", 0
	o.ControlHost, o.ControlPort = "127.0.0.1", 0
	o.DataDir = t.TempDir()
	o.Workers = 2
	o.Drain = 5 * time.Second
	return o
}

func start(t *testing.T, o Options) *harness {
	t.Helper()
	h := &harness{sigs: make(chan os.Signal, 1), timers: newFakeTimers(), logs: &syncBuffer{}}
	o.Signals, o.after = h.sigs, h.timers.after
	if o.raise == nil {
		o.raise = func(syscall.Signal) bool { h.raised.Add(1); return false }
	}
	ctx, cancel := context.WithCancel(context.Background())
	s, err := Start(ctx, o, slog.New(slog.NewJSONHandler(h.logs, nil)))
	require.NoError(t, err)
	h.s, h.cancel = s, cancel
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

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }

// stop cancels the stand-in and waits, so a second start can reuse the data dir.
func (h *harness) stop(t *testing.T) {
	t.Helper()
	h.cancel()
	h.wait(t)
}

// wait returns Run's result once the stand-in has stopped by itself.
func (h *harness) wait(t *testing.T) error {
	t.Helper()
	select {
	case <-h.s.Done():
		return h.s.Wait()
	case <-time.After(waitLimit):
		t.Fatalf("stand-in still running after %s", waitLimit)
		return nil
	}
}

// await polls the state until cond holds; the state is returned for further checks.
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

// bound waits for the app port and returns its base URL.
func (h *harness) bound(t *testing.T) string {
	t.Helper()
	st := h.await(t, "the app port to bind", func(st State) bool { return st.BoundAt != nil })
	return "http://" + st.AppAddr
}

func (h *harness) setFault(t *testing.T, kind Fault, seconds int) State {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	st, err := h.control.SetFault(ctx, kind, seconds)
	require.NoError(t, err)
	return st
}

// reply is what one app request got.
type reply struct {
	code int
	body string
	err  error
}

// get issues one request bounded by timeout; a stall shows up as a deadline error.
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

// getAsync runs get in the background, for requests that must stay in flight.
func getAsync(url string, timeout time.Duration) <-chan reply {
	out := make(chan reply, 1)
	go func() { out <- get(url, timeout) }()
	return out
}

func requireStalled(t *testing.T, r reply, route string) {
	t.Helper()
	require.Error(t, r.err, "%s answered %d %q, want no answer", route, r.code, r.body)
	require.True(t, errors.Is(r.err, context.DeadlineExceeded), "%s: want a timeout, got %v", route, r.err)
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

func refused(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return true
	}
	_ = c.Close()
	return false
}

// freeLoopbackAddr finds a port that is closed now, so a test can show it stays closed.
func freeLoopbackAddr(t *testing.T) (string, int) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().(*net.TCPAddr)
	require.NoError(t, ln.Close())
	return addr.String(), addr.Port
}

// fakeTimers hands each timer request to the test, which fires it when it chooses.
type fakeTimers struct{ requests chan timerRequest }

type timerRequest struct {
	d    time.Duration
	fire chan time.Time
}

func newFakeTimers() *fakeTimers { return &fakeTimers{requests: make(chan timerRequest, 16)} }

func (f *fakeTimers) after(d time.Duration) <-chan time.Time {
	r := timerRequest{d: d, fire: make(chan time.Time, 1)}
	f.requests <- r
	return r.fire
}

func (f *fakeTimers) next(t *testing.T) timerRequest {
	t.Helper()
	select {
	case r := <-f.requests:
		return r
	case <-time.After(waitLimit):
		t.Fatalf("no timer requested within %s", waitLimit)
		return timerRequest{}
	}
}

func (r timerRequest) elapse() { r.fire <- time.Now() }

// syncBuffer collects the JSON log lines written from several goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// messages lists the msg of every log line, in order.
func (b *syncBuffer) messages() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for _, line := range strings.Split(strings.TrimSpace(b.buf.String()), "\n") {
		var rec struct{ Msg string }
		if json.Unmarshal([]byte(line), &rec) == nil {
			out = append(out, rec.Msg)
		}
	}
	return out
}
