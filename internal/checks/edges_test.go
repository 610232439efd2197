package checks

// Boundaries of the checks and the monitor: each case sits where a one-character change
// in the code would move a result (found by mutation testing).

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"kotaemon-k8s/internal/config"
	"kotaemon-k8s/internal/statelog"
)

func TestOnlyARequestWithABodyDeclaresJSONContent(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	seen := map[string]string{} // path -> Content-Type
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen[r.URL.Path] = r.Header.Get("Content-Type")
		mu.Unlock()
		if r.Method == http.MethodPost {
			var v map[string]any
			if json.NewDecoder(r.Body).Decode(&v) != nil {
				w.WriteHeader(http.StatusBadRequest)
				return
			}
		}
		w.Write([]byte(`{"data":[]}`))
	}))
	t.Cleanup(srv.Close)
	require.NoError(t, probe(t, config.Check{Type: config.TypeGenerate, URL: srv.URL, Provider: "openai", Model: "m"}, config.CheckSecrets{}))
	require.NoError(t, probe(t, config.Check{Type: config.TypeOpenAI, URL: srv.URL}, config.CheckSecrets{}))
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, "application/json", seen["/chat/completions"], "POST with a JSON body")
	assert.Empty(t, seen["/models"], "a GET has no body to describe")
}

func TestSuccessIsExactlyTheTwoHundreds(t *testing.T) {
	t.Parallel()
	for code, ok := range map[int]bool{199: false, 200: true, 299: true, 300: false} {
		err := want2xx(http.MethodGet, "/x", code)
		assert.Equal(t, ok, err == nil, "status %d", code)
	}
}

func TestOllamaModelMatching(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, tags, model string
		ok                bool
	}{
		{"the name itself", `[{"name":"llama3"}]`, "llama3", true},
		{"the model field", `[{"name":"alias","model":"llama3"}]`, "llama3", true},
		{"an untagged name gains :latest", `[{"name":"llama3:latest"}]`, "llama3", true},
		{"another tag is another model", `[{"name":"llama3:8b"}]`, "llama3", false},
		{"none of several", `[{"name":"a"},{"name":"b","model":"c"}]`, "llama3", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.Write([]byte(`{"models":` + tc.tags + `}`))
			}))
			t.Cleanup(srv.Close)
			err := probe(t, config.Check{Type: config.TypeOllama, URL: srv.URL, Model: tc.model}, config.CheckSecrets{})
			if tc.ok {
				assert.NoError(t, err)
			} else {
				assert.ErrorContains(t, err, `model "llama3" not present`)
			}
		})
	}
}

func TestTCPErrorNamesTheCauseWithoutRepeatingTheDial(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	ln.Close()
	err = probe(t, config.Check{Type: config.TypeTCP, Address: addr}, config.CheckSecrets{})
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "dial tcp", "the net.OpError wrapper is dropped")
	assert.Contains(t, err.Error(), "connection refused")

	plain := errors.New("plain")
	assert.Equal(t, plain, unwrapOpError(plain))
	assert.Equal(t, plain, unwrapOpError(&net.OpError{Op: "dial", Err: plain}))
}

func TestDiskFreeSpace(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	free, err := freeBytes(dir)
	require.NoError(t, err)
	require.Greater(t, free, uint64(1<<20), "the test needs a filesystem with some room")
	// Half of what is free passes whatever else writes meanwhile; it would not if the
	// figure were not bytes (blocks times block size).
	assert.NoError(t, probe(t, config.Check{Type: config.TypeDisk, Path: dir, MinFreeBytes: free / 2}, config.CheckSecrets{}))

	assert.NoError(t, enoughFree(100, 100), "exactly the minimum is enough")
	assert.ErrorContains(t, enoughFree(99, 100), "99 bytes free, want at least 100")
	_, err = freeBytes(dir + "/absent")
	assert.ErrorContains(t, err, "statfs")
}

