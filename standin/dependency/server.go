package dependency

// One process, end to end: both ports bind before Start returns, and a SIGTERM lets
// held requests go with a 503 so a rollout is never blocked by a hung stand-in.

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"slices"
	"strconv"
	"time"

	"kotaemon-k8s/standin/control"
)

// drainLimit bounds the graceful stop; every held request is released at once anyway.
const drainLimit = 5 * time.Second

// headerTimeout bounds a client that opens a connection and never sends a request.
const headerTimeout = 10 * time.Second

// Standin is one running dependency stand-in.
type Standin struct {
	opts  Options
	log   *slog.Logger
	mode  *modeSwitch
	calls calls

	dep, control     *http.Server
	depLn, controlLn net.Listener
	serveErr         chan error
	stopping         chan struct{} // closed on SIGTERM: hung requests answer 503

	done chan struct{}
	err  error
}

// Run starts the stand-in and blocks until SIGTERM/SIGINT or ctx ends (nil) or a server fails.
func Run(ctx context.Context, o Options, log *slog.Logger) error {
	s, err := Start(ctx, o, log)
	if err != nil {
		// Start failed before the lifecycle that logs every other exit.
		log.Error("exit", "code", ExitCode(err), "err", err.Error())
		return err
	}
	return s.Wait()
}

// ExitCode is the process exit code for Run's result.
func ExitCode(err error) int { return control.ExitCode(err) }

// Start binds both ports and serves in the background. Cancelling ctx closes both at once.
func Start(ctx context.Context, o Options, log *slog.Logger) (*Standin, error) {
	if err := o.Validate(); err != nil {
		return nil, fmt.Errorf("options: %w", err)
	}
	o.Models = slices.Clone(o.Models)
	s := &Standin{
		opts:     o,
		log:      log,
		mode:     newModeSwitch(o.Mode, o.Period, o.clock()),
		serveErr: make(chan error, 2),
		stopping: make(chan struct{}),
		done:     make(chan struct{}),
	}
	s.dep = &http.Server{Handler: s.dependencyHandler(), ReadHeaderTimeout: headerTimeout}
	s.control = &http.Server{Handler: s.controlHandler(), ReadHeaderTimeout: headerTimeout}
	log.Info("start", "pid", os.Getpid(), "mode", string(o.Mode), "period", o.Period.String(), "models", o.Models)

	var err error
	if s.depLn, err = net.Listen("tcp", o.Listen); err != nil {
		return nil, fmt.Errorf("listen on dependency address %s: %w", o.Listen, err)
	}
	controlAddr := net.JoinHostPort(o.ControlHost, strconv.Itoa(o.ControlPort))
	if s.controlLn, err = net.Listen("tcp", controlAddr); err != nil {
		_ = s.depLn.Close()
		return nil, fmt.Errorf("listen on control address %s: %w", controlAddr, err)
	}
	log.Info("bound", "addr", s.depLn.Addr().String(), "control", s.controlLn.Addr().String())
	go control.Serve(s.dep, s.depLn, "dependency", s.serveErr)
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

func (s *Standin) lifecycle(ctx context.Context, sigs <-chan os.Signal) error {
	select {
	case <-ctx.Done():
		_ = s.dep.Close()
		_ = s.control.Close()
		return nil
	case err := <-s.serveErr:
		_ = s.dep.Close()
		_ = s.control.Close()
		return err
	case sig := <-sigs:
		s.log.Info("sigterm", "signal", sig.String())
		close(s.stopping)
		stopCtx, cancel := context.WithTimeout(context.Background(), drainLimit)
		defer cancel()
		if err := s.dep.Shutdown(stopCtx); err != nil {
			_ = s.dep.Close()
		}
		_ = s.control.Close()
		return nil
	}
}

// State is what GET /state answers.
func (s *Standin) State() State {
	st := State{Calls: s.calls.snapshot(), Models: slices.Clone(s.opts.Models), ListenAddr: s.depLn.Addr().String()}
	s.mode.snapshot(&st)
	return st
}

// URL is the dependency server's base URL; an all-addresses bind is reached on loopback.
func (s *Standin) URL() string { return "http://" + control.Dialable(s.depLn.Addr()) }

// ControlURL is the control server's base URL.
func (s *Standin) ControlURL() string { return "http://" + control.Dialable(s.controlLn.Addr()) }

// Done is closed once the stand-in has stopped.
func (s *Standin) Done() <-chan struct{} { return s.done }

// Wait blocks until the stand-in stops and returns Run's result.
func (s *Standin) Wait() error {
	<-s.done
	return s.err
}
