// Package server serves the agent's endpoints: live, ready and metrics. The app's own
// routes are asked inside the probe request (bounded by the configured timeouts, PI-09);
// dependency checks are only read from the monitor's cache.
package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"kotaemon-k8s/internal/auth"
	"kotaemon-k8s/internal/checks"
	"kotaemon-k8s/internal/config"
	"kotaemon-k8s/internal/history"
	"kotaemon-k8s/internal/metrics"
	"kotaemon-k8s/internal/statelog"
)

// Process reports whether the supervised app process runs (nil in sidecar mode).
type Process interface {
	Running() bool
}

// Options wire a Server.
type Options struct {
	Config   *config.Config
	Monitor  *checks.Monitor
	Metrics  *metrics.Metrics
	Verifier auth.Verifier
	Process  Process           // nil: sidecar mode
	Logger   *slog.Logger      // nil: discard
	Client   *http.Client      // for the app's routes; nil: a lean HTTP/1.1 client (net/http for https)
	History  *history.Recorder // nil: kept in memory
}

// Server answers the health endpoints. It is safe for concurrent use.
type Server struct {
	cfg      *config.Config
	mon      *checks.Monitor
	met      *metrics.Metrics
	verifier auth.Verifier
	proc     Process
	log      *slog.Logger
	app      *appClient
	metricsH http.Handler
	hist     *history.Recorder

	draining atomic.Bool
	appLive  routeState
	appReady routeState
	start    startup
	logLimit *statelog.Limiter
}

// routeState remembers the app route's latest answer, for logs and details.
type routeState struct {
	state    atomic.Pointer[routeSnapshot]
	mu       sync.Mutex
	inflight *flight
	shared   atomic.Int64 // probes that joined a request already in flight
	asked    atomic.Int64 // when the route was last asked (UnixNano)
}

type routeSnapshot struct {
	up         bool
	known      bool
	latency    time.Duration
	err        string
	transition time.Time
}

// New builds a Server.
func New(o Options) *Server {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Verifier == nil {
		o.Verifier, _ = auth.New(config.Auth{Mode: config.AuthNone}, nil)
	}
	if o.Monitor == nil {
		o.Monitor = checks.NewMonitor(nil, o.Logger, nil)
	}
	if o.Metrics == nil {
		o.Metrics = metrics.New("unknown")
	}
	if o.History == nil {
		o.History = history.Open("", "", o.Logger, time.Now())
	}
	s := &Server{cfg: o.Config, mon: o.Monitor, met: o.Metrics, verifier: o.Verifier,
		proc: o.Process, log: o.Logger, app: newAppClient(o.Config.App.URL, o.Client), metricsH: o.Metrics.Handler(),
		logLimit: statelog.New(statelog.DefaultWindow, statelog.DefaultBurst), hist: o.History}
	s.start.hist = o.History
	now := time.Now()
	s.start.restart(now)
	s.appLive.state.Store(&routeSnapshot{transition: now})
	s.appReady.state.Store(&routeSnapshot{transition: now})
	s.met.SetProcessUp(s.processRunning())
	return s
}

// AppStarted sets when the app's process started, for the start-up measurement
// (supervise mode; in serve mode it is the agent's own start).
func (s *Server) AppStarted(at time.Time) { s.start.restart(at) }

// SetDraining makes readiness fail from now on (SIGTERM received).
func (s *Server) SetDraining() {
	if s.draining.CompareAndSwap(false, true) {
		s.met.SetDraining(true)
		s.met.SetReady(false)
		s.log.Info("state change", "component", "agent", "from", "serving", "to", "draining", "reason", "SIGTERM received")
	}
}

// Draining reports whether SetDraining was called.
func (s *Server) Draining() bool { return s.draining.Load() }

func (s *Server) processRunning() bool { return s.proc == nil || s.proc.Running() }

// Status words of the bodies.
const (
	StatusOK          = "ok"
	StatusUnavailable = "unavailable"
	StatusDraining    = "draining"
)

var staticBodies = map[string][]byte{
	StatusOK:          []byte(`{"status":"ok"}` + "\n"),
	StatusUnavailable: []byte(`{"status":"unavailable"}` + "\n"),
	StatusDraining:    []byte(`{"status":"draining"}` + "\n"),
}

