package server

import (
	"errors"
	"log/slog"
	"sync"
	"syscall"
	"time"

	"kotaemon-k8s/internal/metrics"
)

// startup measures the app's start: from its process start (supervise) or the agent's
// own start (serve: the agent cannot see the app's process) until its port accepts a
// connection (bound) and until it first answers (answered). These are the figures to
// size probes.startup.expectedSeconds with, so each is logged and exported once.
type startup struct {
	mu       sync.Mutex
	since    time.Time
	bound    bool
	answered bool
}

// restart sets the reference to a new process start.
func (s *startup) restart(at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.since, s.bound, s.answered = at, false, false
}

// observe takes one request's outcome: any outcome but a refused connection shows the
// port is open; success shows the app answers.
func (s *startup) observe(err error, now time.Time, met *metrics.Metrics, log *slog.Logger) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.answered {
		return // the hot path once started
	}
	took := now.Sub(s.since)
	if !s.bound && !errors.Is(err, syscall.ECONNREFUSED) {
		s.bound = true
		met.AppStartup(metrics.PhaseBound, took)
		log.Info("app port open", "after", took.Round(time.Millisecond).String(), "seconds", took.Seconds())
	}
	if err == nil {
		s.answered = true
		met.AppStartup(metrics.PhaseAnswered, took)
		log.Info("app started", "after", took.Round(time.Millisecond).String(), "seconds", took.Seconds())
	}
}
