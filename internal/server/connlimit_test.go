package server

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// serveLimited runs the harness's server on loopback with a connection limit.
func serveLimited(t *testing.T, h *harness, max int) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.srv.serveWithLimit(ctx, ln, max) }()
	t.Cleanup(func() { cancel(); <-done })
	return ln.Addr().String()
}

// keepAlive sends one request on a new connection, reads the answer and leaves the
// connection open (idle, kept alive).
func keepAlive(t *testing.T, addr, path string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	_, err = io.WriteString(c, "GET "+path+" HTTP/1.1\r\nHost: x\r\n\r\n")
	require.NoError(t, err)
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return c
}

// probe is one request on a fresh connection, as the kubelet sends it.
func probe(t *testing.T, addr, path string) (int, string) {
	t.Helper()
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 5 * time.Second}
	resp, err := client.Get("http://" + addr + path)
	require.NoError(t, err)
	defer resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("Cache-Control")
}

// An idle flood cannot lock the kubelet out: with every slot held by an idle kept-alive
// connection, a new probe is served and the longest-idle connection is closed for it.
func TestAnIdleFloodMakesRoomForTheNextProbe(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	addr := serveLimited(t, h, 3)
	idle := []net.Conn{keepAlive(t, addr, "/health/live"), keepAlive(t, addr, "/health/live"), keepAlive(t, addr, "/health/live")}

	code, _ := probe(t, addr, "/health/live")
	assert.Equal(t, http.StatusOK, code)
	assert.Equal(t, 1.0, testutil.ToFloat64(h.met.ShedCounter("evicted")))
	// Exactly one idle connection was closed for it.
	closed := 0
	for i, c := range idle {
		_ = c.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
		if _, err := c.Read(make([]byte, 1)); err == io.EOF {
			closed++
			t.Logf("connection %d closed", i)
		}
	}
	assert.Equal(t, 1, closed, "one idle connection closed to make room")
}

// When every slot is busy (probes waiting on a hung app), a newcomer gets 503 at once,
// cheaply, with no-store, instead of queueing; but a liveness probe is served all the
// same, since its failure would restart the container.
func TestWithEverySlotBusyANewcomerGets503AtOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.app.set("/app_id", "hang")
	addr := serveLimited(t, h, 2)
	for range 2 {
		go func() {
			client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 5 * time.Second}
			if resp, err := client.Get("http://" + addr + "/health/ready"); err == nil {
				resp.Body.Close()
			}
		}()
	}
	require.Eventually(t, func() bool { return h.srv.app != nil && h.app.calls.Load() >= 1 }, 5*time.Second, 5*time.Millisecond)
	time.Sleep(50 * time.Millisecond) // both requests reach the handler; no condition to await from outside

	begin := time.Now()
	code, cache := probe(t, addr, "/health/ready")
	assert.Equal(t, http.StatusServiceUnavailable, code)
	assert.Equal(t, "no-store", cache)
	assert.Less(t, time.Since(begin), time.Second, "refused at once, not after the app's timeout")
	assert.Equal(t, 1.0, testutil.ToFloat64(h.met.ShedCounter("refused")))

	code, cache = probe(t, addr, "/health/live")
	assert.Equal(t, http.StatusOK, code, "the liveness probe is answered truthfully over the limit")
	assert.Equal(t, "no-store", cache)
	assert.Equal(t, 1.0, testutil.ToFloat64(h.met.ShedCounter("served-over-limit")))
}

// Headers beyond the limit are refused before the handler runs.
func TestOversizedHeadersAreRefused(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	addr := serveLimited(t, h, 8)
	req, err := http.NewRequest(http.MethodGet, "http://"+addr+"/health/live", nil)
	require.NoError(t, err)
	req.Header.Set("X-Flood", strings.Repeat("x", 16<<10))
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusRequestHeaderFieldsTooLarge, resp.StatusCode)
}
