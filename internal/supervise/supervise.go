// Package supervise runs the app as the agent's child: the agent is PID 1 of the
// container, so it forwards signals to the child's process group, reaps every zombie,
// drains readiness before stopping the child and exits with the child's code. It never
// restarts the child: restarts belong to the kubelet.
//
// Companions are further children the app needs in the same container (the ollama
// image's bundled Ollama server): started before the app, signalled like it, stopped
// only after the app has exited (the app may use them while it drains). A companion that
// exits on its own leaves the app without it, so the supervisor stops the app the way a
// SIGTERM would and the container exits with the companion's failure.
package supervise

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Forwarded are the signals passed on to the child's process group.
var Forwarded = []os.Signal{syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP, syscall.SIGQUIT}

// Options configure a Supervisor.
type Options struct {
	Command    []string
	Companions [][]string    // started before Command, each in its own process group
	DrainDelay time.Duration // after SIGTERM: readiness fails at once, the child is signalled after this
	// AwaitAnswers, when set, runs after the drain delay and before the child is
	// signalled: it returns once the app has no answer in flight (or its own timeout
	// ran out), or when ctx ends (asked to stop a second time, or the child exited).
	AwaitAnswers func(ctx context.Context)
	// StopSignal is what the child is stopped with; 0 passes on the signal received.
	StopSignal  syscall.Signal
	StopTimeout time.Duration // then the child has this long before SIGKILL
	OnDraining  func()        // called once, first thing on SIGTERM/SIGINT
	Logger      *slog.Logger
	// Signals, when set, replaces signal.Notify for the forwarded signals (tests).
	Signals <-chan os.Signal
}

// Supervisor owns the app process and its companions.
type Supervisor struct {
	o          Options
	pid        int
	running    atomic.Bool
	reaped     atomic.Int64
	code       int
	companions []*companion
	// failed is the exit code a companion that ended on its own leaves the container
	// with (0 while none has).
	failed  int
	done    chan struct{}
	sigs    <-chan os.Signal
	chld    chan os.Signal
	stopSig func()
}

// companion is one started companion process (its pid is also its process group).
type companion struct {
	name    string
	pid     int
	running bool
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

	for _, command := range o.Companions {
		pid, err := startGroup(command, nil)
		if err != nil {
			s.killCompanions()
			s.stopSig()
			return nil, fmt.Errorf("starting companion %s: %w", commandName(command), err)
		}
		s.companions = append(s.companions, &companion{name: commandName(command), pid: pid, running: true})
		o.Logger.Info("state change", "component", "companion", "name", commandName(command), "from", "stopped",
			"to", "running", "reason", "started", "pid", pid)
	}
	pid, err := startGroup(o.Command, os.Stdin)
	if err != nil {
		s.killCompanions()
		s.stopSig()
		return nil, fmt.Errorf("starting %s: %w", o.Command[0], err)
	}
	s.pid = pid
	s.running.Store(true)
	o.Logger.Info("state change", "component", "process", "from", "stopped", "to", "running",
		"reason", "started", "pid", s.pid, "command", o.Command[0])
	go s.loop()
	return s, nil
}

// startGroup starts a command in its own process group, sharing our output. The command
// dies with the agent (parent-death signal): where the agent is not PID 1, a crash of
// it must not leave the app running without health endpoints or a supervisor. (The
// signal follows the thread that started the command; the agent never ends threads of
// its own.)
func startGroup(command []string, stdin *os.File) (int, error) {
	if len(command) == 0 || command[0] == "" {
		return 0, errors.New("empty command")
	}
	cmd := exec.Command(command[0], command[1:]...)
	if stdin != nil {
		cmd.Stdin = stdin
	}
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	pid := cmd.Process.Pid
	// We reap with wait4(-1) ourselves; the Process handle is not needed any more.
	_ = cmd.Process.Release()
	return pid, nil
}

// commandName names a companion in logs: its program's base name.
func commandName(command []string) string {
	if len(command) == 0 {
		return ""
	}
	return filepath.Base(command[0])
}

// killCompanions ends the companions started so far (a failed start).
func (s *Supervisor) killCompanions() {
	for _, c := range s.companions {
		signalGroup(s.o.Logger, c.pid, syscall.SIGKILL)
	}
}

// Pid is the child's process id (and process group id).
func (s *Supervisor) Pid() int { return s.pid }

// Running reports whether the child has not exited yet.
func (s *Supervisor) Running() bool { return s.running.Load() }

// Reaped counts processes other than the child that were reaped (orphans).
func (s *Supervisor) Reaped() int64 { return s.reaped.Load() }

