package server

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"kotaemon-k8s/internal/auth"
	"kotaemon-k8s/internal/checks"
	"kotaemon-k8s/internal/config"
	"kotaemon-k8s/internal/metrics"
	"kotaemon-k8s/internal/statelog"
)

// appDouble stands in for Kotaemon: each route answers, fails or hangs on demand.
type appDouble struct {
	srv     *httptest.Server
	mu      sync.Mutex
	mode    map[string]string // path -> "ok" | "fail" | "hang" | "block" (until release closes)
	calls   atomic.Int64
	release chan struct{}
}

func newApp(t testing.TB) *appDouble {
	t.Helper()
	a := &appDouble{mode: map[string]string{"/startup-events": "ok", "/app_id": "ok"}, release: make(chan struct{})}
	stop := make(chan struct{})
	a.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.calls.Add(1)
		a.mu.Lock()
		m := a.mode[r.URL.Path]
		a.mu.Unlock()
		switch m {
		case "ok":
			_, _ = io.WriteString(w, `{"app_id":1}`)
		case "fail":
			w.WriteHeader(http.StatusInternalServerError)
		case "hang":
			select {
			case <-r.Context().Done():
			case <-stop:
			}
		case "block":
			a.mu.Lock()
			release := a.release
			a.mu.Unlock()
			select {
			case <-release:
				_, _ = io.WriteString(w, `{"app_id":1}`)
			case <-stop:
			}
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(func() { close(stop); a.srv.Close() })
	return a
}

func (a *appDouble) set(path, mode string) { a.mu.Lock(); a.mode[path] = mode; a.mu.Unlock() }

type proc struct{ running atomic.Bool }

func (p *proc) Running() bool { return p.running.Load() }

type harness struct {
	app   *appDouble
	srv   *Server
	met   *metrics.Metrics
	mon   *checks.Monitor
	dep   *depSwitch
	info  *depSwitch
	proc  *proc
	logs  *syncBuffer
	token string
}

type depSwitch struct {
	mu  sync.Mutex
	err error
}

func (d *depSwitch) set(err error) { d.mu.Lock(); d.err = err; d.mu.Unlock() }

func (d *depSwitch) Probe(context.Context) error { d.mu.Lock(); defer d.mu.Unlock(); return d.err }

type syncBuffer struct {
	mu sync.Mutex
	sb strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sb.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.sb.String() }

type opt func(*config.Config)

// newHarness: an app double, one critical and one informational check (both up after
// one run), a running process, token auth.
func newHarness(t testing.TB, opts ...opt) *harness {
	t.Helper()
	h := &harness{app: newApp(t), dep: &depSwitch{}, info: &depSwitch{}, proc: &proc{}, logs: &syncBuffer{}, token: "t0ken"}
	h.proc.running.Store(true)
	cfg, err := config.Parse([]byte("auth:\n  mode: token\n  tokenFile: /unused\n"))
	require.NoError(t, err)
	cfg.App.URL = h.app.srv.URL
	cfg.App.Live.Timeout = 200 * time.Millisecond
	cfg.App.Ready.Timeout = 200 * time.Millisecond
	for _, o := range opts {
		o(cfg)
	}
	log := slog.New(slog.NewJSONHandler(h.logs, nil))
	h.met = metrics.New("test")
	h.met.AddCheck("llm", "openai", true)
	h.met.AddCheck("disk", "disk", false)
	h.mon = checks.NewMonitor([]checks.Spec{
		{Name: "llm", Type: "openai", Critical: true, Interval: time.Hour, Timeout: time.Second, Prober: h.dep},
		{Name: "disk", Type: "disk", Critical: false, Interval: time.Hour, Timeout: time.Second, Prober: h.info},
	}, log, h.met)
	h.mon.RunAll(context.Background())
	v, err := auth.New(cfg.Auth, &config.Secrets{Token: h.token})
	require.NoError(t, err)
	h.srv = New(Options{Config: cfg, Monitor: h.mon, Metrics: h.met, Verifier: v, Process: h.proc, Logger: log})
	return h
}

type reply struct {
	code int
	body Body
	raw  string
	hdr  http.Header
}

// call sends one request through the handler from a non-loopback address unless
// remote says otherwise.
func (h *harness) call(t *testing.T, method, path string, mods ...func(*http.Request)) reply {
	t.Helper()
	r := httptest.NewRequest(method, path, nil) // RemoteAddr 192.0.2.1: not loopback
	for _, m := range mods {
		m(r)
	}
	w := httptest.NewRecorder()
	h.srv.ServeHTTP(w, r)
	rep := reply{code: w.Code, raw: w.Body.String(), hdr: w.Header()}
	if strings.HasPrefix(w.Header().Get("Content-Type"), "application/json") && rep.raw != "" {
		require.NoError(t, json.Unmarshal([]byte(rep.raw), &rep.body), rep.raw)
	}
	return rep
}

func bearer(tok string) func(*http.Request) {
	return func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+tok) }
}

