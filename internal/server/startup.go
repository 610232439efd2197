package server

import (
	"errors"
	"log/slog"
	"sync"
	"syscall"
	"time"

	"kotaemon-k8s/internal/history"
	"kotaemon-k8s/internal/metrics"
)

// startup measures the app's start: from its process start (supervise) or the agent's
// own start (serve: the agent cannot see the app's process) until its port accepts a
// connection (bound), until it first answers (answered) and until the agent first
// answers readiness with 200 (ready). These are the figures to size
// probes.startup.expectedSeconds with, so each is logged, exported and kept in the
// history once per start.
type startup struct {
	mu       sync.Mutex
	since    time.Time
	bound    bool
	answered bool
	ready    bool
	hist     *history.Recorder
}

// restart sets the reference to a new process start.
func (s *startup) restart(at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.since, s.bound, s.answered, s.ready = at, false, false, false
	s.hist.StartBegan(at)
}

// started reports whether the app has answered since its start: only then is a route
// that stops answering a stall, not a start still under way.
func (s *startup) started() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.answered
}

// observe takes one request's outcome: any outcome but a refused connection shows the
// port is open; success shows the app answers.
func (s *startup) observe(err error, now time.Time, met *metrics.Metrics, log *slog.Logger) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.answered {
		return // the hot path once started
	}
	if !s.bound && !errors.Is(err, syscall.ECONNREFUSED) {
		s.bound = true
		s.record(metrics.PhaseBound, now, met, log, "app port open")
	}
	if err == nil {
		s.answered = true
		s.record(metrics.PhaseAnswered, now, met, log, "app started")
	}
}

// readyAnswered takes a readiness answer of 200.
func (s *startup) readyAnswered(now time.Time, met *metrics.Metrics, log *slog.Logger) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.ready {
		s.ready = true
		s.record(metrics.PhaseReady, now, met, log, "ready")
	}
}

func (s *startup) record(phase string, now time.Time, met *metrics.Metrics, log *slog.Logger, msg string) {
	took := now.Sub(s.since)
	met.AppStartup(phase, took)
	s.hist.Phase(phase, took)
	log.Info(msg, "after", took.Round(time.Millisecond).String(), "seconds", took.Seconds())
}
