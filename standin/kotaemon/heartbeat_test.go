package kotaemon

import (
	"bufio"
	"context"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// openTab opens a heartbeat stream and returns its lines as they come, and a close.
func openTab(t *testing.T, url string) (<-chan string, func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "text/event-stream", resp.Header.Get("Content-Type"))
	lines := make(chan string, 16)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if sc.Text() != "" {
				lines <- sc.Text()
			}
		}
		if sc.Err() != nil {
			lines <- "broken off: " + sc.Err().Error()
		}
	}()
	return lines, func() { cancel(); _ = resp.Body.Close() }
}

func nextLine(t *testing.T, lines <-chan string) string {
	t.Helper()
	select {
	case l, ok := <-lines:
		if !ok {
			return "(ended)"
		}
		return l
	case <-time.After(waitLimit):
		t.Fatal("no heartbeat event")
		return ""
	}
}

// An open tab's stream sends ALIVE at once, then one every HeartbeatEvery, and ends only
// when the tab closes; State.Tabs counts it while it is open.
func TestAnOpenTabGetsAliveAtOnceAndThenEveryHeartbeat(t *testing.T) {
	t.Parallel()
	o := testOptions(t)
	o.HeartbeatEvery = 30 * time.Millisecond
	h := start(t, o)
	base := h.bound(t)

	lines, closeTab := openTab(t, base+HeartbeatPath("tab-1"))
	for range 3 {
		assert.Equal(t, "data: ALIVE", nextLine(t, lines))
	}
	assert.Equal(t, int64(1), h.s.State().Tabs)
	closeTab()
	st := h.await(t, "the tab to close", func(st State) bool { return st.Tabs == 0 && st.InFlight == 0 })
	assert.Equal(t, int64(1), st.Served[RouteHeartbeat])
}

// With a tab open, Gradio's close on SIGINT waits out its bound (Drain) and then cuts the
// tab's stream: the stop is never quicker than that while a browser is open. The process
// still exits 0.
func TestAnOpenTabHoldsTheSigintCloseUntilItsBoundAndIsCut(t *testing.T) {
	t.Parallel()
	o := testOptions(t)
	o.Drain = 200 * time.Millisecond
	h := start(t, o)
	base := h.bound(t)
	lines, closeTab := openTab(t, base+HeartbeatPath("tab-1"))
	defer closeTab()
	assert.Equal(t, "data: ALIVE", nextLine(t, lines))

	h.sigs <- syscall.SIGINT
	assert.Equal(t, 0, ExitCode(h.wait(t)))
	last := nextLine(t, lines)
	assert.True(t, last == "(ended)" || strings.HasPrefix(last, "broken off"), "the tab's stream was cut: %s", last)
	assert.Contains(t, h.logs.messages(), "drain cut short", "the open tab held the close to its bound")
}
