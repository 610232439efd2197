package cli

import (
	"bytes"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"kotaemon-k8s/internal/config"
)

// The preStop waits the drain delay, then sends the app its stop signal (SIGINT, not the
// SIGTERM that would kill Python at once) and returns.
func TestStopWaitsTheDrainDelayThenSendsTheStopSignal(t *testing.T) {
	t.Parallel()
	app := exec.Command("sleep", "30")
	require.NoError(t, app.Start())
	exited := make(chan *os.ProcessState, 1)
	go func() { _ = app.Wait(); exited <- app.ProcessState }()

	cfg, err := config.Parse([]byte("shutdown:\n  drainDelay: 7s\n  stopSignal: SIGINT\n"))
	require.NoError(t, err)
	var slept []time.Duration
	var logs bytes.Buffer
	code := StopApp(cfg, app.Process.Pid, slog.New(slog.NewJSONHandler(&logs, nil)), func(d time.Duration) { slept = append(slept, d) })
	assert.Equal(t, 0, code)
	assert.Equal(t, []time.Duration{7 * time.Second}, slept)
	select {
	case st := <-exited:
		ws := st.Sys().(syscall.WaitStatus)
		require.True(t, ws.Signaled(), "%v", st)
		assert.Equal(t, syscall.SIGINT, ws.Signal())
	case <-time.After(10 * time.Second):
		t.Fatal("the app was not stopped")
	}
	assert.Contains(t, logs.String(), `"reason":"preStop"`)
}

// A config it cannot read stops the hook with 2, naming the file; an app already gone is
// no failure.
func TestStopRefusesABadConfigAndToleratesAGoneApp(t *testing.T) {
	t.Parallel()
	bad := filepath.Join(t.TempDir(), "config.yaml")
	require.NoError(t, os.WriteFile(bad, []byte("shutdown:\n  stopSignal: SIGSTOP\n"), 0o600))
	var stderr bytes.Buffer
	assert.Equal(t, 2, Main([]string{"stop", "--config", bad}, &bytes.Buffer{}, &stderr))
	assert.Contains(t, stderr.String(), "shutdown.stopSignal")
	assert.Equal(t, 2, Main([]string{"stop", "--pid", "0"}, &bytes.Buffer{}, &bytes.Buffer{}))

	gone := exec.Command("true")
	require.NoError(t, gone.Run())
	cfg, err := config.Parse([]byte("shutdown:\n  drainDelay: 0s\n"))
	require.NoError(t, err)
	assert.Equal(t, 0, StopApp(cfg, gone.Process.Pid, slog.New(slog.DiscardHandler), func(time.Duration) {}))
}
