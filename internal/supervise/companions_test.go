package supervise

import (
	"io"
	"log/slog"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// companionCommand runs the test binary as a companion with its own behaviour; its lines
// in the shared output file start with "companion".
func companionCommand(behaviour string) []string {
	return []string{"env", childEnv + "=" + behaviour, "KH_NAME=companion", os.Args[0], "-test.run=^$"}
}

// lines of the shared output file, in the order they were written.
func (f *fixture) lines(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile(f.out)
	require.NoError(t, err)
	return strings.Split(strings.TrimSpace(string(b)), "\n")
}

func indexOf(lines []string, want string) int {
	for i, l := range lines {
		if l == want {
			return i
		}
	}
	return -1
}

// On SIGTERM the app is stopped first; its companion gets SIGTERM only after the app
// has exited (the app may still use it while it drains), and the agent waits for both.
func TestACompanionIsStoppedOnlyAfterTheAppHasExited(t *testing.T) {
	f := newFixture(t)
	s := f.start(t, "wait-term", Options{Companions: [][]string{companionCommand("wait-term")}}, "KH_NAME=app")
	f.waitFor(t, "app ready")
	f.waitFor(t, "companion ready")

	f.sigs <- syscall.SIGTERM
	assert.Equal(t, 0, waitCode(t, s))
	lines := f.lines(t)
	app, comp := indexOf(lines, "app signal:terminated"), indexOf(lines, "companion signal:terminated")
	require.NotEqual(t, -1, app, "the app got SIGTERM: %q", lines)
	require.NotEqual(t, -1, comp, "the companion got SIGTERM: %q", lines)
	assert.Less(t, app, comp, "the app is signalled before its companion: %q", lines)
	for _, c := range s.companions {
		assert.False(t, c.running, "Done waits for the companion too")
	}
}

// A companion that ends on its own leaves the app without it: readiness drains, the app
// gets SIGTERM after the drain delay, and the container exits with the companion's code.
func TestACompanionThatExitsStopsTheAppAndTheContainerFails(t *testing.T) {
	for _, tc := range []struct {
		behaviour string
		want      int
	}{{"exit:7", 7}, {"exit:0", 1}} {
		t.Run(tc.behaviour, func(t *testing.T) {
			f := newFixture(t)
			drained := make(chan struct{})
			s := f.start(t, "wait-term", Options{
				Companions: [][]string{companionCommand(tc.behaviour)},
				DrainDelay: time.Second, // time for the app to have its SIGTERM handler in place
				OnDraining: func() { close(drained) },
			}, "KH_NAME=app")
			select {
			case <-drained:
			case <-time.After(20 * time.Second):
				t.Fatal("readiness never drained after the companion exited")
			}
			assert.Equal(t, tc.want, waitCode(t, s), "a companion that ended, even with 0, fails the container")
			assert.Contains(t, f.lines(t), "app signal:terminated", "the app was stopped, not killed")
		})
	}
}

// A companion that ignores SIGTERM is killed after the stop timeout; the exit code stays
// the app's.
func TestACompanionThatIgnoresSIGTERMIsKilledAfterTheStopTimeout(t *testing.T) {
	f := newFixture(t)
	s := f.start(t, "wait-term", Options{
		Companions:  [][]string{companionCommand("ignore-term")},
		StopTimeout: 200 * time.Millisecond,
	}, "KH_NAME=app")
	f.waitFor(t, "app ready")
	f.waitFor(t, "companion ready") // its SIGTERM handler is in place
	begin := time.Now()
	require.NoError(t, syscall.Kill(s.Pid(), syscall.SIGKILL)) // the app ends on its own
	assert.Equal(t, 128+int(syscall.SIGKILL), waitCode(t, s))
	assert.GreaterOrEqual(t, time.Since(begin), 200*time.Millisecond, "the companion had its stop timeout")
	for _, c := range s.companions {
		assert.False(t, c.running, "the companion was killed and reaped")
		assert.ErrorIs(t, syscall.Kill(c.pid, 0), syscall.ESRCH, "no companion process is left")
	}
}

// Signals other than SIGTERM/SIGINT reach the companions as well as the app.
func TestOtherSignalsReachTheCompanions(t *testing.T) {
	f := newFixture(t)
	s := f.start(t, "wait-term", Options{Companions: [][]string{companionCommand("wait-term")}}, "KH_NAME=app")
	f.waitFor(t, "app ready")
	f.waitFor(t, "companion ready")
	f.sigs <- syscall.SIGHUP
	f.waitFor(t, "app signal:hangup")
	f.waitFor(t, "companion signal:hangup")
	f.sigs <- syscall.SIGTERM
	assert.Equal(t, 0, waitCode(t, s))
}

// A companion that cannot start is an error naming it, and the app is never started.
func TestACompanionThatCannotStartIsRefusedBeforeTheApp(t *testing.T) {
	f := newFixture(t)
	t.Setenv(childEnv, "wait-term")
	t.Setenv("KH_OUT", f.out)
	started := []string{"env", childEnv + "=wait-term", "KH_NAME=first", os.Args[0], "-test.run=^$"}
	_, err := Start(Options{
		Command:    []string{os.Args[0], "-test.run=^$"},
		Companions: [][]string{started, {"/nonexistent/ollama", "serve"}},
		Signals:    f.sigs,
	})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "companion ollama")
	assert.Equal(t, 127, ExitCode(err))
	time.Sleep(200 * time.Millisecond)
	b, _ := os.ReadFile(f.out)
	assert.NotContains(t, string(b), "app", "the app never started")
	// The companion started before it was killed, not left behind: reap it.
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		var ws syscall.WaitStatus
		if pid, _ := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil); pid > 0 {
			assert.True(t, ws.Signaled(), "the started companion was killed")
			return
		}
	}
	t.Fatal("the companion that started was not killed")
}

