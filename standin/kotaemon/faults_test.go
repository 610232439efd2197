package kotaemon

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A bound stand-in gets the exhaust fault.
// /startup-events still answers at once while every sync route stalls;
// clearing the fault with none lets a stalled /app_id through.
func TestExhaustStallsSyncRoutesWhileStartupEventsAnswers(t *testing.T) {
	t.Parallel()
	h := start(t, testOptions(t))
	base := h.bound(t)
	assert.Equal(t, FaultExhaust, h.setFault(t, FaultExhaust, 0).Fault)

	live := get(base+RouteStartupEvents, waitLimit)
	require.NoError(t, live.err)
	assert.Equal(t, http.StatusOK, live.code, "the async route needs no worker")
	for _, route := range []string{RouteAppID, RouteRoot, WorkPath(0)} {
		requireStalled(t, get(base+route, stall), route)
	}

	h.await(t, "the timed-out requests to leave", func(st State) bool { return st.InFlight == 0 })
	waiting := getAsync(base+RouteAppID, waitLimit)
	h.await(t, "/app_id to wait for a worker", func(st State) bool { return st.InFlight == 1 })
	h.setFault(t, FaultNone, 0)
	r := receive(t, waiting, "/app_id after none")
	require.NoError(t, r.err)
	assert.Equal(t, http.StatusOK, r.code)
}

// A bound stand-in gets the deadlock fault.
// Every app route, the async one included, hangs while the process and control port stay up;
// a request left hanging is answered once none clears the fault.
func TestDeadlockHangsEveryAppRouteUntilNone(t *testing.T) {
	t.Parallel()
	h := start(t, testOptions(t))
	base := h.bound(t)
	h.setFault(t, FaultDeadlock, 0)

	for _, route := range []string{RouteStartupEvents, RouteAppID, RouteRoot, WorkPath(0), "/missing"} {
		t.Run(route, func(t *testing.T) {
			requireStalled(t, get(base+route, stall), route)
		})
	}
	h.await(t, "the timed-out requests to leave", func(st State) bool { return st.InFlight == 0 })
	hanging := getAsync(base+RouteStartupEvents, waitLimit)
	st := h.await(t, "the request to hang", func(st State) bool { return st.InFlight == 1 })
	assert.Equal(t, FaultDeadlock, st.Fault)
	select {
	case r := <-hanging:
		t.Fatalf("deadlocked app answered %+v", r)
	default:
	}

	h.setFault(t, FaultNone, 0)
	r := receive(t, hanging, "/startup-events after none")
	require.NoError(t, r.err)
	assert.Equal(t, http.StatusOK, r.code)
	ok := get(base+RouteAppID, waitLimit)
	require.NoError(t, ok.err)
	assert.Equal(t, http.StatusOK, ok.code)
}

// A bound stand-in gets the crash fault.
// The control request is answered in full, then the stand-in stops with ErrCrashed,
// which the program turns into exit code 1.
func TestCrashAnswersTheControlRequestThenExitsWithCode1(t *testing.T) {
	t.Parallel()
	h := start(t, testOptions(t))
	h.bound(t)

	st := h.setFault(t, FaultCrash, 0)
	assert.Equal(t, FaultCrash, st.Fault)
	err := h.wait(t)
	require.ErrorIs(t, err, ErrCrashed)
	assert.Equal(t, 1, ExitCode(err))
	assert.Contains(t, h.logs.messages(), "crash fault: exiting")
}
