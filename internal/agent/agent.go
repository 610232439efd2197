// Package agent wires the configuration, the checks, the server and (in supervise mode)
// the child process into one running agent.
package agent

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"kotaemon-k8s/internal/auth"
	"kotaemon-k8s/internal/checks"
	"kotaemon-k8s/internal/config"
	"kotaemon-k8s/internal/history"
	"kotaemon-k8s/internal/metrics"
	"kotaemon-k8s/internal/server"
	"kotaemon-k8s/internal/supervise"

	// The image has no CA bundle: fall back to the embedded Mozilla roots for https
	// dependencies when the system has none.
	_ "golang.org/x/crypto/x509roots/fallback"
)

// NewLogger returns the JSON logger at the configured level.
func NewLogger(level string, w io.Writer) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(level))
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l}))
}

// Parts are the assembled components of an agent, before anything runs.
type Parts struct {
	Config  *config.Config
	Metrics *metrics.Metrics
	Monitor *checks.Monitor
	Server  *server.Server
	History *history.Recorder
	Log     *slog.Logger
}

// Build assembles the agent from a loaded config (secrets resolved). proc is nil in
// sidecar mode.
func Build(cfg *config.Config, log *slog.Logger, ver string, proc server.Process) (*Parts, error) {
	if cfg.Secrets == nil {
		return nil, errors.New("config secrets not resolved")
	}
	met := metrics.New(ver)
	client := checks.NewClient()
	specs := make([]checks.Spec, 0, len(cfg.Checks))
	for i, c := range cfg.Checks {
		p, err := checks.New(c, cfg.Secrets.Checks[c.Name], client)
		if err != nil {
			return nil, fmt.Errorf("checks[%d]: %w", i, err)
		}
		specs = append(specs, checks.Spec{Name: c.Name, Type: c.Type, Critical: c.IsCritical(),
			Interval: c.Interval, Timeout: c.Timeout, FailureThreshold: c.Failures(), SuccessThreshold: c.Passes(), Prober: p})
		met.AddCheck(c.Name, c.Type, c.IsCritical())
	}
	mode := "supervise"
	if proc == nil {
		mode = "serve"
	}
	hist := history.Open(cfg.History.Path, mode, log, time.Now())
	hist.SetResolution(server.ObserveEvery)
	mon := checks.NewMonitor(specs, log, recorders{met, latencies{hist}})
	verifier, err := auth.New(cfg.Auth, cfg.Secrets)
	if err != nil {
		return nil, err
	}
	srv := server.New(server.Options{Config: cfg, Monitor: mon, Metrics: met, Verifier: verifier,
		Process: proc, Logger: log, History: hist})
	return &Parts{Config: cfg, Metrics: met, Monitor: mon, Server: srv, History: hist, Log: log}, nil
}

// recorders hands each check result to several recorders.
type recorders []checks.Recorder

func (rs recorders) CheckResult(name string, up bool, took time.Duration) {
	for _, r := range rs {
		r.CheckResult(name, up, took)
	}
}

// latencies keeps the passed runs' durations in the history.
type latencies struct{ h *history.Recorder }

func (l latencies) CheckResult(name string, up bool, took time.Duration) {
	if up {
		l.h.CheckLatency(name, took)
	}
}

// historyFlush is how often check latencies reach the history file; start-ups and
// stalls wake its writer.
const historyFlush = time.Minute

// lazyProcess lets the server ask about a child that starts after the server is built.
type lazyProcess struct {
	sup atomic.Pointer[supervise.Supervisor]
}

func (l *lazyProcess) Running() bool {
	s := l.sup.Load()
	return s != nil && s.Running()
}

// run starts the monitor and the server on ln and returns a stop function that ends
// both and waits for them.
func (p *Parts) run(ln net.Listener) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	p.Monitor.Start(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := p.Server.Serve(ctx, ln); err != nil {
			p.Log.Error("health server stopped", "error", err)
		}
	}()
	wg.Add(1)
	go func() {
		defer wg.Done()
		p.Server.Observe(ctx)
	}()
	wg.Add(1)
	go func() {
		defer wg.Done()
		p.History.Run(ctx, historyFlush)
	}()
	return func() {
		cancel()
		wg.Wait()
		p.Monitor.Wait()
		p.History.Flush()
	}
}

// buildAndListen wires the agent and opens its port; on failure it logs why and returns
// the exit code (2: configuration refused, 1: the port cannot be opened).
func buildAndListen(cfg *config.Config, log *slog.Logger, ver string, proc server.Process) (*Parts, net.Listener, int) {
	parts, err := Build(cfg, log, ver, proc)
	if err != nil {
		log.Error("configuration refused", "error", err)
		return nil, nil, 2
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		log.Error("cannot listen", "listen", cfg.Listen, "error", err)
		return nil, nil, 1
	}
	return parts, ln, 0
}

// Supervise runs command as a child (its companions beside it) and serves the endpoints
// until it exits; the result is the child's exit code (or 128+signal), or a failed
// companion's.
func Supervise(cfg *config.Config, log *slog.Logger, ver string, command []string, companions ...[]string) int {
	lp := &lazyProcess{}
	parts, ln, code := buildAndListen(cfg, log, ver, lp)
	if parts == nil {
		return code
	}
	stop := parts.run(ln)
	defer stop()
	await, err := AwaitAnswers(cfg, log)
	if err != nil {
		log.Error("configuration refused", "error", err)
		return 2
	}
	startedAt := time.Now()
	sup, err := supervise.Start(supervise.Options{
		Command:      command,
		Companions:   companions,
		DrainDelay:   cfg.Shutdown.DrainDelay,
		AwaitAnswers: await,
		StopSignal:   StopSignal(cfg.Shutdown),
		StopTimeout:  cfg.Shutdown.StopTimeout,
		OnDraining:   parts.Server.SetDraining,
		Logger:       log,
	})
	if err != nil {
		log.Error("cannot start the app", "error", err)
		return supervise.ExitCode(err)
	}
	lp.sup.Store(sup)
	parts.Server.AppStarted(startedAt)
	parts.Metrics.SetProcessUp(true)
	code = sup.Wait()
	parts.Metrics.SetProcessUp(false)
	return code
}

// Serve runs the sidecar: the endpoints without a child, until SIGTERM or SIGINT; then
// readiness fails for shutdown.drainDelay before the agent exits 0.
func Serve(cfg *config.Config, log *slog.Logger, ver string) int {
	parts, ln, code := buildAndListen(cfg, log, ver, nil)
	if parts == nil {
		return code
	}
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	defer signal.Stop(sigs)
	stop := parts.run(ln)
	defer stop()
	sig := <-sigs
	parts.Server.SetDraining()
	log.Info("shutting down", "signal", sig.String(), "drainDelay", cfg.Shutdown.DrainDelay.String())
	select {
	case <-time.After(cfg.Shutdown.DrainDelay):
	case <-sigs: // asked twice: stop now
	}
	return 0
}
