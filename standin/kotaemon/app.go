package kotaemon

// The app port answers the routes the chart probes, with the costs Gradio gives them:
// async routes need no worker, sync routes wait for one.

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"kotaemon-k8s/standin/control"
)

const rootPage = `<!doctype html>
<html><head><title>Kotaemon stand-in</title></head>
<body><h1>Kotaemon stand-in</h1><p>This is the test stand-in for Kotaemon, not the real app.</p></body></html>
`

func (s *Standin) appHandler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET "+RouteStartupEvents, s.counted(RouteStartupEvents, http.HandlerFunc(s.startupEvents)))
	mux.Handle("GET "+RouteAppID, s.counted(RouteAppID, s.withWorker(s.appID)))
	mux.Handle("GET /{$}", s.counted(RouteRoot, s.withWorker(s.root)))
	mux.Handle("GET "+RouteWork, s.counted(RouteWork, http.HandlerFunc(s.work)))
	mux.Handle("GET "+RouteStream, s.counted(RouteStream, http.HandlerFunc(s.stream)))
	mux.Handle("GET "+RouteHeartbeat+"{session}", s.counted(RouteHeartbeat, http.HandlerFunc(s.heartbeat)))
	mux.Handle("/", s.counted(ServedNotFound, http.NotFoundHandler()))
	if s.opts.SSO {
		return s.tracked(s.ssoRoutes(mux))
	}
	return s.tracked(mux)
}

// tracked counts the request as in flight and holds it at the deadlock gate: a
// deadlocked app hangs on every route, including the async one.
func (s *Standin) tracked(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.rec.inFlight(1)
		defer s.rec.inFlight(-1)
		if s.gate.pass(r.Context()) != nil {
			return // the client gave up or the server was closed
		}
		next.ServeHTTP(w, r)
	})
}

// counted adds to State.Served once the handler has answered.
func (s *Standin) counted(route string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		aw := &answerWriter{ResponseWriter: w}
		next.ServeHTTP(aw, r)
		if aw.answered {
			s.rec.served(route)
		}
	})
}

// withWorker runs next on a worker from the pool, like a Gradio sync route.
func (s *Standin) withWorker(next http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		release, err := s.pool.acquire(r.Context())
		if err != nil {
			return
		}
		defer release()
		next(w, r)
	})
}

// startupEvents answers true once per process, then false, as Gradio does.
func (s *Standin) startupEvents(w http.ResponseWriter, _ *http.Request) {
	first := !s.startupEventsSeen.Swap(true)
	control.WriteJSON(w, http.StatusOK, first)
}

func (s *Standin) appID(w http.ResponseWriter, _ *http.Request) {
	// Gradio answers the id as a number (docs/kotaemon.md).
	control.WriteJSON(w, http.StatusOK, map[string]json.Number{"app_id": json.Number(s.id)})
}

func (s *Standin) root(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = io.WriteString(w, rootPage)
}

// work holds a worker for ?seconds=N so a test can keep a request in flight across SIGTERM.
func (s *Standin) work(w http.ResponseWriter, r *http.Request) {
	secs, ok := secondsParam(w, r)
	if !ok {
		return
	}
	release, err := s.pool.acquire(r.Context())
	if err != nil {
		return
	}
	defer release()
	if secs > 0 {
		select {
		case <-s.opts.timer(durationOf(secs)):
		case <-r.Context().Done():
			return
		}
	}
	_, _ = io.WriteString(w, "done\n")
}

// secondsParam is the request's ?seconds=N; a bad one is answered 400 and ok is false.
func secondsParam(w http.ResponseWriter, r *http.Request) (secs float64, ok bool) {
	secs, err := strconv.ParseFloat(r.URL.Query().Get("seconds"), 64)
	if err != nil || secs < 0 || secs > control.MaxSeconds {
		http.Error(w, fmt.Sprintf("seconds: %q must be a number of seconds from 0 to %d",
			r.URL.Query().Get("seconds"), control.MaxSeconds), http.StatusBadRequest)
		return 0, false
	}
	return secs, true
}

// streamEvery is the gap between a streamed answer's events: an LLM's tokens come a few
// a second.
const streamEvery = 250 * time.Millisecond

// stream answers ?seconds=N as a chat answer does in Gradio's queue: server-sent events,
// queued behind the chat event's concurrency limit, then from a worker one every
// streamEvery for N seconds, then StreamEnd. A process that dies
// meanwhile cuts it, and the client sees a body that breaks off.
func (s *Standin) stream(w http.ResponseWriter, r *http.Request) {
	secs, ok := secondsParam(w, r)
	if !ok {
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	rc := http.NewResponseController(w)
	// Gradio answers at once with the answer's place in the queue, then runs it when the
	// chat event has a free slot, on a worker: a backed-up queue leaves the sync routes
	// answering.
	if _, err := io.WriteString(w, "data: queued\n\n"); err != nil || rc.Flush() != nil {
		return
	}
	s.rec.queued(1)
	select {
	case s.chat <- struct{}{}:
		s.rec.queued(-1)
		defer func() { <-s.chat }()
	case <-r.Context().Done():
		s.rec.queued(-1)
		return
	}
	release, err := s.pool.acquire(r.Context())
	if err != nil {
		return
	}
	defer release()
	tick := time.NewTicker(streamEvery)
	defer tick.Stop()
	for end := time.Now().Add(durationOf(secs)); time.Now().Before(end); {
		if _, err := io.WriteString(w, "data: token\n\n"); err != nil || rc.Flush() != nil {
			return
		}
		select {
		case <-tick.C:
		case <-r.Context().Done():
			return
		}
	}
	_, _ = io.WriteString(w, StreamEnd+"\n\n")
}

// heartbeat is an open browser tab's stream, as Gradio serves it: a sync handler (a
// worker, briefly) whose stream sends "data: ALIVE" at once and then every
// HeartbeatEvery, and never ends by itself. Nothing but the server's stop or the tab
// closing ends it: Gradio's SIGINT path never sets the event that would.
func (s *Standin) heartbeat(w http.ResponseWriter, r *http.Request) {
	release, err := s.pool.acquire(r.Context())
	if err != nil {
		return
	}
	release()
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	rc := http.NewResponseController(w)
	s.rec.tabs(1)
	defer s.rec.tabs(-1)
	tick := time.NewTicker(s.opts.HeartbeatEvery)
	defer tick.Stop()
	for {
		if _, err := io.WriteString(w, "data: ALIVE\n\n"); err != nil || rc.Flush() != nil {
			return
		}
		select {
		case <-tick.C:
		case <-r.Context().Done():
			return
		}
	}
}

// answerWriter notes whether anything reached the client.
type answerWriter struct {
	http.ResponseWriter
	answered bool
}

func (a *answerWriter) WriteHeader(code int) {
	a.answered = true
	a.ResponseWriter.WriteHeader(code)
}

func (a *answerWriter) Write(b []byte) (int, error) {
	a.answered = true
	return a.ResponseWriter.Write(b)
}

func (a *answerWriter) Unwrap() http.ResponseWriter { return a.ResponseWriter }
