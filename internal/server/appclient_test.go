package server

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// countingServer counts the connections the client opens.
func countingServer(t *testing.T, h http.HandlerFunc) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var conns atomic.Int64
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, &conns
}

func getWithin(t *testing.T, a *appClient, path string, d time.Duration) (int, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	return a.get(ctx, path)
}

func TestAppClient(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	srv, conns := countingServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/ok":
			_, _ = io.WriteString(w, `{"app_id":1}`)
		case "/chunked":
			w.(http.Flusher).Flush() // forces chunked encoding
			_, _ = io.WriteString(w, "true")
		case "/close":
			w.Header().Set("Connection", "close")
			_, _ = io.WriteString(w, "bye")
		case "/big":
			_, _ = io.WriteString(w, strings.Repeat("x", maxAppBody+10))
		case "/hang":
			select {
			case <-release:
			case <-r.Context().Done():
			}
		default:
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	})
	t.Cleanup(func() { close(release) })

	t.Run("keeps one connection alive across sequential requests", func(t *testing.T) {
		a := newAppClient(srv.URL, nil)
		before := conns.Load()
		for range 20 {
			code, err := getWithin(t, a, "/ok", 5*time.Second)
			require.NoError(t, err)
			require.Equal(t, 200, code)
		}
		assert.Equal(t, int64(1), conns.Load()-before)
	})
	t.Run("reads chunked bodies and keeps the connection", func(t *testing.T) {
		a := newAppClient(srv.URL, nil)
		before := conns.Load()
		for range 3 {
			code, err := getWithin(t, a, "/chunked", 5*time.Second)
			require.NoError(t, err)
			assert.Equal(t, 200, code)
		}
		assert.Equal(t, int64(1), conns.Load()-before)
	})
	t.Run("does not reuse a connection the app closes or a body too large to drain", func(t *testing.T) {
		for _, path := range []string{"/close", "/big"} {
			a := newAppClient(srv.URL, nil)
			before := conns.Load()
			for range 3 {
				code, err := getWithin(t, a, path, 5*time.Second)
				require.NoError(t, err)
				assert.Equal(t, 200, code)
			}
			assert.Equal(t, int64(3), conns.Load()-before, path)
		}
	})
	t.Run("retries once when a kept-alive connection was closed by the app", func(t *testing.T) {
		a := newAppClient(srv.URL, nil)
		_, err := getWithin(t, a, "/ok", 5*time.Second)
		require.NoError(t, err)
		srv.CloseClientConnections()
		code, err := getWithin(t, a, "/ok", 5*time.Second)
		require.NoError(t, err)
		assert.Equal(t, 200, code)
	})
	t.Run("keeps the base URL's path as a prefix", func(t *testing.T) {
		a := newAppClient(srv.URL+"/", nil)
		code, err := getWithin(t, a, "/ok", 5*time.Second)
		require.NoError(t, err)
		assert.Equal(t, 200, code)
		prefixed := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/kotaemon/app_id" {
				http.NotFound(w, r)
			}
		}))
		defer prefixed.Close()
		code, err = getWithin(t, newAppClient(prefixed.URL+"/kotaemon/", nil), "/app_id", 5*time.Second)
		require.NoError(t, err)
		assert.Equal(t, 200, code)
	})
	t.Run("returns non-2xx codes as answers", func(t *testing.T) {
		a := newAppClient(srv.URL, nil)
		code, err := getWithin(t, a, "/unavailable", 5*time.Second)
		require.NoError(t, err)
		assert.Equal(t, 503, code)
	})
	t.Run("gives up at the context deadline and drops the connection", func(t *testing.T) {
		a := newAppClient(srv.URL, nil)
		_, err := getWithin(t, a, "/hang", 50*time.Millisecond)
		require.Error(t, err)
		code, err := getWithin(t, a, "/ok", 5*time.Second)
		require.NoError(t, err)
		assert.Equal(t, 200, code)
	})
	t.Run("fails fast on a closed port", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		addr := ln.Addr().String()
		ln.Close()
		_, err = getWithin(t, newAppClient("http://"+addr, nil), "/ok", 5*time.Second)
		assert.ErrorContains(t, err, "refused")
	})
}

