// Package supervise runs the app as the agent's child: the agent is PID 1 of the
// container, so it forwards signals to the child's process group, reaps every zombie,
// drains readiness before stopping the child and exits with the child's code. It never
// restarts the child: restarts belong to the kubelet.
package supervise

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Forwarded are the signals passed on to the child's process group.
var Forwarded = []os.Signal{syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP, syscall.SIGQUIT}

// Options configure a Supervisor.
type Options struct {
	Command     []string
	DrainDelay  time.Duration // after SIGTERM: readiness fails at once, the child is signalled after this
	StopTimeout time.Duration // then the child has this long before SIGKILL
	OnDraining  func()        // called once, first thing on SIGTERM/SIGINT
	Logger      *slog.Logger
	// Signals, when set, replaces signal.Notify for the forwarded signals (tests).
	Signals <-chan os.Signal
}

// Supervisor owns one child process.
type Supervisor struct {
	o       Options
	pid     int
	running atomic.Bool
	reaped  atomic.Int64
	code    int
	done    chan struct{}
	sigs    <-chan os.Signal
	chld    chan os.Signal
	stopSig func()
}

// ExitCode maps a start error to a shell-like exit code: 127 not found, 126 not executable.
func ExitCode(err error) int {
	switch {
	case errors.Is(err, exec.ErrNotFound), errors.Is(err, os.ErrNotExist):
		return 127
	case errors.Is(err, os.ErrPermission):
		return 126
	}
	return 1
}