// ServeHTTP routes to the three endpoints. Nothing it answers, errors included, may be
// cached by a proxy in between.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header()["Cache-Control"] = noStore
	if hasBody(r) {
		// No endpoint reads a body, and net/http would wait for one to discard it (up
		// to the read timeout) with the connection busy: it is not waited for.
		w.Header()["Connection"] = connClose
		_ = http.NewResponseController(w).SetReadDeadline(time.Now())
	} else if lastRequest(r) {
		w.Header()["Connection"] = connClose
	}
	var endpoint string
	switch r.URL.Path {
	case s.cfg.Paths.Live:
		endpoint = "live"
	case s.cfg.Paths.Ready:
		endpoint = "ready"
	case s.cfg.Paths.Metrics:
		if s.cfg.Paths.Metrics == "" {
			http.NotFound(w, r)
			return
		}
		endpoint = "metrics"
	case config.HistoryPath:
		endpoint = "history"
	default:
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		s.met.Probe(endpoint, http.StatusMethodNotAllowed)
		return
	}
	switch endpoint {
	case "live":
		s.serveLive(w, r)
	case "ready":
		s.serveReady(w, r)
	case "history":
		s.serveHistory(w, r)
	default:
		s.serveMetrics(w, r)
	}
}

func (s *Server) serveMetrics(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Auth.ProtectMetrics && !s.authorised(r) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="kotaemon-health"`)
		http.Error(w, "credentials required", http.StatusUnauthorized)
		s.met.Probe("metrics", http.StatusUnauthorized)
		return
	}
	s.met.Probe("metrics", http.StatusOK)
	writeSoon(w)
	s.metricsH.ServeHTTP(w, r)
}

// serveHistory answers the agent's history (package history) to callers who may see
// details: it names routes and checks, like the detailed bodies.
func (s *Server) serveHistory(w http.ResponseWriter, r *http.Request) {
	if !s.showDetails(r) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="kotaemon-health"`)
		http.Error(w, "credentials required", http.StatusUnauthorized)
		s.met.Probe("history", http.StatusUnauthorized)
		return
	}
	body, err := s.hist.MarshalJSON()
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	s.met.Probe("history", http.StatusOK)
	w.Header()["Content-Type"] = jsonType
	writeSoon(w)
	_, _ = w.Write(append(body, '\n'))
}

// authorised: valid credentials, or a loopback caller where auth.trustLoopback says so.
func (s *Server) authorised(r *http.Request) bool {
	return (s.cfg.Auth.TrustLoopback && isLoopback(r.RemoteAddr)) || s.verifier.Verify(r)
}

func isLoopback(remote string) bool {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		host = remote
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (s *Server) showDetails(r *http.Request) bool {
	switch s.cfg.Details {
	case config.DetailsPublic:
		return true
	case config.DetailsAuthenticated:
		return s.authorised(r)
	}
	return false
}

func (s *Server) serveLive(w http.ResponseWriter, r *http.Request) {
	ok := s.processRunning()
	if ok {
		ok = s.askApp(r.Context(), s.cfg.App.Live, &s.appLive) == nil
	} else {
		s.met.SetAppUp(false)
	}
	status := StatusUnavailable
	if ok {
		status = StatusOK
	}
	s.respond(w, r, "live", ok, status, false)
}

func (s *Server) serveReady(w http.ResponseWriter, r *http.Request) {
	ok, status := false, StatusUnavailable
	switch {
	case s.draining.Load():
		status = StatusDraining
	case !s.processRunning():
		s.met.SetAppUp(false)
	default:
		// A sync route answering implies the event loop (the live route) answers too,
		// so one request to the app bounds the probe by app.ready.timeout alone.
		appOK := s.askApp(r.Context(), s.cfg.App.Ready, &s.appReady) == nil
		ok = appOK && s.mon.CriticalOK()
		if ok {
			status = StatusOK
		}
	}
	if s.draining.Load() { // SIGTERM arrived while the app was asked
		ok, status = false, StatusDraining
	}
	s.met.SetReady(ok)
	if ok {
		s.start.readyAnswered(time.Now(), s.met, s.log)
	}
	s.respond(w, r, "ready", ok, status, true)
}

// askApp sends GET app.url+probe.path bounded by probe.timeout and records the answer.
// Concurrent probes of the same route share one request in flight, so a flood on the
// health port never becomes a flood on the app's worker pool; every caller still waits
// at most probe.timeout (PI-09).
func (s *Server) askApp(ctx context.Context, p config.AppProbe, rs *routeState) error {
	rs.mu.Lock()
	if f := rs.inflight; f != nil {
		rs.mu.Unlock()
		rs.shared.Add(1)
		// A joiner keeps its own deadline: it waits no longer than had it asked itself.
		wait := time.NewTimer(p.Timeout)
		defer wait.Stop()
		select {
		case <-f.done:
			return f.err
		case <-wait.C:
			return errors.New("GET " + p.Path + ": no answer within timeout")
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	f := &flight{done: make(chan struct{})}
	rs.inflight = f
	rs.mu.Unlock()

	// The request outlives its first caller's disconnect (others may share it) but never
	// the timeout.
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), p.Timeout)
	begin := time.Now()
	rs.asked.Store(begin.UnixNano())
	f.err = s.getApp(actx, p.Path)
	took := time.Since(begin)
	cancel()
	rs.mu.Lock()
	rs.inflight = nil
	rs.mu.Unlock()
	close(f.done)

	s.met.SetAppUp(f.err == nil)
	s.start.observe(f.err, time.Now(), s.met, s.log)
	s.recordRoute(rs, p.Path, f.err, took)
	return f.err
}

// ObserveEvery is how often Observe makes sure the app's live route was asked: the
// resolution of the start-up phases and stalls the history keeps, whatever the probes'
// periods (in sidecar mode the kubelet asks the live route itself, never the agent).
const ObserveEvery = time.Second

// Observe asks the app's live route whenever nothing else asked it for ObserveEvery,
// until ctx ends or the agent drains. It is one loopback request a second on an async
// route, shared with any probe that arrives meanwhile. The next ask is due ObserveEvery
// after the last one, whoever sent it: a round of its own would let a probe that asked
// just after a round stretch the gap to two.
func (s *Server) Observe(ctx context.Context) {
	timer := time.NewTimer(ObserveEvery)
	defer timer.Stop()
	sinceAsked := func() time.Duration { return time.Since(time.Unix(0, s.appLive.asked.Load())) }
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		if s.draining.Load() {
			return
		}
		due := ObserveEvery - sinceAsked()
		switch {
		case due > 0: // asked meanwhile
		case s.processRunning():
			_ = s.askApp(ctx, s.cfg.App.Live, &s.appLive)
			// An ask that outlasted its round (a silent route) is followed at once, so
			// the stall's end is seen when the route answers, not up to a round later.
			due = max(0, ObserveEvery-sinceAsked())
		default:
			due = ObserveEvery
		}
		timer.Reset(due)
	}
}

