package kotaemon

// One process start, end to end: the order of events (control up, marker, start-up
// delay, bind, signal, drain, exit) is what the deploy suite observes, so it lives here.

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"kotaemon-k8s/standin/control"
)

// ErrCrashed is what Run returns after the crash fault; the program exits 1 on it.
var ErrCrashed = errors.New("crash fault: exiting with code 1")

// ErrKilledBySigterm is what Run returns where SIGTERM's default action did not end the
// process itself (tests): it died by the signal, with nothing drained.
var ErrKilledBySigterm = errors.New("killed by SIGTERM")

// headerTimeout bounds a client that opens a connection and never sends a request.
const headerTimeout = 10 * time.Second

// Standin is one running process start.
type Standin struct {
	opts Options
	log  *slog.Logger
	id   string
	rec  *recorder
	pool *pool
	chat chan struct{} // the chat event's concurrency: a slot per streamed answer
	gate *gate

	sessions sessions // SSO shape: the session cookies handed out

	startupEventsSeen atomic.Bool

	app       *http.Server
	health    *http.Server // own health endpoints (HealthPort > 0)
	control   *http.Server
	controlLn net.Listener
	serveErr  chan error
	crash     chan struct{}
	crashOnce sync.Once

	done chan struct{}
	err  error
}

// Run starts the stand-in and blocks until it stops: nil after SIGINT's bounded drain
// (or ctx ending), ErrCrashed after the crash fault, an error if a port cannot bind. On
// SIGTERM the process dies by the signal at once, as Kotaemon does (docs/kotaemon.md),
// except as PID 1, where the kernel drops it and the stand-in serves on.
func Run(ctx context.Context, o Options, log *slog.Logger) error {
	s, err := Start(ctx, o, log)
	if err != nil {
		// Start failed before the lifecycle that logs every other exit.
		log.Error("exit", "code", ExitCode(err), "err", err.Error())
		return err
	}
	return s.Wait()
}

// Start opens the data dir and the control port, then returns while start-up runs in
// the background. Cancelling ctx closes both servers at once, without a drain.
func Start(ctx context.Context, o Options, log *slog.Logger) (*Standin, error) {
	if err := o.Validate(); err != nil {
		return nil, fmt.Errorf("options: %w", err)
	}
	id, err := newAppID()
	if err != nil {
		return nil, err
	}
	now := time.Now()
	s := &Standin{
		opts:     o,
		log:      log,
		id:       id,
		pool:     newPool(o.Workers),
		chat:     make(chan struct{}, o.ChatConcurrency),
		gate:     newGate(),
		serveErr: make(chan error, 2),
		crash:    make(chan struct{}),
		done:     make(chan struct{}),
	}
	s.rec = newRecorder(s.firstState(now))
	s.app = &http.Server{Handler: s.appHandler(), ReadHeaderTimeout: headerTimeout}
	s.health = &http.Server{Handler: s.healthHandler(), ReadHeaderTimeout: headerTimeout}
	s.control = &http.Server{Handler: s.controlHandler(), ReadHeaderTimeout: headerTimeout}

	addr := net.JoinHostPort(o.ControlHost, strconv.Itoa(o.ControlPort))
	if s.controlLn, err = net.Listen("tcp", addr); err != nil {
		return nil, fmt.Errorf("listen on control address %s: %w", addr, err)
	}
	s.log.Info("control bound", "addr", s.controlLn.Addr().String())
	go control.Serve(s.control, s.controlLn, "control", s.serveErr)

	sigs, stopSignals := control.Signals(o.Signals)
	go func() {
		defer close(s.done)
		defer stopSignals()
		s.err = s.lifecycle(ctx, sigs)
		s.log.Info("exit", "code", ExitCode(s.err), "err", control.ErrString(s.err))
	}()
	return s, nil
}

// firstState records the marker and the effective start-up settings of this start.
func (s *Standin) firstState(now time.Time) State {
	o := s.opts
	st := State{
		PID: os.Getpid(), AppID: s.id, StartedAt: now,
		StartupSeconds: o.startup().Seconds(), NeverStart: o.NeverStart,
		IgnoreSigterm: o.IgnoreSigterm, Workers: o.Workers, SSO: o.SSO,
	}
	m := recordStart(o.DataDir, now, st.PID, s.id)
	st.MarkerFound, st.Starts, st.PreviousSigtermAt = m.found, m.starts, m.previousSigterm
	if m.err != nil {
		st.MarkerError = m.err.Error()
		s.log.Warn("data dir unusable, carrying on", "dir", o.DataDir, "err", m.err.Error())
	}
	if st.MarkerError == "" {
		var err error
		if st.Users, st.AdminCreated, err = seedAdmin(o.DataDir, os.LookupEnv); err != nil {
			st.UsersError = err.Error()
		}
	}
	next, err := loadNextStart(o.DataDir)
	if err != nil {
		st.NextStartError = err.Error()
		s.log.Warn("next-start settings ignored", "dir", o.DataDir, "err", err.Error())
	}
	if next != nil {
		// Run-time settings replace the flags: that is how a test makes a restart slow.
		st.NextStart, st.NeverStart, st.StartupSeconds = next, next.NeverStart, next.StartupSeconds
	}
	s.log.Info("start", "pid", st.PID, "appId", st.AppID, "startupSeconds", st.StartupSeconds,
		"neverStart", st.NeverStart, "workers", st.Workers, "dataDir", o.DataDir,
		"markerFound", st.MarkerFound, "starts", st.Starts, "users", len(st.Users), "adminCreated", st.AdminCreated)
	return st
}

