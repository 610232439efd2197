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
	"time"

	"kotaemon-k8s/standin/control"
)

// deliveryWait is how long a signal sent to this process may take to arrive: past it, a
// default action that did not end the process was dropped (PID 1 of a namespace).
const deliveryWait = 200 * time.Millisecond

// takeDefaultAction restores sig's default action and sends it to this process: it dies
// by the signal, as an unhandled SIGTERM ends Python. Only as PID 1 of its PID namespace
// does the kernel drop the signal, and then it returns true.
func takeDefaultAction(sig syscall.Signal) (survived bool) {
	signal.Reset(sig)
	if err := syscall.Kill(os.Getpid(), sig); err != nil {
		return true
	}
	time.Sleep(deliveryWait)
	return true
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