func TestSharedClientKeepsConnectionsAndDoesNotFollowRedirects(t *testing.T) {
	t.Parallel()
	c := NewClient()
	tr := c.Transport.(*http.Transport)
	assert.Equal(t, 2, tr.MaxIdleConnsPerHost)
	assert.Equal(t, 5*time.Minute, tr.IdleConnTimeout, "a connection outlives the longest check interval's idle gap")
	srv := httptest.NewServer(http.RedirectHandler("/elsewhere", http.StatusFound))
	t.Cleanup(srv.Close)
	assert.NoError(t, probe(t, config.Check{Type: config.TypeHTTP, URL: srv.URL, Path: "/", ExpectedStatus: []int{302}}, config.CheckSecrets{}))
}

func TestStalenessStartsJustPastTheMaximumAge(t *testing.T) {
	t.Parallel()
	spec := Spec{Name: "llm", Critical: true, Interval: time.Minute, Timeout: 5 * time.Second, Prober: &switchable{}}
	m := NewMonitor([]Spec{spec}, slog.New(slog.DiscardHandler), nil)
	now := time.Now()
	m.now = func() time.Time { return now }
	m.RunAll(context.Background())
	now = now.Add(spec.maxAge())
	assert.True(t, m.CriticalOK(), "a result exactly maxAge old is fresh")
	now = now.Add(time.Nanosecond)
	assert.False(t, m.CriticalOK(), "one nanosecond more is stale")
}

func TestJitterReachesBothEndsOfItsRange(t *testing.T) {
	t.Parallel()
	seen := map[time.Duration]bool{}
	for range 500 {
		seen[jitter(10)] = true
	}
	// 10 ns spreads over 9, 10 and 11 ns; 500 draws miss one with probability ~1e-88.
	assert.Equal(t, map[time.Duration]bool{9: true, 10: true, 11: true}, seen)
	assert.Equal(t, time.Duration(3), jitter(3), "nothing to spread below 5 ns")
}

func TestNextRunCountsFromTheStartOfTheLastRun(t *testing.T) {
	t.Parallel()
	for range 100 {
		d := nextRun(time.Second, 400*time.Millisecond)
		require.GreaterOrEqual(t, d, 500*time.Millisecond)
		require.LessOrEqual(t, d, 700*time.Millisecond)
	}
	assert.Equal(t, time.Duration(0), nextRun(time.Second, 2*time.Second), "a run longer than the interval is followed at once")
}

func TestEveryResultReachesTheRecorder(t *testing.T) {
	t.Parallel()
	down := &switchable{}
	down.set(errors.New("refused"))
	m, _, rec := newTestMonitor([]Spec{
		{Name: "up", Interval: time.Hour, Timeout: time.Second, Prober: &switchable{}},
		{Name: "down", Interval: time.Hour, Timeout: time.Second, Prober: down},
	})
	m.RunAll(context.Background())
	m.RunAll(context.Background())
	rec.mu.Lock()
	defer rec.mu.Unlock()
	assert.Equal(t, []bool{true, false, true, false}, rec.results)
}

func TestHeldBackStateChangesAreCountedOnTheNextLine(t *testing.T) {
	t.Parallel()
	p := &switchable{}
	m, lb, _ := newTestMonitor([]Spec{{Name: "llm", Type: "openai", Interval: time.Hour, Timeout: time.Second, FailureThreshold: 1, Prober: p}})
	const window = 200 * time.Millisecond
	m.logLimit = statelog.New(window, 1)
	m.RunAll(context.Background()) // unknown -> up: written
	p.set(errors.New("refused"))
	m.RunAll(context.Background()) // up -> down: held back
	time.Sleep(window + 50*time.Millisecond)
	p.set(nil)
	m.RunAll(context.Background()) // down -> up: written, with the count
	lines := lb.lines(t)
	require.Len(t, lines, 2)
	assert.NotContains(t, lines[0], "suppressed", "nothing was held back before the first line")
	assert.Equal(t, "down", lines[1]["from"])
	assert.EqualValues(t, 1, lines[1]["suppressed"])
}