// Start becomes a child subreaper (when not PID 1), starts the command in its own
// process group and begins forwarding signals and reaping children.
func Start(o Options) (*Supervisor, error) {
	if len(o.Command) == 0 {
		return nil, errors.New("no command to supervise")
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.OnDraining == nil {
		o.OnDraining = func() {}
	}
	if os.Getpid() != 1 {
		// Orphans of the child are re-parented to us instead of to init, so we reap them
		// exactly as PID 1 would.
		if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
			o.Logger.Warn("cannot become a child subreaper; orphans go to init", "error", err)
		}
	}
	s := &Supervisor{o: o, done: make(chan struct{}), chld: make(chan os.Signal, 8)}
	// Register before starting the child so no SIGCHLD or SIGTERM is lost.
	signal.Notify(s.chld, syscall.SIGCHLD)
	if o.Signals != nil {
		s.sigs = o.Signals
		s.stopSig = func() { signal.Stop(s.chld) }
	} else {
		own := make(chan os.Signal, 8)
		signal.Notify(own, Forwarded...)
		s.sigs = own
		s.stopSig = func() { signal.Stop(s.chld); signal.Stop(own) }
	}

	cmd := exec.Command(o.Command[0], o.Command[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		s.stopSig()
		return nil, fmt.Errorf("starting %s: %w", o.Command[0], err)
	}
	s.pid = cmd.Process.Pid
	s.running.Store(true)
	// We reap with wait4(-1) ourselves; the Process handle is not needed any more.
	_ = cmd.Process.Release()
	o.Logger.Info("state change", "component", "process", "from", "stopped", "to", "running",
		"reason", "started", "pid", s.pid, "command", o.Command[0])
	go s.loop()
	return s, nil
}

// Pid is the child's process id (and process group id).
func (s *Supervisor) Pid() int { return s.pid }

// Running reports whether the child has not exited yet.
func (s *Supervisor) Running() bool { return s.running.Load() }

// Reaped counts processes other than the child that were reaped (orphans).
func (s *Supervisor) Reaped() int64 { return s.reaped.Load() }

// Done is closed when the child has exited and been reaped.
func (s *Supervisor) Done() <-chan struct{} { return s.done }

// ExitCode is the child's exit code, or 128+signal; valid after Done.
func (s *Supervisor) ExitCode() int {
	<-s.done
	return s.code
}

// Wait blocks until the child has exited and returns its exit code.
func (s *Supervisor) Wait() int { return s.ExitCode() }

func (s *Supervisor) signalGroup(sig syscall.Signal) {
	if err := syscall.Kill(-s.pid, sig); err != nil && !errors.Is(err, syscall.ESRCH) {
		s.o.Logger.Warn("signalling the child's process group failed", "signal", sigName(sig), "error", err)
	}
}

type phase int

const (
	phaseRunning phase = iota
	phaseDraining
	phaseStopping
)

func (s *Supervisor) loop() {
	defer s.stopSig()
	ph := phaseRunning
	var drainC, stopC <-chan time.Time
	stopWith := syscall.SIGTERM
	forwardStop := func() {
		s.o.Logger.Info("forwarding signal", "component", "process", "signal", sigName(stopWith), "pid", s.pid)
		s.signalGroup(stopWith)
		ph = phaseStopping
		drainC = nil
		stopC = time.After(s.o.StopTimeout)
	}
	// An early exit may have raised SIGCHLD before Notify saw it: sweep once now.
	if s.reap() {
		return
	}
	for {
		select {
		case <-s.chld:
			if s.reap() {
				return
			}
		case sig := <-s.sigs:
			ss, _ := sig.(syscall.Signal)
			switch {
			case (ss == syscall.SIGTERM || ss == syscall.SIGINT) && ph == phaseRunning:
				stopWith = ss
				ph = phaseDraining
				s.o.OnDraining()
				s.o.Logger.Info("state change", "component", "process", "from", "running", "to", "draining",
					"reason", sigName(ss)+" received", "drainDelay", s.o.DrainDelay.String(), "stopTimeout", s.o.StopTimeout.String())
				drainC = time.After(s.o.DrainDelay) // fires at once for no delay
			case (ss == syscall.SIGTERM || ss == syscall.SIGINT) && ph == phaseDraining:
				forwardStop() // asked twice: cut the drain delay short
			default:
				if ss != 0 {
					s.o.Logger.Info("forwarding signal", "component", "process", "signal", sigName(ss), "pid", s.pid)
					s.signalGroup(ss)
				}
			}
		case <-drainC:
			forwardStop()
		case <-stopC:
			stopC = nil
			s.o.Logger.Warn("state change", "component", "process", "from", "stopping", "to", "killed",
				"reason", fmt.Sprintf("still running %s after %s", s.o.StopTimeout, sigName(stopWith)))
			s.signalGroup(syscall.SIGKILL)
		}
	}
}

// reap collects every exited child without blocking; it reports whether the
// supervised child was among them (and then finishes the supervisor).
func (s *Supervisor) reap() bool {
	for {
		var ws syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if err != nil || pid <= 0 {
			return false
		}
		if pid != s.pid {
			s.reaped.Add(1)
			s.o.Logger.Debug("reaped orphan", "pid", pid)
			continue
		}
		s.code = exitCode(ws)
		s.running.Store(false)
		// Leave nothing of the child's group behind (as PID 1 the kernel would do it).
		s.signalGroup(syscall.SIGKILL)
		s.o.Logger.Info("state change", "component", "process", "from", "running", "to", "exited",
			"reason", describe(ws), "exitCode", s.code, "pid", s.pid)
		close(s.done)
		return true
	}
}

func exitCode(ws syscall.WaitStatus) int {
	switch {
	case ws.Exited():
		return ws.ExitStatus()
	case ws.Signaled():
		return 128 + int(ws.Signal())
	}
	return 1
}

func describe(ws syscall.WaitStatus) string {
	if ws.Signaled() {
		return "killed by " + sigName(ws.Signal())
	}
	return fmt.Sprintf("exited with code %d", ws.ExitStatus())
}

// sigName is the conventional name, e.g. SIGTERM.
func sigName(sig syscall.Signal) string {
	if n := unix.SignalName(sig); n != "" {
		return n
	}
	return sig.String()
}