// Done is closed when the child and every companion have exited and been reaped.
func (s *Supervisor) Done() <-chan struct{} { return s.done }

// ExitCode is the child's exit code, or 128+signal, or the code of a companion that
// ended first (at least 1); valid after Done, which waits for the companions too.
func (s *Supervisor) ExitCode() int {
	<-s.done
	return s.code
}

// Wait blocks until the child has exited and returns its exit code.
func (s *Supervisor) Wait() int { return s.ExitCode() }

func (s *Supervisor) signalGroup(sig syscall.Signal) { signalGroup(s.o.Logger, s.pid, sig) }

// signalCompanions signals every companion still running.
func (s *Supervisor) signalCompanions(sig syscall.Signal) {
	for _, c := range s.companions {
		if c.running {
			signalGroup(s.o.Logger, c.pid, sig)
		}
	}
}

func (s *Supervisor) companionsRunning() bool {
	for _, c := range s.companions {
		if c.running {
			return true
		}
	}
	return false
}

// signalGroup signals one child's process group. A pgid below 2 is never a child's:
// kill(0) would signal the agent's own group and kill(-1) every process it may signal.
func signalGroup(log *slog.Logger, pgid int, sig syscall.Signal) {
	if pgid < 2 {
		log.Warn("not signalling: no child process group", "signal", sigName(sig), "pgid", pgid)
		return
	}
	if err := syscall.Kill(-pgid, sig); err != nil && !errors.Is(err, syscall.ESRCH) {
		log.Warn("signalling a child's process group failed", "signal", sigName(sig), "pgid", pgid, "error", err)
	}
}

type phase int

// companionGrace is the least a companion gets between SIGTERM and SIGKILL when the app
// used up the stop timeout; the grace period exceeds drain + stop by at least a second
// (PI-14 is strict), so this still fits.
const companionGrace = time.Second

const (
	phaseRunning phase = iota
	phaseDraining
	phaseAwaitingAnswers // the drain delay is over; answers in flight may still end
	phaseStopping
	phaseCompanionsStopping // the app has exited; the companions are being stopped
)

func (s *Supervisor) loop() {
	defer s.stopSig()
	ph := phaseRunning
	var drainC, stopC <-chan time.Time
	stopWith := syscall.SIGTERM
	drain := func(reason string) {
		ph = phaseDraining
		s.o.OnDraining()
		s.o.Logger.Info("state change", "component", "process", "from", "running", "to", "draining",
			"reason", reason, "drainDelay", s.o.DrainDelay.String(), "stopTimeout", s.o.StopTimeout.String())
		drainC = time.After(s.o.DrainDelay) // fires at once for no delay
	}
	// stopBy is when the app's stop timeout ends; the companions share that budget, so
	// the whole stop still fits the grace period sized for it (PI-14).
	var stopBy time.Time
	var answersC chan struct{}
	stopAwaiting := func() {}
	defer func() { stopAwaiting() }()
	awaitAnswers := func() {
		ph = phaseAwaitingAnswers
		drainC = nil
		ctx, cancel := context.WithCancel(context.Background())
		stopAwaiting = cancel
		answersC = make(chan struct{})
		go func(done chan<- struct{}) {
			s.o.AwaitAnswers(ctx)
			close(done)
		}(answersC)
	}
	forwardStop := func() {
		stopAwaiting()
		answersC = nil
		if s.o.StopSignal != 0 {
			stopWith = s.o.StopSignal
		}
		s.o.Logger.Info("forwarding signal", "component", "process", "signal", sigName(stopWith), "pid", s.pid)
		s.signalGroup(stopWith)
		ph = phaseStopping
		drainC = nil
		stopBy = time.Now().Add(s.o.StopTimeout)
		stopC = time.After(s.o.StopTimeout)
	}
	// settle acts on what reaping found; it reports whether the supervisor is finished.
	settle := func(r reaped) bool {
		if r.companionFailed && ph == phaseRunning {
			drain("companion exited")
		}
		if s.running.Load() {
			return false
		}
		if r.app && s.companionsRunning() {
			// The app is gone: now its companions may stop. After a SIGTERM they have what
			// is left of the stop timeout (at least companionGrace); after an exit of the
			// app's own, a whole stop timeout.
			s.o.Logger.Info("forwarding signal", "component", "companion", "signal", sigName(syscall.SIGTERM))
			s.signalCompanions(syscall.SIGTERM)
			ph = phaseCompanionsStopping
			drainC = nil
			stopC = time.After(companionWait(stopBy, time.Now(), s.o.StopTimeout))
			return false
		}
		if s.companionsRunning() {
			return false
		}
		return s.finish()
	}
	// An early exit may have raised SIGCHLD before Notify saw it: sweep once now.
	if settle(s.reap(ph)) {
		return
	}
	for {
		select {
		case <-s.chld:
			if settle(s.reap(ph)) {
				return
			}
		case sig := <-s.sigs:
			ss, _ := sig.(syscall.Signal)
			switch {
			case (ss == syscall.SIGTERM || ss == syscall.SIGINT) && ph == phaseRunning:
				stopWith = ss
				drain(sigName(ss) + " received")
			case (ss == syscall.SIGTERM || ss == syscall.SIGINT) && (ph == phaseDraining || ph == phaseAwaitingAnswers):
				forwardStop() // asked twice: cut the drain delay, or the wait for answers, short
			case (ss == syscall.SIGTERM || ss == syscall.SIGINT) && ph == phaseStopping:
				// Asked again while the app stops: pass it on to the app only; the
				// companions stay up until the app has exited.
				s.o.Logger.Info("forwarding signal", "component", "process", "signal", sigName(ss), "pid", s.pid)
				s.signalGroup(ss)
			default:
				if ss != 0 && ph != phaseCompanionsStopping {
					s.o.Logger.Info("forwarding signal", "component", "process", "signal", sigName(ss), "pid", s.pid)
					s.signalGroup(ss)
				}
				if ss != 0 {
					s.signalCompanions(ss)
				}
			}
		case <-drainC:
			if s.o.AwaitAnswers != nil {
				awaitAnswers()
				continue
			}
			forwardStop()
		case <-answersC:
			forwardStop()
		case <-stopC:
			stopC = nil
			if ph == phaseCompanionsStopping {
				s.o.Logger.Warn("state change", "component", "companion", "from", "stopping", "to", "killed",
					"reason", fmt.Sprintf("still running %s after SIGTERM", s.o.StopTimeout))
				s.signalCompanions(syscall.SIGKILL)
				continue
			}
			s.o.Logger.Warn("state change", "component", "process", "from", "stopping", "to", "killed",
				"reason", fmt.Sprintf("still running %s after %s", s.o.StopTimeout, sigName(stopWith)))
			s.signalGroup(syscall.SIGKILL)
		}
	}
}

