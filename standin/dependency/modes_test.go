package dependency

import (
	"net/http"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A stand-in is switched to down.
// Every dependency route answers 503, Elasticsearch included (not 200 with status red),
// and the state says it is not up.
func TestDownAnswers503OnEveryDependencyRoute(t *testing.T) {
	t.Parallel()
	h := start(t, testOptions())
	st := h.setMode(t, ModeDown, 0)
	assert.Equal(t, ModeDown, st.Mode)
	assert.False(t, st.Up)

	for _, path := range allRoutes {
		t.Run(path, func(t *testing.T) {
			r := get(h.s.URL()+path, waitLimit)
			require.NoError(t, r.err)
			assert.Equal(t, http.StatusServiceUnavailable, r.code)
		})
	}
}

// A stand-in is switched to flap with a 10 s period; its clock is stepped by hand.
// It is down for the first period, up for the second, down for the third, and the
// state's up flag agrees with what a request gets at each step.
func TestFlapAlternatesEveryPeriodStartingDown(t *testing.T) {
	t.Parallel()
	h := start(t, testOptions())
	st := h.setMode(t, ModeFlap, 10*time.Second)
	assert.Equal(t, "10s", st.Period)
	assert.Equal(t, 10.0, st.PeriodSeconds)

	steps := []struct {
		advance time.Duration
		up      bool
	}{
		{0, false},
		{9 * time.Second, false},
		{1 * time.Second, true}, // 10 s: second period
		{9 * time.Second, true},
		{1 * time.Second, false}, // 20 s: third period
		{15 * time.Second, true}, // 35 s: fourth period
	}
	want := map[bool]int{true: http.StatusOK, false: http.StatusServiceUnavailable}
	var elapsed time.Duration
	for _, step := range steps {
		h.clock.advance(step.advance)
		elapsed += step.advance
		r := get(h.s.URL()+RouteQdrantReady, waitLimit)
		require.NoError(t, r.err)
		assert.Equal(t, want[step.up], r.code, "at %s into the flap", elapsed)
		assert.Equal(t, step.up, h.s.State().Up, "state at %s into the flap", elapsed)
	}

	st = h.setMode(t, ModeFlap, 0)
	assert.Equal(t, "10s", st.Period, "flap without a period keeps the last one")
	assert.False(t, st.Up, "a new flap starts down")
}

// A stand-in is switched to hang.
// Requests go unanswered while the mode stays hang; one left waiting is answered as the
// next mode says (200 after up, 503 after down).
func TestHangHoldsRequestsUntilTheModeChanges(t *testing.T) {
	t.Parallel()
	cases := []struct {
		next Mode
		code int
	}{
		{ModeUp, http.StatusOK},
		{ModeDown, http.StatusServiceUnavailable},
	}
	for _, tc := range cases {
		t.Run("then "+string(tc.next), func(t *testing.T) {
			t.Parallel()
			h := start(t, testOptions())
			h.setMode(t, ModeHang, 0)
			requireHung(t, get(h.s.URL()+RouteElasticHealth, stall), RouteElasticHealth)

			waiting := getAsync(h.s.URL()+RouteOllamaTags, waitLimit)
			h.await(t, "the request to arrive", func(st State) bool { return st.Calls[RouteOllamaTags] == 1 })
			h.setMode(t, ModeHang, 0) // hang again is no change: still held
			select {
			case r := <-waiting:
				t.Fatalf("hung dependency answered %+v", r)
			default:
			}

			h.setMode(t, tc.next, 0)
			r := receive(t, waiting, "the held request")
			require.NoError(t, r.err)
			assert.Equal(t, tc.code, r.code)
		})
	}
}

// A stand-in gets requests while up, down and hung, and on an unknown path.
// Every request is counted under its path on arrival, whatever it was answered.
func TestCallsCountEveryRequestByPath(t *testing.T) {
	t.Parallel()
	h := start(t, testOptions())
	for range 2 {
		require.NoError(t, get(h.s.URL()+RouteQdrantReady, waitLimit).err)
	}
	require.NoError(t, get(h.s.URL()+"/nowhere", waitLimit).err)
	h.setMode(t, ModeDown, 0)
	require.NoError(t, get(h.s.URL()+RouteQdrantReady, waitLimit).err)
	h.setMode(t, ModeHang, 0)
	requireHung(t, get(h.s.URL()+RouteTEIHealth, stall), RouteTEIHealth)

	want := map[string]int64{RouteQdrantReady: 3, "/nowhere": 1, RouteTEIHealth: 1}
	h.await(t, "every request to be counted", func(st State) bool { return assert.ObjectsAreEqual(want, st.Calls) })
	st, err := h.control.State(t.Context())
	require.NoError(t, err)
	assert.Equal(t, want, st.Calls, "as the control port reports it")
}

// A hung stand-in has a request held when SIGTERM arrives.
// The held request is let go with 503 and the stand-in exits 0 without waiting out a drain.
func TestSigtermReleasesHeldRequestsAndExitsZero(t *testing.T) {
	t.Parallel()
	h := start(t, testOptions())
	h.setMode(t, ModeHang, 0)
	waiting := getAsync(h.s.URL()+RouteChromaV2, waitLimit)
	h.await(t, "the request to arrive", func(st State) bool { return st.Calls[RouteChromaV2] == 1 })

	h.sigs <- syscall.SIGTERM
	r := receive(t, waiting, "the held request")
	require.NoError(t, r.err)
	assert.Equal(t, http.StatusServiceUnavailable, r.code)
	select {
	case <-h.s.Done():
	case <-time.After(waitLimit):
		t.Fatalf("stand-in still running %s after SIGTERM", waitLimit)
	}
	assert.NoError(t, h.s.Wait())
	assert.Equal(t, 0, ExitCode(h.s.Wait()))
}
