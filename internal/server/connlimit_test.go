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
	// A probe is a GET or a HEAD: a HEAD is served too, any other method on a probe's path
	// is refused like any other caller.
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 5 * time.Second}
	resp, err := client.Head("http://" + addr + "/health/live")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode, "a HEAD liveness probe is served over the limit")
	resp, err = client.Post("http://"+addr+"/health/live", "text/plain", nil)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode, "a POST is no probe")
	assert.Equal(t, 2.0, testutil.ToFloat64(h.met.ShedCounter("refused")))

	code, _ = probe(t, addr, "/health/ready")
	assert.Equal(t, http.StatusServiceUnavailable, code, "the readiness probe is answered truthfully over the limit")
	assert.Equal(t, 3.0, testutil.ToFloat64(h.met.ShedCounter("served-over-limit")))
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

// Connections that never send their request (a flood of silent connects) are closed to
// make room once they have had requestGrace to speak: a probe always finds room.
func TestSilentConnectionsMakeRoomForTheNextProbe(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	addr := serveLimited(t, h, 3)
	for range 3 {
		c, err := net.Dial("tcp", addr)
		require.NoError(t, err)
		t.Cleanup(func() { c.Close() })
	}
	time.Sleep(requestGrace + 50*time.Millisecond)
	for range 5 {
		code, _ := probe(t, addr, "/health/ready")
		assert.Equal(t, http.StatusOK, code)
	}
	assert.Zero(t, testutil.ToFloat64(h.met.ShedCounter("refused")), "never refused: silent connections were evicted")
	assert.Zero(t, testutil.ToFloat64(h.met.ShedCounter("served-over-limit")), "every probe had a slot")
	assert.Positive(t, testutil.ToFloat64(h.met.ShedCounter("evicted")), "a silent connection closed for the first probe")
}

// A stream of callers that connect, ask and hold their connection cannot cut a probe
// between its connect and its request: the kept-alive connections (they had their
// answer) go first, and a fresh connection has requestGrace to send its request.
func TestReconnectingCallersDoNotCutAProbeBeforeItsRequest(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	addr := serveLimited(t, h, 3)
	for range 3 {
		keepAlive(t, addr, "/health/live")
	}
	kubelet, err := net.Dial("tcp", addr) // connected, its request not yet written
	require.NoError(t, err)
	defer kubelet.Close()
	for range 10 {
		keepAlive(t, addr, "/health/live")
	}
	_, err = io.WriteString(kubelet, "GET /health/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
	require.NoError(t, err)
	_ = kubelet.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(kubelet), nil)
	require.NoError(t, err, "the probe's connection was kept for its request")
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
}

// At the limit the victim is the kept-alive connection idle longest since its answer;
// then the one that has not sent its request in requestGrace; then the one whose answer
// has been stuck longest in a write its client does not read; else nobody: neither a
// fresh connection nor a busy one whose write moves.
func TestTheVictimIsKeptThenSilentThenStalledThenNone(t *testing.T) {
	t.Parallel()
	now := time.Now()
	conn := func(stalledFor time.Duration) *trackedConn {
		c := &trackedConn{}
		if stalledFor > 0 {
			c.writingSince.Store(now.Add(-stalledFor).UnixNano())
		}
		return c
	}
	l := newConnLimit(8, func(string) {}, nil, nil)
	busyMoving, busyStuck, busyStuckLonger := conn(stallAfter/2), conn(time.Second), conn(2*time.Second)
	fresh, silent, silentLonger, kept, keptLonger := conn(0), conn(0), conn(0), conn(0), conn(0)
	l.conns[busyMoving] = connInfo{busy: true, since: now.Add(-time.Hour)}
	l.conns[busyStuck] = connInfo{busy: true, since: now.Add(-time.Hour)}
	l.conns[busyStuckLonger] = connInfo{busy: true, since: now}
	l.conns[fresh] = connInfo{since: now.Add(-requestGrace / 2)}
	l.conns[silent] = connInfo{since: now.Add(-requestGrace)}
	l.conns[silentLonger] = connInfo{since: now.Add(-time.Minute)}
	l.conns[kept] = connInfo{served: true, since: now}
	l.conns[keptLonger] = connInfo{served: true, since: now.Add(-time.Second)}

	for _, want := range []struct {
		conn net.Conn
		why  string
	}{
		{keptLonger, "the longest kept-alive first"},
		{kept, "then the other kept-alive one, however recent"},
		{silentLonger, "then the longest silent past its grace"},
		{silent, "then the silent one at the end of its grace"},
		{busyStuckLonger, "then the longest stalled write"},
		{busyStuck, "then the other stalled write"},
	} {
		got := l.victimLocked(now)
		require.Same(t, want.conn, got, want.why)
		delete(l.conns, got)
	}
	assert.Nil(t, l.victimLocked(now), "a fresh connection or a moving write is never a victim")
	assert.Len(t, l.conns, 2)
}
