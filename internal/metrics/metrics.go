// Package metrics holds the agent's Prometheus metrics, on a registry of its own.
package metrics

import (
	"net/http"
	"runtime"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"kotaemon-k8s/internal/history"
)

// Namespace prefixes every metric name.
const Namespace = "kotaemon_health"

// Metrics is the agent's metric set. The zero value is not usable; call New.
type Metrics struct {
	Registry *prometheus.Registry

	checkUp       *prometheus.GaugeVec
	checkDuration *prometheus.HistogramVec
	checkFailures *prometheus.CounterVec
	probeRequests *prometheus.CounterVec
	appUp         prometheus.Gauge
	processUp     prometheus.Gauge
	ready         prometheus.Gauge
	draining      prometheus.Gauge
	startup       *prometheus.HistogramVec
	startupLast   *prometheus.GaugeVec
	stalls        *prometheus.HistogramVec
	shed          *prometheus.CounterVec

	mu     sync.RWMutex
	checks map[string]checkSeries
	probes map[probeKey]prometheus.Counter
}

type checkSeries struct {
	up       prometheus.Gauge
	duration prometheus.Observer
	failures prometheus.Counter
}

type probeKey struct {
	endpoint string
	code     int
}

// New registers every metric on a fresh registry.
func New(version string) *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		checkUp: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: Namespace, Name: "check_up",
			Help: "1 when the dependency check's latest result is up, 0 otherwise (also before its first run)."},
			[]string{"check", "type", "critical"}),
		checkDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: Namespace, Name: "check_duration_seconds",
			Help:    "Duration of dependency check runs.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}},
			[]string{"check"}),
		checkFailures: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "check_failures_total",
			Help: "Failed dependency check runs."}, []string{"check"}),
		probeRequests: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "probe_requests_total",
			Help: "Requests to the agent's endpoints by endpoint and status code."}, []string{"endpoint", "code"}),
		appUp: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: Namespace, Name: "app_up",
			Help: "1 when the app answered its latest live or ready request, 0 otherwise."}),
		processUp: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: Namespace, Name: "app_process_up",
			Help: "1 while the supervised app process runs (always 1 in sidecar mode)."}),
		ready: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: Namespace, Name: "ready",
			Help: "1 when the latest readiness answer was 200."}),
		draining: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: Namespace, Name: "draining",
			Help: "1 once SIGTERM has been received and readiness fails on purpose."}),
		startup: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: Namespace, Name: "app_startup_seconds",
			Help:    "Start-up of the app, from its process start (the agent's own start in sidecar mode) to its port accepting connections (phase bound), to its first answer (phase answered) and to the agent's first ready answer (phase ready). One observation per start: the P99 over restarts sizes probes.startup.expectedSeconds (kotaemonctl advise reads the same from the agent's history).",
			Buckets: StartupBuckets}, []string{"phase"}),
		startupLast: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: Namespace, Name: "app_startup_last_seconds",
			Help: "The latest start-up of the app, by phase (see app_startup_seconds)."}, []string{"phase"}),
		stalls: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: Namespace, Name: "app_stall_seconds",
			Help:    "Episodes, after the app had started, during which one of its routes (label route: the live or the ready route the agent asks) stopped answering, by length. The longest sizes the liveness window (kotaemonctl advise).",
			Buckets: StallBuckets}, []string{"route"}),
		shed: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "connections_shed_total",
			Help: "Connections to the health port over the limit: an idle one evicted to make room, or the newcomer refused with 503 when all were busy."}, []string{"how"}),
		checks: map[string]checkSeries{},
		probes: map[probeKey]prometheus.Counter{},
	}
	info := prometheus.NewGauge(prometheus.GaugeOpts{Namespace: Namespace, Name: "build_info",
		Help:        "Always 1; labels carry the agent's version and Go version.",
		ConstLabels: prometheus.Labels{"version": version, "goversion": runtime.Version()}})
	info.Set(1)
	m.Registry.MustRegister(m.checkUp, m.checkDuration, m.checkFailures, m.probeRequests,
		m.appUp, m.processUp, m.ready, m.draining, m.startup, m.startupLast, m.stalls, m.shed, info)
	return m
}