func fromLoopback(r *http.Request) { r.RemoteAddr = "127.0.0.1:40000" }

// fromMeshProxy is how every remote caller looks behind a sidecar mesh's inbound proxy.
func fromMeshProxy(r *http.Request) { r.RemoteAddr = "127.0.0.6:40000" }

func TestLiveEndpointStates(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		arrange  func(h *harness)
		wantCode int
	}{
		{"app answers its live route: 200", func(*harness) {}, 200},
		{"app route fails: 503", func(h *harness) { h.app.set("/startup-events", "fail") }, 503},
		{"app does not answer within app.live.timeout: 503", func(h *harness) { h.app.set("/startup-events", "hang") }, 503},
		{"app port closed (before the first answer): 503", func(h *harness) { h.app.srv.Close() }, 503},
		{"process not running: 503 even though the port answers", func(h *harness) { h.proc.running.Store(false) }, 503},
		{"critical dependency down: live never consults it, 200", func(h *harness) {
			h.dep.set(errors.New("down"))
			h.mon.RunAll(context.Background())
		}, 200},
		{"worker pool exhausted (ready route hangs): live still 200", func(h *harness) { h.app.set("/app_id", "hang") }, 200},
		{"draining: live stays 200 so the kubelet does not restart mid-drain", func(h *harness) { h.srv.SetDraining() }, 200},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			tc.arrange(h)
			rep := h.call(t, http.MethodGet, "/health/live")
			assert.Equal(t, tc.wantCode, rep.code)
			want := StatusOK
			if tc.wantCode != 200 {
				want = StatusUnavailable
			}
			assert.Equal(t, want, rep.body.Status)
			assert.Nil(t, rep.body.Components, "no details for an unauthenticated remote caller")
		})
	}
}

func TestReadyEndpointStates(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name       string
		arrange    func(h *harness)
		wantCode   int
		wantStatus string
	}{
		{"app and every critical check up: 200", func(*harness) {}, 200, StatusOK},
		{"informational check down: still 200", func(h *harness) {
			h.info.set(errors.New("disk full"))
			h.mon.RunAll(context.Background())
		}, 200, StatusOK},
		{"critical check down: 503", func(h *harness) {
			h.dep.set(errors.New("status 500"))
			h.mon.RunAll(context.Background())
		}, 503, StatusUnavailable},
		{"worker pool exhausted: ready route hangs past app.ready.timeout: 503", func(h *harness) { h.app.set("/app_id", "hang") }, 503, StatusUnavailable},
		{"ready route fails: 503", func(h *harness) { h.app.set("/app_id", "fail") }, 503, StatusUnavailable},
		{"app port closed: 503", func(h *harness) { h.app.srv.Close() }, 503, StatusUnavailable},
		{"process exited: 503", func(h *harness) { h.proc.running.Store(false) }, 503, StatusUnavailable},
		{"draining: 503 at once", func(h *harness) { h.srv.SetDraining() }, 503, StatusDraining},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			tc.arrange(h)
			rep := h.call(t, http.MethodGet, "/health/ready")
			assert.Equal(t, tc.wantCode, rep.code)
			assert.Equal(t, tc.wantStatus, rep.body.Status)
			assert.Equal(t, "no-store", rep.hdr.Get("Cache-Control"))
		})
	}
}