// flight is one request to the app shared by the probes that arrive while it runs.
type flight struct {
	done chan struct{}
	err  error
}

func (s *Server) getApp(ctx context.Context, path string) error {
	code, err := s.app.get(ctx, path)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) {
			return errors.New("GET " + path + ": no answer within timeout")
		}
		return fmt.Errorf("GET %s: %w", path, err)
	}
	if code < 200 || code > 299 {
		return statusError(path, code)
	}
	return nil
}

func (s *Server) recordRoute(rs *routeState, path string, err error, took time.Duration) {
	for {
		prev := rs.state.Load()
		next := &routeSnapshot{up: err == nil, known: true, latency: took, transition: prev.transition}
		if err != nil {
			next.err = err.Error()
		}
		changed := !prev.known || prev.up != next.up
		if changed {
			next.transition = time.Now()
		}
		if !changed && prev.err == next.err && prev.latency == took {
			return // nothing new: keep the hot path free of allocations in steady state
		}
		if rs.state.CompareAndSwap(prev, next) {
			if changed && prev.known {
				s.stall(path, next.up, next.transition, took)
			}
			if changed {
				from := "unknown"
				if prev.known {
					from = upDown(prev.up)
				}
				reason := "answered"
				if err != nil {
					reason = next.err
				}
				if ok, held := s.logLimit.Allow("app " + path); ok {
					attrs := []any{"component", "app", "route", path, "from", from, "to", upDown(next.up), "reason", reason}
					if held > 0 {
						attrs = append(attrs, "suppressed", held)
					}
					s.log.Info("state change", attrs...)
				}
			}
			return
		}
	}
}

// stall keeps a route's episodes of silence after the app had started: one begins when
// the failed request was sent (a hung route was silent for all its timeout), and ends
// when the route answers again.
func (s *Server) stall(route string, up bool, at time.Time, took time.Duration) {
	if !up {
		// While draining the app is being stopped: its silence is no stall.
		if s.start.started() && !s.draining.Load() {
			s.hist.StallBegan(route, at.Add(-took))
		}
		return
	}
	// Not logged here: the route's state change is (rate-limited).
	if took := s.hist.StallEnded(route, at); took > 0 {
		s.met.AppStall(route, took)
	}
}

func upDown(up bool) string {
	if up {
		return "up"
	}
	return "down"
}

// Component is one entry of a detailed body.
type Component struct {
	State          string  `json:"state"`
	Critical       bool    `json:"critical"`
	Type           string  `json:"type,omitempty"`
	LatencyMs      float64 `json:"latencyMs"`
	LastError      string  `json:"lastError"`
	LastTransition string  `json:"lastTransition"`
}

