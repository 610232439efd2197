package kotaemon

import (
	"net/http"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A bound stand-in has a /work request in flight holding a worker.
// SIGINT arrives (KeyboardInterrupt, then Gradio's close): the app port closes to new
// connections while the request is still running; when its work ends it is answered 200
// and the stand-in exits 0.
func TestSigintDrainsInFlightWorkThenExitsZero(t *testing.T) {
	t.Parallel()
	h := start(t, testOptions(t))
	base := h.bound(t)
	addr := base[len("http://"):]

	inFlight := getAsync(base+WorkPath(5), waitLimit)
	work := h.timers.next(t) // the handler holds its worker and waits on this timer
	assert.Equal(t, 5*time.Second, work.d)
	h.sigs <- syscall.SIGINT
	st := h.await(t, "the signal to be recorded", func(st State) bool { return st.SigtermAt != nil })
	assert.Equal(t, "SIGINT", st.StopSignal)
	assert.Equal(t, 1, st.WorkersBusy)
	assert.Eventually(t, func() bool { return refused(addr) }, waitLimit, 10*time.Millisecond,
		"app port must stop accepting after the signal")
	select {
	case r := <-inFlight:
		t.Fatalf("in-flight request ended before its work did: %+v", r)
	default:
	}

	work.elapse()
	r := receive(t, inFlight, "the in-flight /work")
	require.NoError(t, r.err)
	assert.Equal(t, http.StatusOK, r.code)
	assert.Equal(t, "done\n", r.body)
	err := h.wait(t)
	require.NoError(t, err)
	assert.Equal(t, 0, ExitCode(err))
	assert.Equal(t, int32(0), h.raised.Load(), "SIGINT is handled, no default action")
	assert.Equal(t, int64(1), h.s.State().Served[RouteWork])
	msgs := h.logs.messages()
	assert.Contains(t, msgs, "sigterm")
	assert.Equal(t, "exit", msgs[len(msgs)-1])
}

// A bound stand-in streams an answer. SIGTERM arrives: nothing in Kotaemon or Gradio
// handles it, so the process dies by the signal at once (exit 143), the answer breaks
// off and nothing is drained.
func TestSigtermKillsAtOnceAndCutsTheAnswerInFlight(t *testing.T) {
	t.Parallel()
	h := start(t, testOptions(t))
	base := h.bound(t)
	answer := getAsync(base+StreamPath(30), waitLimit)
	h.await(t, "the answer to stream", func(st State) bool { return st.WorkersBusy == 1 })

	h.sigs <- syscall.SIGTERM
	err := h.wait(t)
	require.ErrorIs(t, err, ErrKilledBySigterm)
	assert.Equal(t, 143, ExitCode(err))
	assert.Equal(t, int32(1), h.raised.Load(), "SIGTERM takes its default action")
	assert.Equal(t, "SIGTERM", h.s.State().StopSignal)
	r := receive(t, answer, "the streamed answer")
	assert.Error(t, r.err, "the answer in flight is cut")
	assert.NotContains(t, r.body, StreamEnd)
}

// The stand-in runs as PID 1 of its namespace (the kernel drops a signal whose action
// is the default): SIGTERM changes nothing, the app serves on, as `python app.py` does
// as a container's first process.
func TestSigtermToPid1IsDroppedAndTheAppServesOn(t *testing.T) {
	t.Parallel()
	o := testOptions(t)
	o.raise = func(syscall.Signal) bool { return true }
	h := start(t, o)
	base := h.bound(t)
	h.sigs <- syscall.SIGTERM
	h.await(t, "the signal to be logged", func(State) bool {
		return slices.Contains(h.logs.messages(), "sigterm dropped: PID 1 of its namespace takes no default action")
	})
	r := get(base+RouteAppID, waitLimit)
	require.NoError(t, r.err)
	assert.Equal(t, http.StatusOK, r.code)
}

// A bound, deadlocked stand-in with a 200 ms drain has a request hanging.
// SIGINT arrives: the drain gives up after its bound, cuts the hanging request, and the
// stand-in still exits 0 (what a kubelet sees before its own grace period ends).
func TestDrainIsBoundedByTheDrainOption(t *testing.T) {
	t.Parallel()
	o := testOptions(t)
	o.Drain = 200 * time.Millisecond
	h := start(t, o)
	base := h.bound(t)
	h.setFault(t, FaultDeadlock, 0)
	hanging := getAsync(base+RouteAppID, waitLimit)
	h.await(t, "the request to hang", func(st State) bool { return st.InFlight == 1 })

	h.sigs <- syscall.SIGINT
	require.NoError(t, h.wait(t))
	r := receive(t, hanging, "the cut request")
	assert.Error(t, r.err, "a request hanging past the drain is cut, not answered")
	assert.Contains(t, h.logs.messages(), "drain cut short")
}

// A bound stand-in runs with ignore-sigterm, as Kotaemon does behind `sh` as PID 1.
// SIGTERM and SIGINT arrive: both are recorded and logged, and the app keeps serving.
func TestIgnoreSigtermLogsTheSignalAndKeepsServing(t *testing.T) {
	t.Parallel()
	o := testOptions(t)
	o.IgnoreSigterm = true
	h := start(t, o)
	base := h.bound(t)

	h.sigs <- syscall.SIGTERM
	first := h.await(t, "SIGTERM to be recorded", func(st State) bool { return st.SigtermAt != nil }).SigtermAt
	h.sigs <- syscall.SIGINT
	h.await(t, "both signals to be logged", func(State) bool {
		n := 0
		for _, m := range h.logs.messages() {
			if m == "sigterm ignored" {
				n++
			}
		}
		return n == 2
	})

	r := get(base+RouteAppID, waitLimit)
	require.NoError(t, r.err)
	assert.Equal(t, http.StatusOK, r.code)
	assert.Equal(t, first, h.s.State().SigtermAt, "the first arrival is the one kept")
	select {
	case <-h.s.Done():
		t.Fatal("ignore-sigterm must keep the process running")
	default:
	}
}
