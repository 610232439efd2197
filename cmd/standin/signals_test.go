package main

import (
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"kotaemon-k8s/standin/kotaemon"
)

// runAsApp: the test binary re-executed as the Kotaemon stand-in (a real process, so a
// real default action), with the command line the chart gives Kotaemon: "python" for
// `python app.py`, "sso" for `uvicorn sso_app:app` (its port from ssoPort).
const (
	runAsApp = "STANDIN_TEST_RUN_APP"
	ssoPort  = "STANDIN_TEST_SSO_PORT"
)

func TestMain(m *testing.M) {
	switch os.Getenv(runAsApp) {
	case "python":
		os.Exit(run("app", []string{"app.py"}))
	case "sso":
		os.Exit(run("app", []string{"sso_app:app", "--host", "127.0.0.1", "--port", os.Getenv(ssoPort)}))
	}
	os.Exit(m.Run())
}

// The Kotaemon stand-in as a real process, not PID 1: SIGTERM kills it by the signal,
// as it kills `python app.py` (and as uvicorn's re-raise does after its graceful stop
// in SSO shape); SIGINT closes it and it exits 0.
func TestTheStandinProcessDiesBySigtermAndExitsZeroOnSigint(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		shape    string
		sig      syscall.Signal
		signaled bool
		code     int
	}{
		{"python", syscall.SIGTERM, true, -1},
		{"python", syscall.SIGINT, false, 0},
		{"sso", syscall.SIGTERM, true, -1},
		{"sso", syscall.SIGINT, false, 0},
	} {
		t.Run(tc.shape+"/"+tc.sig.String(), func(t *testing.T) {
			t.Parallel()
			app, control := freePort(t), freePort(t)
			cmd := exec.Command(os.Args[0])
			cmd.Env = append(os.Environ(), runAsApp+"="+tc.shape, ssoPort+"="+strconv.Itoa(app), "GRADIO_SERVER_NAME=127.0.0.1",
				"GRADIO_SERVER_PORT="+strconv.Itoa(app), "STANDIN_CONTROL_HOST=127.0.0.1",
				"STANDIN_CONTROL_PORT="+strconv.Itoa(control), "STANDIN_DATA_DIR="+filepath.Join(t.TempDir(), "data"))
			require.NoError(t, cmd.Start())
			// Ours, not a neighbour's: a port freePort handed out may be taken again by a
			// parallel case, so the control port must name this process before its app
			// port counts as open (its signal handling is in place by then).
			ctl := kotaemon.NewControlClient("http://"+net.JoinHostPort("127.0.0.1", strconv.Itoa(control)), nil)
			require.Eventually(t, func() bool {
				ctx, cancel := context.WithTimeout(context.Background(), time.Second)
				defer cancel()
				st, err := ctl.State(ctx)
				if err != nil || st.PID != cmd.Process.Pid {
					return false
				}
				c, err := net.Dial("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(app)))
				if err == nil {
					c.Close()
				}
				return err == nil
			}, 10*time.Second, 20*time.Millisecond, "the app port opens")
			require.NoError(t, cmd.Process.Signal(tc.sig))
			err := cmd.Wait()
			ws := cmd.ProcessState.Sys().(syscall.WaitStatus)
			assert.Equal(t, tc.signaled, ws.Signaled(), "died by a signal")
			if tc.signaled {
				assert.Equal(t, syscall.SIGTERM, ws.Signal())
				return
			}
			var exit *exec.ExitError
			assert.False(t, errors.As(err, &exit), "exit 0: %v", err)
			assert.Equal(t, tc.code, ws.ExitStatus())
		})
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
