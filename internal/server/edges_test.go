package server

// Boundaries of the server: each case sits where a one-character change in the code
// would move a result (found by mutation testing).

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"kotaemon-k8s/internal/config"
	"kotaemon-k8s/internal/statelog"
)

func TestTheAppIsUpExactlyOnTwoHundreds(t *testing.T) {
	t.Parallel()
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		code, _ := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/"))
		w.WriteHeader(code)
	}))
	t.Cleanup(app.Close)
	h := newHarness(t, func(c *config.Config) { c.App.URL = app.URL })
	for code, up := range map[int]bool{200: true, 204: true, 299: true, 300: false, 404: false} {
		err := h.srv.getApp(context.Background(), "/"+strconv.Itoa(code))
		assert.Equal(t, up, err == nil, "status %d: %v", code, err)
	}
}

func TestARouteSnapshotFollowsEveryNewError(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	rs := &h.srv.appReady
	h.srv.recordRoute(rs, "/app_id", errors.New("GET /app_id: status 500"), time.Millisecond)
	h.srv.recordRoute(rs, "/app_id", errors.New("GET /app_id: status 503"), time.Millisecond)
	assert.Equal(t, "GET /app_id: status 503", rs.state.Load().err, "still down, for a new reason")
	h.srv.recordRoute(rs, "/app_id", errors.New("GET /app_id: status 503"), 3*time.Millisecond)
	assert.Equal(t, 3*time.Millisecond, rs.state.Load().latency, "same reason, new latency")
	before := rs.state.Load()
	h.srv.recordRoute(rs, "/app_id", errors.New("GET /app_id: status 503"), 3*time.Millisecond)
	assert.Same(t, before, rs.state.Load(), "nothing new: the snapshot is kept")
}

func TestHeldBackRouteChangesAreCountedOnTheNextLine(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	const window = 200 * time.Millisecond
	h.srv.logLimit = statelog.New(window, 1)
	rs := &h.srv.appReady
	h.srv.recordRoute(rs, "/app_id", nil, time.Millisecond)                      // unknown -> up: written
	h.srv.recordRoute(rs, "/app_id", errors.New("status 500"), time.Millisecond) // up -> down: held back
	time.Sleep(window + 50*time.Millisecond)
	h.srv.recordRoute(rs, "/app_id", nil, time.Millisecond) // down -> up: written, with the count
	var lines []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(h.logs.String()), "\n") {
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(l), &m))
		if m["component"] == "app" {
			lines = append(lines, m)
		}
	}
	require.Len(t, lines, 2)
	assert.NotContains(t, lines[0], "suppressed")
	assert.Equal(t, "down", lines[1]["from"])
	assert.EqualValues(t, 1, lines[1]["suppressed"])
}

func TestLatencyIsReportedInMilliseconds(t *testing.T) {
	t.Parallel()
	assert.Equal(t, 1.5, ms(1500*time.Microsecond))
	assert.Equal(t, 0.0, ms(999*time.Nanosecond), "below a microsecond rounds to zero")
}

// The answer written on a connection the http.Server does not own (a liveness probe
// over the connection limit) is a whole HTTP/1.1 response: status, headers and body.
func TestAnAnswerOverTheLimitIsWrittenWhole(t *testing.T) {
	t.Parallel()
	o := &oneShot{header: http.Header{}}
	o.Header().Set("Content-Type", "application/json")
	o.WriteHeader(http.StatusServiceUnavailable)
	o.WriteHeader(http.StatusOK) // a second status is ignored, as net/http does
	_, _ = o.Write([]byte(`{"status":"down"}`))
	var buf bytes.Buffer
	require.NoError(t, o.writeTo(&buf))
	resp, err := http.ReadResponse(bufio.NewReader(&buf), nil)
	require.NoError(t, err)
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	assert.True(t, resp.Close, "Connection: close")
	assert.JSONEq(t, `{"status":"down"}`, string(body))
	assert.Zero(t, buf.Len(), "nothing after the body")
}

func TestTheWriteDeadlineOutlastsTheLongestAppTimeout(t *testing.T) {
	t.Parallel()
	assert.Greater(t, writeTimeout, config.MaxAppTimeout,
		"a probe answer waiting on a slow app must not be cut by the write deadline")
	assert.Greater(t, idleTimeout, headerTimeout)
}

// A client that opens a connection and trickles a partial request (slowloris) is cut
// off once the header deadline passes, instead of holding a slot.
func TestAPartialRequestIsCutOffAtTheHeaderDeadline(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	addr := serveLimited(t, h, 8)
	c, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	_, err = io.WriteString(c, "GET /health/live HTTP/1.1\r\nHost: x\r\n")
	require.NoError(t, err)
	begin := time.Now()
	_ = c.SetReadDeadline(time.Now().Add(headerTimeout + 5*time.Second))
	_, err = io.ReadAll(c) // the server closes (possibly after a 408)
	require.NoError(t, err, "closed by the server before the test's own deadline")
	assert.GreaterOrEqual(t, time.Since(begin), headerTimeout-100*time.Millisecond)
}
