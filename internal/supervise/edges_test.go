package supervise

// Boundaries of the supervisor (found by mutation testing).

import (
	"bytes"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// A stop signal goes to the child's whole process group: helpers Kotaemon starts
// (workers, a model server) stop with it.
func TestAStopSignalReachesTheWholeProcessGroup(t *testing.T) {
	f := newFixture(t)
	s := f.start(t, "group-leader", Options{})
	f.waitFor(t, "ready")
	grand := &fixture{out: f.out + ".grandchild"}
	grand.waitFor(t, "ready")
	f.sigs <- syscall.SIGTERM
	assert.Equal(t, 0, waitCode(t, s))
	grand.waitFor(t, "signal:terminated")
}

// The drain delay is honoured: the child hears of the SIGTERM only after it.
func TestTheChildIsSignalledOnlyAfterTheDrainDelay(t *testing.T) {
	f := newFixture(t)
	const delay = 300 * time.Millisecond
	s := f.start(t, "wait-term", Options{DrainDelay: delay})
	f.waitFor(t, "ready")
	begin := time.Now()
	f.sigs <- syscall.SIGTERM
	assert.Equal(t, 0, waitCode(t, s))
	assert.GreaterOrEqual(t, time.Since(begin), delay)
}

// Orphans are re-parented to the agent only if it is a child subreaper.
func TestTheSupervisorIsAChildSubreaper(t *testing.T) {
	f := newFixture(t)
	s := f.start(t, "exit:0", Options{})
	waitCode(t, s)
	var flag int32
	require.NoError(t, unix.Prctl(unix.PR_GET_CHILD_SUBREAPER, uintptr(unsafe.Pointer(&flag)), 0, 0, 0))
	assert.Equal(t, int32(1), flag)
}

// A group already gone is not worth a warning: the child exited between the decision
// to signal and the signal.
func TestSignallingAGroupThatIsGoneIsSilent(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"=exit:0")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	require.NoError(t, cmd.Run())
	require.Greater(t, cmd.Process.Pid, 1)
	var logs bytes.Buffer
	s := &Supervisor{pid: cmd.Process.Pid, o: Options{Logger: slog.New(slog.NewJSONHandler(&logs, nil))}}
	s.signalGroup(syscall.SIGTERM)
	assert.Empty(t, logs.String())
}

// Signalling a live group is not worth a warning either.
func TestSignallingALiveGroupIsSilent(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"=wait-term", "KH_OUT="+out)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	require.NoError(t, cmd.Start())
	(&fixture{out: out}).waitFor(t, "ready")
	var logs bytes.Buffer
	s := &Supervisor{pid: cmd.Process.Pid, o: Options{Logger: slog.New(slog.NewJSONHandler(&logs, nil))}}
	s.signalGroup(syscall.SIGTERM)
	require.NoError(t, cmd.Wait(), "the child got SIGTERM and exited 0")
	assert.Empty(t, logs.String())
}

// Start works without a logger (it then logs nowhere), and becoming a subreaper is not
// reported as a failure when it succeeds.
func TestStartWithoutALoggerAndWithoutComplaint(t *testing.T) {
	t.Setenv(childEnv, "exit:3")
	t.Setenv("GORACE", "atexit_sleep_ms=0")
	s, err := Start(Options{Command: []string{os.Args[0], "-test.run=^$"}, Signals: make(chan os.Signal, 1), StopTimeout: time.Second})
	require.NoError(t, err)
	assert.Equal(t, 3, waitCode(t, s))

	var logs bytes.Buffer
	t.Setenv(childEnv, "exit:0")
	s, err = Start(Options{Command: []string{os.Args[0], "-test.run=^$"}, Signals: make(chan os.Signal, 1),
		StopTimeout: time.Second, Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
	require.NoError(t, err)
	waitCode(t, s)
	assert.NotContains(t, logs.String(), "subreaper")
}

func TestSignalNames(t *testing.T) {
	assert.Equal(t, "SIGTERM", sigName(syscall.SIGTERM))
	assert.Equal(t, syscall.Signal(77).String(), sigName(syscall.Signal(77)))
}