// Body is the JSON answer of live and ready.
type Body struct {
	Status     string               `json:"status"`
	Components map[string]Component `json:"components,omitempty"`
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func routeComponent(rs *routeState) Component {
	st := rs.state.Load()
	c := Component{State: string(checks.StateUnknown), Critical: true, LatencyMs: ms(st.latency),
		LastError: st.err, LastTransition: st.transition.UTC().Format(time.RFC3339Nano)}
	if st.known {
		c.State = upDown(st.up)
	}
	return c
}

func (s *Server) details(ready bool) map[string]Component {
	out := map[string]Component{}
	if s.proc != nil {
		out["process"] = Component{State: upDown(s.proc.Running()), Critical: true, LastError: "", LastTransition: ""}
	}
	if ready {
		out["app"] = routeComponent(&s.appReady)
		for _, st := range s.mon.Snapshot() {
			out[st.Name] = Component{State: string(st.State), Critical: st.Critical, Type: st.Type,
				LatencyMs: ms(st.Latency), LastError: st.LastError,
				LastTransition: st.LastTransition.UTC().Format(time.RFC3339Nano)}
		}
	} else {
		out["app"] = routeComponent(&s.appLive)
	}
	return out
}

func (s *Server) respond(w http.ResponseWriter, r *http.Request, endpoint string, ok bool, status string, ready bool) {
	code := http.StatusServiceUnavailable
	if ok {
		code = http.StatusOK
	}
	s.met.Probe(endpoint, code)
	body := staticBodies[status]
	if s.showDetails(r) {
		b, err := json.Marshal(Body{Status: status, Components: s.details(ready)})
		if err == nil {
			body = append(b, '\n')
		}
	}
	h := w.Header()
	h["Content-Type"] = jsonType
	h["Cache-Control"] = noStore
	h["Content-Length"] = []string{strconv.Itoa(len(body))}
	writeSoon(w)
	w.WriteHeader(code)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
}

var (
	jsonType  = []string{"application/json"}
	noStore   = []string{"no-store"}
	connClose = []string{"close"}
)

// maxRequestsPerConn bounds the requests one connection carries: the kubelet opens one
// per probe, a scraper a few; a client pipelining requests it never reads is cut off.
const maxRequestsPerConn = 16

// requestsKey finds a connection's request counter in a request's context.
type requestsKey struct{}

// countRequests is the http.Server's ConnContext: a request counter per connection.
func countRequests(ctx context.Context, _ net.Conn) context.Context {
	return context.WithValue(ctx, requestsKey{}, new(atomic.Int32))
}

// hasBody reports whether the request announces a body.
func hasBody(r *http.Request) bool { return r.ContentLength != 0 || len(r.TransferEncoding) > 0 }

// lastRequest counts the request on its connection and reports whether it is the last
// one the connection may carry.
func lastRequest(r *http.Request) bool {
	n, ok := r.Context().Value(requestsKey{}).(*atomic.Int32)
	return ok && n.Add(1) >= maxRequestsPerConn
}

// answerWriteTimeout bounds the writing of an answer once it is ready (a few hundred
// bytes, or the metrics page): a client that does not read it loses its connection.
const answerWriteTimeout = 2 * time.Second

// writeSoon starts answerWriteTimeout for the answer about to be written (a writer that
// is not a connection's, over the limit, has its own).
func writeSoon(w http.ResponseWriter) {
	_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(answerWriteTimeout))
}

// Serve answers on ln until ctx ends, then shuts down gracefully (bounded). Resources
// are bounded whoever connects: maxConns connections (see connLimit), short read and
// idle timeouts, small headers.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	return s.serveWithLimit(ctx, ln, maxConns)
}

// Time limits of the health port's connections.
const (
	headerTimeout = 2 * time.Second // a probe's request is written at once
	readTimeout   = 5 * time.Second
	// An answer waits at most for the app's probe timeout (config.MaxAppTimeout), then
	// is written at once: the write deadline must not cut a slow app's truthful answer.
	writeTimeout = config.MaxAppTimeout + 5*time.Second
	// The kubelet opens a connection per probe; a kept-alive client comes back within a
	// probe period or not at all.
	idleTimeout   = 5 * time.Second
	shutdownGrace = 2 * time.Second
)

func (s *Server) serveWithLimit(ctx context.Context, ln net.Listener, max int) error {
	// Probes are served even over the limit: a failed liveness probe restarts the
	// container and a failed readiness probe takes it out of traffic, which a flood must
	// not be able to cause.
	limit := newConnLimit(max, s.met.ConnectionShed, s, func(r *http.Request) bool {
		return (r.Method == http.MethodGet || r.Method == http.MethodHead) &&
			(r.URL.Path == s.cfg.Paths.Live || r.URL.Path == s.cfg.Paths.Ready)
	})
	srv := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: headerTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes, // a JWT fits, a flood of headers does not
		ConnState:         limit.track,
		ConnContext:       countRequests,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(limitedListener{Listener: ln, limit: limit}) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	_ = srv.Shutdown(sctx) // answers in flight finish within the grace
	_ = srv.Close()        // and whatever outlived it is cut (a no-op after a clean drain)
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