func TestReadyFailsUntilTheFirstRunOfACriticalCheck(t *testing.T) {
	t.Parallel()
	app := newApp(t)
	cfg := config.Default()
	cfg.App.URL = app.srv.URL
	mon := checks.NewMonitor([]checks.Spec{{Name: "llm", Type: "openai", Critical: true, Interval: time.Hour, Timeout: time.Second, Prober: &depSwitch{}}}, slog.New(slog.DiscardHandler), nil)
	s := New(Options{Config: cfg, Monitor: mon})
	get := func() int {
		w := httptest.NewRecorder()
		s.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/health/ready", nil))
		return w.Code
	}
	assert.Equal(t, 503, get(), "unknown counts as failing")
	mon.RunAll(context.Background())
	assert.Equal(t, 200, get())
}

func TestDetailsAreShownOnlyToAuthorisedCallers(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name          string
		details       string
		trustLoopback bool
		mods          []func(*http.Request)
		wantDetails   bool
	}{
		{"authenticated: remote caller without credentials", config.DetailsAuthenticated, false, nil, false},
		{"authenticated: remote caller with a wrong token", config.DetailsAuthenticated, false, []func(*http.Request){bearer("nope")}, false},
		{"authenticated: remote caller with the token", config.DetailsAuthenticated, false, []func(*http.Request){bearer("t0ken")}, true},
		{"authenticated: loopback caller, loopback not trusted (the default)", config.DetailsAuthenticated, false, []func(*http.Request){fromLoopback}, false},
		{"authenticated: a mesh's inbound proxy (127.0.0.6), loopback not trusted", config.DetailsAuthenticated, false, []func(*http.Request){fromMeshProxy}, false},
		{"authenticated: loopback caller, loopback trusted", config.DetailsAuthenticated, true, []func(*http.Request){fromLoopback}, true},
		{"public: anyone", config.DetailsPublic, false, nil, true},
		{"none: not even with the token", config.DetailsNone, true, []func(*http.Request){bearer("t0ken"), fromLoopback}, false},
	}
	for _, tc := range cases {
		for _, path := range []string{"/health/live", "/health/ready"} {
			t.Run(tc.name+" "+path, func(t *testing.T) {
				t.Parallel()
				h := newHarness(t, func(c *config.Config) {
					c.Details = tc.details
					c.Auth.TrustLoopback = tc.trustLoopback
				})
				h.dep.set(errors.New("status 500"))
				h.mon.RunAll(context.Background())
				rep := h.call(t, http.MethodGet, path, tc.mods...)
				if !tc.wantDetails {
					assert.Nil(t, rep.body.Components, rep.raw)
					assert.NotContains(t, rep.raw, "status 500")
					return
				}
				require.NotNil(t, rep.body.Components, rep.raw)
				app := rep.body.Components["app"]
				assert.Equal(t, "up", app.State)
				assert.NotEmpty(t, app.LastTransition)
				assert.Equal(t, "up", rep.body.Components["process"].State)
				if path == "/health/live" {
					assert.NotContains(t, rep.body.Components, "llm", "live never lists dependencies")
					return
				}
				llm := rep.body.Components["llm"]
				assert.Equal(t, "down", llm.State)
				assert.True(t, llm.Critical)
				assert.Equal(t, "openai", llm.Type)
				assert.Equal(t, "status 500", llm.LastError)
				_, err := time.Parse(time.RFC3339Nano, llm.LastTransition)
				assert.NoError(t, err)
				assert.False(t, rep.body.Components["disk"].Critical)
			})
		}
	}
}

