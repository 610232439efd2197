package kotaemon

// Own health endpoints, for health.mode=none: the chart then expects the image to serve
// them. They judge the process the way the agent would (live: the server answers; ready:
// a worker is free), and the deadlock fault hangs them like every other route.

import (
	"context"
	"net/http"
	"time"

	"kotaemon-k8s/standin/control"
)

// Health routes served on HealthPort.
const (
	HealthLivePath  = "/health/live"
	HealthReadyPath = "/health/ready"
)

// readyWorkerWait is how long /health/ready waits for a free worker before saying 503.
const readyWorkerWait = time.Second

func (s *Standin) healthHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+HealthLivePath, func(w http.ResponseWriter, _ *http.Request) {
		control.WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET "+HealthReadyPath, func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), readyWorkerWait)
		defer cancel()
		release, err := s.pool.acquire(ctx)
		if err != nil {
			control.WriteJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable"})
			return
		}
		release()
		control.WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	return s.tracked(mux)
}