// A second SIGTERM while the app stops goes to the app only: the companion stays up
// until the app has exited, and the container keeps the app's exit code.
func TestASecondSIGTERMDoesNotReachTheCompanionBeforeTheAppExits(t *testing.T) {
	f := newFixture(t)
	s := f.start(t, "ignore-term", Options{
		Companions:  [][]string{companionCommand("wait-term")},
		StopTimeout: 500 * time.Millisecond,
	}, "KH_NAME=app")
	f.waitFor(t, "app ready")
	f.waitFor(t, "companion ready")
	f.sigs <- syscall.SIGTERM // drain (no delay), then SIGTERM to the app, which ignores it
	f.sigs <- syscall.SIGTERM // asked again while the app stops
	time.Sleep(200 * time.Millisecond)
	assert.NotContains(t, f.lines(t), "companion signal:terminated", "the companion is signalled only after the app exits")
	assert.Equal(t, 128+int(syscall.SIGKILL), waitCode(t, s), "the app's code (killed after its stop timeout), not the companion's")
	assert.Contains(t, f.lines(t), "companion signal:terminated", "then the companion is stopped")
}

// After a SIGTERM the companions share the app's stop budget: what is left of it, at
// least companionGrace; an app that exits on its own leaves them a whole stop timeout.
func TestCompanionsShareTheStopBudget(t *testing.T) {
	now := time.Now()
	stop := 20 * time.Second
	assert.Equal(t, stop, companionWait(time.Time{}, now, stop), "the app exited on its own")
	assert.Equal(t, 15*time.Second, companionWait(now.Add(15*time.Second), now, stop), "the app exited 5 s into its stop")
	assert.Equal(t, companionGrace, companionWait(now.Add(-time.Second), now, stop), "the app used it all: the least grace")
	assert.Equal(t, companionGrace, companionWait(now.Add(companionGrace/2), now, stop))
}

// No pgid that is not a child's is ever signalled: 0 is our own group, 1 (as -1) every
// process we may signal. Were either sent, this test's own process would die of it.
func TestNoSignalReachesAGroupThatIsNotAChilds(t *testing.T) {
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	for _, pgid := range []int{0, 1, -5} {
		signalGroup(log, pgid, syscall.SIGTERM)
	}
	signalGroup(log, 0, syscall.SIGKILL)
}

// The app reads the agent's stdin (a container run with stdin open); a companion never
// does, so the two cannot steal each other's input.
func TestOnlyTheAppGetsTheAgentsStdin(t *testing.T) {
	r, w, err := os.Pipe()
	require.NoError(t, err)
	defer r.Close()
	saved := os.Stdin
	os.Stdin = r
	t.Cleanup(func() { os.Stdin = saved })

	f := newFixture(t)
	s := f.start(t, "echo-stdin", Options{Companions: [][]string{companionCommand("echo-stdin-then-wait")}}, "KH_NAME=app")
	// The companion reads first: its stdin is empty at once. Only then may the app read
	// (and exit, which stops the companion).
	f.waitFor(t, "companion stdin-error:EOF")
	_, err = w.WriteString("hello\n")
	require.NoError(t, err)
	require.NoError(t, w.Close())
	assert.Equal(t, 0, waitCode(t, s))
	assert.Contains(t, f.lines(t), "app stdin:hello")
}