// PI-11: credentials never change a probe's status code.
func TestStatusCodesDoNotDependOnCredentials(t *testing.T) {
	t.Parallel()
	for _, depDown := range []bool{false, true} {
		h := newHarness(t)
		if depDown {
			h.dep.set(errors.New("down"))
			h.mon.RunAll(context.Background())
		}
		for _, path := range []string{"/health/live", "/health/ready"} {
			anon := h.call(t, http.MethodGet, path).code
			authed := h.call(t, http.MethodGet, path, bearer("t0ken")).code
			wrong := h.call(t, http.MethodGet, path, bearer("wrong")).code
			assert.Equal(t, anon, authed, "%s depDown=%v", path, depDown)
			assert.Equal(t, anon, wrong, "%s depDown=%v", path, depDown)
		}
	}
}

func TestHeadAnswersLikeGetWithoutABody(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	for _, path := range []string{"/health/live", "/health/ready"} {
		get := h.call(t, http.MethodGet, path)
		head := h.call(t, http.MethodHead, path)
		assert.Equal(t, get.code, head.code, path)
		assert.Empty(t, head.raw, path)
		assert.Equal(t, get.hdr.Get("Content-Length"), head.hdr.Get("Content-Length"), path)
	}
}

func TestOtherMethodsAndPaths(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	rep := h.call(t, http.MethodPost, "/health/ready")
	assert.Equal(t, http.StatusMethodNotAllowed, rep.code)
	assert.Equal(t, "GET, HEAD", rep.hdr.Get("Allow"))
	assert.Equal(t, http.StatusNotFound, h.call(t, http.MethodGet, "/").code)
	assert.Equal(t, http.StatusNotFound, h.call(t, http.MethodGet, "/health").code)

	off := newHarness(t, func(c *config.Config) { c.Paths.Metrics = "" })
	assert.Equal(t, http.StatusNotFound, off.call(t, http.MethodGet, "/metrics").code, "metrics disabled")
}

func TestMetricsEndpoint(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.call(t, http.MethodGet, "/health/ready")
	h.call(t, http.MethodGet, "/health/live")
	h.app.set("/app_id", "fail")
	h.call(t, http.MethodGet, "/health/ready")

	rep := h.call(t, http.MethodGet, "/metrics")
	require.Equal(t, 200, rep.code)
	for _, want := range []string{
		`kotaemon_health_check_up{check="llm",critical="true",type="openai"} 1`,
		`kotaemon_health_check_up{check="disk",critical="false",type="disk"} 1`,
		`kotaemon_health_check_duration_seconds_count{check="llm"} 1`,
		`kotaemon_health_check_failures_total{check="llm"} 0`,
		`kotaemon_health_probe_requests_total{code="200",endpoint="ready"} 1`,
		`kotaemon_health_probe_requests_total{code="503",endpoint="ready"} 1`,
		`kotaemon_health_probe_requests_total{code="200",endpoint="live"} 1`,
		`kotaemon_health_app_up 0`,
		`kotaemon_health_app_process_up 1`,
		`kotaemon_health_ready 0`,
		`kotaemon_health_draining 0`,
		`kotaemon_health_build_info{goversion=`,
	} {
		assert.Contains(t, rep.raw, want)
	}
	for _, line := range strings.Split(rep.raw, "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		assert.True(t, strings.HasPrefix(line, "kotaemon_health_"), "metric without the prefix: %s", line)
	}
	h.srv.SetDraining()
	assert.Contains(t, h.call(t, http.MethodGet, "/metrics").raw, "kotaemon_health_draining 1")
}