// companionWait is how long the companions get between SIGTERM and SIGKILL once the
// app has exited at now: what is left until stopBy (the app's stop deadline, zero when
// the app exited on its own), at least companionGrace; a whole stop timeout when the
// app was never asked to stop.
func companionWait(stopBy, now time.Time, stopTimeout time.Duration) time.Duration {
	if stopBy.IsZero() {
		return stopTimeout
	}
	return max(stopBy.Sub(now), companionGrace)
}

// reaped is what one sweep found: the app exited, a companion exited on its own.
type reaped struct{ app, companionFailed bool }

// reap collects every exited child without blocking. A companion's exit counts as a
// failure only while the app runs undisturbed (ph running); once the container is
// stopping, the app's own code stands.
func (s *Supervisor) reap(ph phase) reaped {
	var r reaped
	for {
		var ws syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if err != nil || pid <= 0 {
			return r
		}
		if pid == s.pid {
			s.code = exitCode(ws)
			s.running.Store(false)
			// Leave nothing of the child's group behind (as PID 1 the kernel would do it).
			s.signalGroup(syscall.SIGKILL)
			s.o.Logger.Info("state change", "component", "process", "from", "running", "to", "exited",
				"reason", describe(ws), "exitCode", s.code, "pid", s.pid)
			r.app = true
			continue
		}
		if c := s.companion(pid); c != nil {
			c.running = false
			signalGroup(s.o.Logger, c.pid, syscall.SIGKILL)
			s.o.Logger.Info("state change", "component", "companion", "name", c.name, "from", "running", "to", "exited",
				"reason", describe(ws), "exitCode", exitCode(ws), "pid", pid)
			if ph == phaseRunning && s.running.Load() && s.failed == 0 {
				// Ended on its own while the app needs it: the container must restart.
				s.failed = max(exitCode(ws), 1)
				r.companionFailed = true
			}
			continue
		}
		s.reaped.Add(1)
		s.o.Logger.Debug("reaped orphan", "pid", pid)
	}
}

func (s *Supervisor) companion(pid int) *companion {
	for _, c := range s.companions {
		if c.pid == pid && c.running {
			return c
		}
	}
	return nil
}

// finish records the container's exit code once every child is gone: the app's, or a
// failed companion's when one ended first.
func (s *Supervisor) finish() bool {
	if s.failed != 0 {
		s.code = s.failed
	}
	close(s.done)
	return true
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
