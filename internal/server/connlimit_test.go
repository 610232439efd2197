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

// When every slot is busy (probes waiting on a hung app), a newcomer that is not a probe
// gets 503 at once, cheaply, with no-store, instead of queueing; but the kubelet's probes
// are served all the same (a failed liveness probe restarts the container, a failed
// readiness probe takes it out of traffic): liveness truthfully 200, readiness
// truthfully 503 after its own timeout, the app's worker route hanging.
func TestWithEverySlotBusyANewcomerGets503AtOnceButProbesAreServed(t *testing.T) {
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
	code, cache := probe(t, addr, "/metrics")
	assert.Equal(t, http.StatusServiceUnavailable, code)
	assert.Equal(t, "no-store", cache)
	assert.Less(t, time.Since(begin), time.Second, "refused at once, not after the app's timeout")
	assert.Equal(t, 1.0, testutil.ToFloat64(h.met.ShedCounter("refused")))

	code, cache = probe(t, addr, "/health/live")
	assert.Equal(t, http.StatusOK, code, "the liveness probe is answered truthfully over the limit")
	assert.Equal(t, "no-store", cache)
	code, _ = probe(t, addr, "/health/ready")
	assert.Equal(t, http.StatusServiceUnavailable, code, "the readiness probe is answered truthfully over the limit")
	assert.Equal(t, 2.0, testutil.ToFloat64(h.met.ShedCounter("served-over-limit")))
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

// A request that announces a body it never sends would hold its connection busy while
// net/http waits to discard the body: no endpoint reads one, so the answer comes with
// Connection: close and the connection is gone at once, its slot free for the next probe.
func TestARequestWithABodyItNeverSendsDoesNotHoldItsConnection(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	addr := serveLimited(t, h, 1)
	c, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	_, err = io.WriteString(c, "GET /health/live HTTP/1.1\r\nHost: x\r\nContent-Length: 4096\r\n\r\n")
	require.NoError(t, err)
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	assert.True(t, resp.Close, "answered with Connection: close")
	begin := time.Now()
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err = br.ReadByte()
	assert.ErrorIs(t, err, io.EOF, "the server closed the connection")
	assert.Less(t, time.Since(begin), time.Second, "at once, not after the read timeout")

	code, _ := probe(t, addr, "/health/live")
	assert.Equal(t, http.StatusOK, code)
	assert.Zero(t, testutil.ToFloat64(h.met.ShedCounter("refused")))
}

// A client that pipelines requests without reading the answers gets at most
// maxRequestsPerConn of them; the last says Connection: close and the connection ends.
func TestAConnectionCarriesABoundedNumberOfRequests(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	addr := serveLimited(t, h, 4)
	c, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	_, err = io.WriteString(c, strings.Repeat("GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n", 3*maxRequestsPerConn))
	require.NoError(t, err)
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	br := bufio.NewReader(c)
	answers := 0
	for {
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			break
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		answers++
		if resp.Close {
			break
		}
	}
	assert.Equal(t, maxRequestsPerConn, answers)
	_, err = br.ReadByte()
	assert.ErrorIs(t, err, io.EOF, "closed after the last allowed answer")
}

// Connections that never send their request (a flood of silent connects) are the first
// to go when the limit is reached: a probe always finds room.
func TestSilentConnectionsMakeRoomForTheNextProbe(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	addr := serveLimited(t, h, 3)
	for range 10 {
		c, err := net.Dial("tcp", addr)
		require.NoError(t, err)
		t.Cleanup(func() { c.Close() })
	}
	for range 5 {
		code, _ := probe(t, addr, "/health/ready")
		assert.Equal(t, http.StatusOK, code)
	}
	assert.Zero(t, testutil.ToFloat64(h.met.ShedCounter("refused")), "never refused: silent connections were evicted")
	assert.Positive(t, testutil.ToFloat64(h.met.ShedCounter("evicted")))
}

// At the limit the victim is the connection waiting longest without a request under
// way; when every one is busy, the one whose answer has been stuck longest in a write
// its client does not read; when none is stuck, nobody.
func TestTheVictimIsIdleFirstThenStalledThenNone(t *testing.T) {
	t.Parallel()
	now := time.Now()
	stuck := func(ago time.Duration) *trackedConn {
		c := &trackedConn{}
		if ago > 0 {
			c.writingSince.Store(now.Add(-ago).UnixNano())
		}
		return c
	}
	busyMoving, busyStuck, busyStuckLonger, idleOld, idleNew := stuck(0), stuck(time.Second), stuck(2*time.Second), stuck(0), stuck(0)
	l := newConnLimit(5, func(string) {}, nil, nil)
	l.conns[busyMoving] = connInfo{busy: true, since: now.Add(-time.Hour)}
	l.conns[busyStuck] = connInfo{busy: true, since: now.Add(-time.Hour)}
	l.conns[busyStuckLonger] = connInfo{busy: true, since: now}
	l.conns[idleOld] = connInfo{since: now.Add(-time.Minute)}
	l.conns[idleNew] = connInfo{since: now}
	assert.Same(t, idleOld, l.victimLocked(now), "the longest idle first")
	delete(l.conns, idleOld)
	delete(l.conns, idleNew)
	assert.Same(t, busyStuckLonger, l.victimLocked(now), "then the longest stalled write")
	delete(l.conns, busyStuck)
	delete(l.conns, busyStuckLonger)
	l.conns[stuck(stallAfter/2)] = connInfo{busy: true, since: now}
	assert.Nil(t, l.victimLocked(now), "a busy connection whose write is moving is never a victim")
}
