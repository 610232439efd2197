package kotaemon

import (
	"net/http"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A bound stand-in has a /work request in flight holding a worker.
// SIGTERM (or SIGINT) arrives: the app port closes to new connections while the request
// is still running; when its work ends it is answered 200 and the stand-in exits 0.
func TestTermSignalDrainsInFlightWorkThenExitsZero(t *testing.T) {
	t.Parallel()
	for _, sig := range []os.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			t.Parallel()
			h := start(t, testOptions(t))
			base := h.bound(t)
			addr := base[len("http://"):]

			inFlight := getAsync(base+WorkPath(5), waitLimit)
			work := h.timers.next(t) // the handler holds its worker and waits on this timer
			assert.Equal(t, 5*time.Second, work.d)
			h.sigs <- sig
			st := h.await(t, "the signal to be recorded", func(st State) bool { return st.SigtermAt != nil })
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
			assert.Equal(t, int64(1), h.s.State().Served[RouteWork])
			msgs := h.logs.messages()
			assert.Contains(t, msgs, "sigterm")
			assert.Equal(t, "exit", msgs[len(msgs)-1])
		})
	}
}

// A bound, deadlocked stand-in with a 200 ms drain has a request hanging.
// SIGTERM arrives: the drain gives up after its bound, cuts the hanging request, and the
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

	h.sigs <- syscall.SIGTERM
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