// lifecycle waits out start-up, binds, and decides how the process ends.
func (s *Standin) lifecycle(ctx context.Context, sigs <-chan os.Signal) error {
	bind := s.startupDone()
	for {
		select {
		case <-ctx.Done():
			s.closeNow()
			return nil
		case <-s.crash:
			s.log.Error("crash fault: exiting", "code", 1)
			s.closeNow()
			return ErrCrashed
		case err := <-s.serveErr:
			s.closeNow()
			return err
		case sig := <-sigs:
			at := time.Now()
			name := signalName(sig)
			if s.rec.snapshot().SigtermAt == nil { // the first one, as State keeps it
				if err := recordSigterm(s.opts.DataDir, os.Getpid(), at); err != nil {
					s.log.Warn("sigterm not recorded in the data dir", "err", err.Error())
				}
			}
			s.rec.signalled(at, name)
			if s.opts.IgnoreSigterm {
				s.log.Info("sigterm ignored", "signal", name)
				continue
			}
			if s.opts.SSO {
				// uvicorn on the main thread handles both signals itself.
				s.log.Info("sigterm", "signal", name, "action", "uvicorn: graceful shutdown", "timeout", s.opts.GracefulTimeout.String())
				return s.uvicornStop(sig, sigs)
			}
			if sig == syscall.SIGTERM {
				// Kotaemon installs no handler and Gradio switches uvicorn's off: SIGTERM
				// takes its default action, and every answer in flight is cut.
				s.log.Info("sigterm", "signal", name, "action", "default: the process dies")
				if s.opts.defaultAction(syscall.SIGTERM) {
					s.log.Info("sigterm dropped: PID 1 of its namespace takes no default action", "signal", name)
					continue
				}
				s.closeNow()
				return ErrKilledBySigterm
			}
			// SIGINT: KeyboardInterrupt in the main thread, and Gradio closes its server,
			// waiting for its thread at most Drain.
			s.log.Info("sigterm", "signal", name, "drain", s.opts.Drain.String())
			ctx, cancel := context.WithTimeout(context.Background(), s.opts.Drain)
			defer cancel()
			s.drain(ctx, nil)
			return nil
		case <-bind:
			bind = nil
			if err := s.bindApp(); err != nil {
				s.closeNow()
				return err
			}
		}
	}
}

// startupDone fires when the app port may open; nil (never fires) for never-start.
func (s *Standin) startupDone() <-chan time.Time {
	st := s.rec.snapshot()
	if st.NeverStart {
		s.log.Info("never-start: the app port stays closed")
		return nil
	}
	if st.StartupSeconds <= 0 {
		now := make(chan time.Time, 1)
		now <- time.Now()
		return now
	}
	return s.opts.timer(durationOf(st.StartupSeconds))
}

func (s *Standin) bindApp() error {
	addr := net.JoinHostPort(s.opts.AppHost, strconv.Itoa(s.opts.AppPort))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on app address %s: %w", addr, err)
	}
	if s.opts.HealthPort > 0 {
		haddr := net.JoinHostPort(s.opts.AppHost, strconv.Itoa(s.opts.HealthPort))
		hln, err := net.Listen("tcp", haddr)
		if err != nil {
			_ = ln.Close()
			return fmt.Errorf("listen on health address %s: %w", haddr, err)
		}
		go control.Serve(s.health, hln, "health", s.serveErr)
	}
	s.rec.bound(ln.Addr().String(), time.Now())
	s.log.Info("bound", "addr", ln.Addr().String(), "healthPort", s.opts.HealthPort)
	go control.Serve(s.app, ln, "app", s.serveErr)
	return nil
}

// drain stops accepting, lets in-flight app requests finish until ctx ends, then cuts
// the rest; a SIGINT from force cuts them at once (nil: none can). The control port
// stays up meanwhile so the suite can watch the drain.
func (s *Standin) drain(ctx context.Context, force <-chan os.Signal) {
	_ = s.health.Close()
	shut := make(chan error, 1)
	go func() { shut <- s.app.Shutdown(ctx) }()
	for {
		select {
		case err := <-shut:
			if err != nil {
				s.log.Warn("drain cut short", "inFlight", s.rec.snapshot().InFlight, "err", err.Error())
				_ = s.app.Close()
			}
			_ = s.control.Close()
			return
		case again := <-force:
			if again == syscall.SIGINT || again == os.Interrupt {
				s.log.Info("second SIGINT: force exit", "inFlight", s.rec.snapshot().InFlight)
				_ = s.app.Close()
			}
		}
	}
}

func (s *Standin) closeNow() {
	_ = s.app.Close()
	_ = s.health.Close()
	_ = s.control.Close()
}

// State is what GET /state answers.
func (s *Standin) State() State {
	st := s.rec.snapshot()
	st.WorkersBusy = s.pool.inUse()
	return st
}

// ControlURL is the control server's base URL; an all-addresses bind is reached on loopback.
func (s *Standin) ControlURL() string {
	return "http://" + control.Dialable(s.controlLn.Addr())
}

// Done is closed once the stand-in has stopped.
func (s *Standin) Done() <-chan struct{} { return s.done }

// Wait blocks until the stand-in stops and returns Run's result.
func (s *Standin) Wait() error {
	<-s.done
	return s.err
}

// newAppID is a process's id as Gradio draws it: a random 64-bit unsigned integer (a
// JSON number in /app_id), kept as its decimal string.
func newAppID() (string, error) {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generate app id: %w", err)
	}
	return strconv.FormatUint(binary.BigEndian.Uint64(b), 10), nil
}
