package server

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"kotaemon-k8s/internal/config"
	"kotaemon-k8s/internal/history"
)

// Each start's phases reach the history once: bound and answered from the app's first
// answers, ready from the agent's first readiness 200 (checks included).
func TestEachStartsPhasesReachTheHistoryOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.srv.AppStarted(time.Now().Add(-20 * time.Second))
	require.Equal(t, http.StatusOK, h.call(t, http.MethodGet, "/health/ready").code)
	h.call(t, http.MethodGet, "/health/ready")

	d := h.srv.hist.Snapshot()
	require.Len(t, d.Starts, 1, "the agent's own start was moved to the app's")
	phases := d.Starts[0].Phases
	for _, p := range []string{history.PhaseBound, history.PhaseAnswered, history.PhaseReady} {
		assert.GreaterOrEqual(t, phases[p], 20.0, p)
	}
	assert.GreaterOrEqual(t, phases[history.PhaseReady], phases[history.PhaseAnswered])
	assert.InDelta(t, phases[history.PhaseReady], testutil.ToFloat64(h.met.StartupLast("ready")), 1e-9)
}

// A route that stops answering after the app has started is a stall, kept with its
// length once it answers again and counted in app_stall_seconds; a route that has not
// answered yet is a start still under way, not a stall.
func TestARouteThatStopsAnsweringAfterTheStartIsAStall(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.app.set("/app_id", "fail")
	h.call(t, http.MethodGet, "/health/ready") // before the first answer: not a stall
	h.app.set("/app_id", "ok")
	h.call(t, http.MethodGet, "/health/ready")
	assert.Empty(t, h.srv.hist.Snapshot().Stalls, "a start is not a stall")

	h.app.set("/app_id", "hang")
	h.call(t, http.MethodGet, "/health/ready")
	require.Len(t, h.srv.hist.Snapshot().Open, 1, "the stall is open")
	time.Sleep(50 * time.Millisecond)
	h.app.set("/app_id", "ok")
	h.call(t, http.MethodGet, "/health/ready")

	d := h.srv.hist.Snapshot()
	require.Len(t, d.Stalls, 1)
	assert.Equal(t, "/app_id", d.Stalls[0].Route)
	assert.Equal(t, history.EndedByAnswer, d.Stalls[0].EndedBy)
	assert.Greater(t, d.Stalls[0].Seconds, 0.2, "from the failed answer's transition to the next answer")
	assert.Empty(t, d.Open)
	assert.Equal(t, 1, testutil.CollectAndCount(h.met.Registry, "kotaemon_health_app_stall_seconds"))
}

// The history is served like the details: its status to everyone who asks, its content
// only to an authorised caller.
func TestTheHistoryIsServedToAuthorisedCallersOnly(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.call(t, http.MethodGet, "/health/ready")

	anon := h.call(t, http.MethodGet, config.HistoryPath)
	assert.Equal(t, http.StatusUnauthorized, anon.code)
	assert.NotContains(t, anon.raw, "starts")
	assert.Equal(t, http.StatusUnauthorized, h.call(t, http.MethodGet, config.HistoryPath, bearer("wrong")).code)

	ok := h.call(t, http.MethodGet, config.HistoryPath, bearer(h.token))
	require.Equal(t, http.StatusOK, ok.code)
	var d history.Data
	require.NoError(t, json.Unmarshal([]byte(ok.raw), &d))
	assert.Equal(t, history.Version, d.Version)
	assert.Len(t, d.Starts, 1)
}

// Observe asks the live route every second when nothing else did: a stall is seen with
// no probe at all (in sidecar mode the kubelet never asks the agent's live endpoint),
// to within a second. Once draining, nothing is observed and no stall begins: a stopping
// app's silence is not a stall.
func TestObserveSeesAStallWithoutAProbe(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	done := observing(t, h)

	require.Eventually(t, func() bool { return h.srv.start.started() }, 5*time.Second, 50*time.Millisecond, "observed, the app has started")
	h.app.set("/startup-events", "hang")
	require.Eventually(t, func() bool { return len(h.srv.hist.Snapshot().Open) == 1 }, 5*time.Second, 50*time.Millisecond, "the stall is seen")
	time.Sleep(1500 * time.Millisecond)
	h.app.set("/startup-events", "ok")
	require.Eventually(t, func() bool { return len(h.srv.hist.Snapshot().Stalls) == 1 }, 5*time.Second, 50*time.Millisecond, "and its end")
	st := h.srv.hist.Snapshot().Stalls[0]
	assert.Equal(t, "/startup-events", st.Route)
	assert.InDelta(t, 2.2, st.Seconds, 1.2, "the stall's length to within the observer's second (and the 200 ms timeout)")

	h.srv.SetDraining()
	h.app.set("/startup-events", "hang")
	h.call(t, http.MethodGet, "/health/live")
	assert.Empty(t, h.srv.hist.Snapshot().Open, "no stall begins while draining")
	select {
	case <-done:
	case <-time.After(3 * time.Second):
		t.Fatal("Observe goes on while draining")
	}
}

// Observe keeps the live route asked at least every ObserveEvery, counted from the last
// ask whoever sent it: a probe asking just after Observe did must not stretch the gap to
// two of its rounds (the history states its stalls to within ObserveEvery).
func TestObserveAsksWithinASecondOfTheLastAskWhoeverAsked(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	observing(t, h)

	asked := func() int64 { return h.srv.appLive.asked.Load() }
	require.Eventually(t, func() bool { return asked() != 0 }, 3*time.Second, 5*time.Millisecond, "Observe asks")
	time.Sleep(100 * time.Millisecond) // a probe just after Observe's ask
	h.call(t, http.MethodGet, "/health/live")
	byProbe := asked()
	require.Eventually(t, func() bool { return asked() != byProbe }, 3*time.Second, 5*time.Millisecond, "Observe asks again")
	gap := time.Duration(asked() - byProbe)
	assert.Less(t, gap, ObserveEvery+ObserveEvery/2, "the next ask comes ObserveEvery after the probe's, not at Observe's second round (%s)", gap)
}

// observing runs the harness's Observe until the test ends; the channel closes when
// Observe returns.
func observing(t *testing.T, h *harness) <-chan struct{} {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); h.srv.Observe(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return done
}