func TestProtectedMetrics(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *config.Config) { c.Auth.ProtectMetrics = true })
	rep := h.call(t, http.MethodGet, "/metrics")
	assert.Equal(t, http.StatusUnauthorized, rep.code)
	assert.Contains(t, rep.hdr.Get("WWW-Authenticate"), "Bearer")
	assert.NotContains(t, rep.raw, "kotaemon_health_")
	assert.Equal(t, 200, h.call(t, http.MethodGet, "/metrics", bearer("t0ken")).code)
	assert.Equal(t, http.StatusUnauthorized, h.call(t, http.MethodGet, "/metrics", fromLoopback).code, "loopback is not trusted by default")
	trusting := newHarness(t, func(c *config.Config) { c.Auth.ProtectMetrics, c.Auth.TrustLoopback = true, true })
	assert.Equal(t, 200, trusting.call(t, http.MethodGet, "/metrics", fromLoopback).code)
}

// Every answer says no-store, the errors included.
func TestEveryAnswerForbidsCaching(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	for _, c := range []struct{ method, path string }{
		{http.MethodGet, "/health/live"}, {http.MethodGet, "/nowhere"}, {http.MethodPost, "/health/ready"}, {http.MethodGet, "/metrics"},
	} {
		rep := h.call(t, c.method, c.path)
		assert.Equal(t, "no-store", rep.hdr.Get("Cache-Control"), "%s %s (%d)", c.method, c.path, rep.code)
	}
}

func TestAppStateChangesAreLoggedOncePerChange(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	for range 5 {
		h.call(t, http.MethodGet, "/health/ready")
	}
	h.app.set("/app_id", "fail")
	for range 5 {
		h.call(t, http.MethodGet, "/health/ready")
	}
	var appLines []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(h.logs.String()), "\n") {
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &m))
		if m["component"] == "app" {
			appLines = append(appLines, m)
		}
	}
	require.Len(t, appLines, 2, "unknown->up, up->down; never one per probe")
	assert.Equal(t, "unknown", appLines[0]["from"])
	assert.Equal(t, "up", appLines[1]["from"])
	assert.Equal(t, "down", appLines[1]["to"])
	assert.Equal(t, "GET /app_id: status 500", appLines[1]["reason"])
}

func TestServeAnswersOverTCPAndStopsWithTheContext(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- h.srv.Serve(ctx, ln) }()

	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get("http://" + ln.Addr().String() + "/health/ready")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, 200, resp.StatusCode)
	assert.NotContains(t, string(body), `"components"`, "a loopback caller sees no details unless loopback is trusted")

	cancel()
	select {
	case err := <-errc:
		assert.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return after cancel")
	}
}

// A flood of probes while the app is slow becomes one request to the app, and every
// probe gets its answer.
func TestConcurrentProbesShareOneRequestToTheApp(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *config.Config) { c.App.Ready.Timeout = 30 * time.Second })
	h.app.set("/app_id", "block")
	codes := make(chan int, 11)
	probe := func() {
		w := httptest.NewRecorder()
		h.srv.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/health/ready", nil))
		codes <- w.Code
	}
	go probe() // the first probe sends the request
	await(t, func() bool { return h.app.calls.Load() == 1 })
	for range 10 {
		go probe()
	}
	await(t, func() bool { return h.srv.appReady.shared.Load() == 10 })
	close(h.app.release)
	for range 11 {
		select {
		case c := <-codes:
			assert.Equal(t, 200, c)
		case <-time.After(10 * time.Second):
			t.Fatal("a probe did not answer")
		}
	}
	assert.Equal(t, int64(1), h.app.calls.Load(), "one request to the app for 11 probes")
}

// await polls cond until it holds or a deadline passes.
func await(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached before the deadline")
		}
		time.Sleep(time.Millisecond)
	}
}

// Regression: a route that flaps on every probe does not write a line per probe: at
// most statelog.DefaultBurst state changes per window are logged.
func TestAFlappingRouteIsNotLoggedOnEveryProbe(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	for i := range 200 {
		h.app.set("/app_id", map[bool]string{true: "ok", false: "fail"}[i%2 == 0])
		h.call(t, http.MethodGet, "/health/ready")
	}
	lines := strings.Count(h.logs.String(), `"route":"/app_id"`)
	assert.LessOrEqual(t, lines, statelog.DefaultBurst, "state-change lines in one window")
	assert.Positive(t, lines)
}