func TestAppClientSpeaksHTTPS(t *testing.T) {
	t.Parallel()
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "1") }))
	defer srv.Close()
	a := newAppClient(srv.URL, srv.Client())
	code, err := getWithin(t, a, "/app_id", 5*time.Second)
	require.NoError(t, err)
	assert.Equal(t, 200, code)
}

// Regression: an interim 1xx answer (103 Early Hints) before the final 200 is one
// answer, 200, and leaves nothing behind on the connection: the next probe, while the
// app hangs, times out instead of reading a stale 200. (The hand-written client this
// replaced reported "status 103", then "up" from the leftover 200.)
func TestAnInterimAnswerIsNotTheAnswerAndLeavesNothingBehind(t *testing.T) {
	t.Parallel()
	var hang atomic.Bool
	release := make(chan struct{})
	srv, _ := countingServer(t, func(w http.ResponseWriter, r *http.Request) {
		if hang.Load() {
			select {
			case <-release:
			case <-r.Context().Done():
			}
			return
		}
		w.Header().Set("Link", "</style.css>; rel=preload")
		w.WriteHeader(http.StatusEarlyHints)
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, `{"app_id":1}`)
	})
	t.Cleanup(func() { close(release) })
	a := newAppClient(srv.URL, nil)
	code, err := getWithin(t, a, "/app_id", 5*time.Second)
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, code, "the final answer, not the interim one")

	hang.Store(true)
	code, err = getWithin(t, a, "/app_id", 200*time.Millisecond)
	assert.Error(t, err, "a hung app must not answer from a leftover (got %d)", code)
}

// Whatever the number of concurrent callers, the agent never holds more than
// maxAppConns connections to the app open at once (counted where they are opened).
func TestTheAgentOpensABoundedNumberOfConnectionsToTheApp(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	srv, _ := countingServer(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	a := newAppClient(srv.URL, nil)
	var open, most atomic.Int64
	tr := a.client.Transport.(*http.Transport)
	dial := tr.DialContext
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		n := open.Add(1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		return &countedConn{Conn: c, open: &open}, nil
	}
	done := make(chan struct{})
	for range 20 {
		go func() {
			defer func() { done <- struct{}{} }()
			_, _ = getWithin(t, a, "/hang", 300*time.Millisecond)
		}()
	}
	for range 20 {
		<-done
	}
	close(release)
	assert.LessOrEqual(t, most.Load(), int64(maxAppConns))
	assert.Positive(t, most.Load())
}

// countedConn decrements open once when closed.
type countedConn struct {
	net.Conn
	open   *atomic.Int64
	closed atomic.Bool
}

func (c *countedConn) Close() error {
	if c.closed.CompareAndSwap(false, true) {
		c.open.Add(-1)
	}
	return c.Conn.Close()
}

// A hostile app (an upgraded protocol, a header without end, a body that never comes)
// is down, within the probe's timeout, with the reason: never up, never a hung probe.
func TestAHostileAppIsDownWithinTheTimeout(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, answer, reason string }{
		{"101 Switching Protocols", "HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\nConnection: Upgrade\r\n\r\n", "switched protocols"},
		{"a 1 MiB header", "HTTP/1.1 200 OK\r\nX-Flood: " + strings.Repeat("x", 1<<20) + "\r\nContent-Length: 0\r\n\r\n", "header"},
		{"a 200 whose body stalls", "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial", "reading the answer's body"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			require.NoError(t, err)
			hold := make(chan struct{})
			t.Cleanup(func() { close(hold); ln.Close() })
			go func() {
				for {
					c, err := ln.Accept()
					if err != nil {
						return
					}
					go func() {
						defer c.Close()
						_, _ = http.ReadRequest(bufio.NewReader(c))
						_, _ = io.WriteString(c, tc.answer)
						<-hold
					}()
				}
			}()
			a := newAppClient("http://"+ln.Addr().String(), nil)
			begin := time.Now()
			_, err = getWithin(t, a, "/startup-events", 500*time.Millisecond)
			require.Error(t, err, "never up")
			assert.Contains(t, err.Error(), tc.reason)
			assert.Less(t, time.Since(begin), 2*time.Second, "within the probe's timeout")
		})
	}
}
