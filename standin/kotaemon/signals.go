package kotaemon

// Kotaemon's stop is Python's: SIGTERM keeps its default action (nothing in Kotaemon or
// Gradio handles it), SIGINT raises KeyboardInterrupt and Gradio closes its server. The
// stand-in takes the same actions, so a chart that sends the wrong signal fails here as
// it would with the real app.

import (
	"errors"
	"os"
	"os/signal"
	"syscall"

	"kotaemon-k8s/standin/control"
)

// takeDefaultAction takes sig's default action as the kernel would for Python: the
// process dies by the signal, as an unhandled SIGTERM ends Python, except as PID 1 of its
// PID namespace, where the kernel drops a signal whose action is the default, and then
// it returns true. (Go cannot be left to find out: its runtime exits 2 when a re-raised
// signal does not kill it.)
func takeDefaultAction(sig syscall.Signal) (survived bool) {
	if os.Getpid() == 1 {
		return true
	}
	signal.Reset(sig)
	_ = syscall.Kill(os.Getpid(), sig)
	select {} // the signal ends the process
}

// ExitCode is the process exit code for Run's result: a death by SIGTERM is 128+15, as
// the runtime reports it.
func ExitCode(err error) int {
	if errors.Is(err, ErrKilledBySigterm) {
		return 128 + int(syscall.SIGTERM)
	}
	return control.ExitCode(err)
}

// signalName names a stop signal as State and the logs do.
func signalName(sig os.Signal) string {
	if sig == syscall.SIGINT || sig == os.Interrupt {
		return "SIGINT"
	}
	if sig == syscall.SIGTERM {
		return "SIGTERM"
	}
	return sig.String()
}