// ConnectionShed counts one connection shed by the health port's limit.
func (m *Metrics) ConnectionShed(how string) { m.shed.WithLabelValues(how).Inc() }

// ShedCounter is the counter of connections shed one way (tests).
func (m *Metrics) ShedCounter(how string) prometheus.Counter { return m.shed.WithLabelValues(how) }

// StartupBuckets span Kotaemon's start-ups, seconds to a quarter of an hour.
var StartupBuckets = []float64{5, 10, 15, 20, 30, 45, 60, 90, 120, 150, 180, 240, 300, 420, 600, 900}

// Start-up phases (package history names them).
const (
	PhaseBound    = history.PhaseBound
	PhaseAnswered = history.PhaseAnswered
	PhaseReady    = history.PhaseReady
)

// StallBuckets span a stall from a second to ten minutes.
var StallBuckets = []float64{1, 2, 5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 300, 600}

// AppStall records one stall of a route that ended with an answer.
func (m *Metrics) AppStall(route string, took time.Duration) {
	m.stalls.WithLabelValues(route).Observe(took.Seconds())
}

// StartupLast is the gauge of a phase's latest start-up (for tests and dashboards).
func (m *Metrics) StartupLast(phase string) prometheus.Gauge {
	return m.startupLast.WithLabelValues(phase)
}

// AppStartup records one phase of a start-up, once per start.
func (m *Metrics) AppStartup(phase string, took time.Duration) {
	m.startup.WithLabelValues(phase).Observe(took.Seconds())
	m.startupLast.WithLabelValues(phase).Set(took.Seconds())
}

// AddCheck creates a check's series up front, so a check that never ran shows as down.
func (m *Metrics) AddCheck(name, typ string, critical bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := checkSeries{
		up:       m.checkUp.WithLabelValues(name, typ, strconv.FormatBool(critical)),
		duration: m.checkDuration.WithLabelValues(name),
		failures: m.checkFailures.WithLabelValues(name),
	}
	s.up.Set(0)
	m.checks[name] = s
}

// CheckResult records one check run (checks.Recorder).
func (m *Metrics) CheckResult(name string, up bool, took time.Duration) {
	m.mu.RLock()
	s, ok := m.checks[name]
	m.mu.RUnlock()
	if !ok {
		return
	}
	s.duration.Observe(took.Seconds())
	if up {
		s.up.Set(1)
	} else {
		s.up.Set(0)
		s.failures.Inc()
	}
}

// Probe counts one request to an endpoint; series are cached so the hot path does not
// allocate.
func (m *Metrics) Probe(endpoint string, code int) {
	k := probeKey{endpoint, code}
	m.mu.RLock()
	c, ok := m.probes[k]
	m.mu.RUnlock()
	if !ok {
		m.mu.Lock()
		if c, ok = m.probes[k]; !ok {
			c = m.probeRequests.WithLabelValues(endpoint, strconv.Itoa(code))
			m.probes[k] = c
		}
		m.mu.Unlock()
	}
	c.Inc()
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// SetAppUp records whether the app answered its latest request.
func (m *Metrics) SetAppUp(up bool) { m.appUp.Set(b2f(up)) }

// SetProcessUp records whether the app process runs.
func (m *Metrics) SetProcessUp(up bool) { m.processUp.Set(b2f(up)) }

// SetReady records the latest readiness answer.
func (m *Metrics) SetReady(ok bool) { m.ready.Set(b2f(ok)) }

// SetDraining records that shutdown has begun.
func (m *Metrics) SetDraining(d bool) { m.draining.Set(b2f(d)) }

// Handler serves the exposition format of this registry only, one render at a time
// (see pageRenderer).
func (m *Metrics) Handler() http.Handler {
	return &pageRenderer{render: promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{})}
}
