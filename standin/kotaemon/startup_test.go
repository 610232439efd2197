package kotaemon

import (
	"net/http"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A stand-in with a 30 s start-up is started on a known free port.
// Until the start-up timer fires, the port refuses connections while the control port answers;
// once it fires, the app binds and /startup-events answers true, then false, like Gradio.
func TestAppPortStaysClosedUntilStartupEndsThenBinds(t *testing.T) {
	t.Parallel()
	o := testOptions(t)
	addr, port := freeLoopbackAddr(t)
	o.AppPort, o.Startup = port, 30*time.Second
	h := start(t, o)

	timer := h.timers.next(t)
	assert.Equal(t, 30*time.Second, timer.d, "start-up delay asked of the clock")
	assert.True(t, refused(addr), "app port must be closed during start-up")
	st := h.s.State()
	assert.Nil(t, st.BoundAt)
	assert.Equal(t, 30.0, st.StartupSeconds)
	health := get(h.s.ControlURL()+ControlHealthPath, waitLimit)
	require.NoError(t, health.err)
	assert.Equal(t, http.StatusOK, health.code, "control port answers during start-up")

	timer.elapse()
	base := h.bound(t)
	assert.Equal(t, addr, base[len("http://"):])
	for i, want := range []string{"true\n", "false\n", "false\n"} {
		r := get(base+RouteStartupEvents, waitLimit)
		require.NoError(t, r.err)
		assert.Equal(t, want, r.body, "/startup-events call %d", i+1)
	}
}

// A stand-in with never-start is started.
// It asks for no start-up timer and keeps the app port closed,
// while the process and its control port stay up.
func TestNeverStartKeepsTheAppPortClosedAndTheProcessAlive(t *testing.T) {
	t.Parallel()
	o := testOptions(t)
	addr, port := freeLoopbackAddr(t)
	o.AppPort, o.NeverStart = port, true
	h := start(t, o)

	st := h.await(t, "never-start to be logged", func(State) bool {
		return slices.Contains(h.logs.messages(), "never-start: the app port stays closed")
	})
	assert.True(t, st.NeverStart)
	assert.Nil(t, st.BoundAt)
	assert.True(t, refused(addr), "app port must stay closed")
	assert.Empty(t, h.timers.requests, "never-start must not wait on a timer")
	health := get(h.s.ControlURL()+ControlHealthPath, waitLimit)
	require.NoError(t, health.err)
	assert.Equal(t, http.StatusOK, health.code)
	select {
	case <-h.s.Done():
		t.Fatal("never-start must keep the process alive")
	default:
	}
}

// Two stand-ins are started with bad options.
// Start refuses them and names the flag at fault.
func TestStartRejectsOptionsThatCannotWork(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		mutate func(*Options)
		want   string
	}{
		{"no workers", func(o *Options) { o.Workers = 0 }, "workers"},
		{"port out of range", func(o *Options) { o.AppPort = 70000 }, "server-port: " + strconv.Itoa(70000)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			o := testOptions(t)
			tc.mutate(&o)
			_, err := Start(t.Context(), o, discard())
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

// With startup-max each start draws its start-up from the range, and they differ: a
// start-up is a distribution, not a constant.
func TestEachStartDrawsItsStartupFromTheRange(t *testing.T) {
	t.Parallel()
	o := DefaultOptions()
	o.Startup, o.StartupMax = 20*time.Second, 40*time.Second
	seen := map[time.Duration]bool{}
	for range 200 {
		d := o.startup()
		require.GreaterOrEqual(t, d, o.Startup)
		require.LessOrEqual(t, d, o.StartupMax)
		seen[d] = true
	}
	assert.Greater(t, len(seen), 1)
	o.StartupMax = 0
	assert.Equal(t, 20*time.Second, o.startup(), "no range: the constant")
}
