package server

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// discard is a ResponseWriter that keeps nothing, so the benchmark measures the handler.
type discard struct{ h http.Header }

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) Write(p []byte) (int, error) { return len(p), nil }
func (d *discard) WriteHeader(int)             {}

func benchmarkEndpoint(b *testing.B, path string, prepare func(h *harness), mods ...func(*http.Request)) {
	h := newHarness(b)
	if prepare != nil {
		prepare(h)
	}
	req := httptest.NewRequest(http.MethodGet, path, nil)
	for _, m := range mods {
		m(req)
	}
	w := &discard{h: http.Header{}}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		h.srv.ServeHTTP(w, req)
	}
}

// BenchmarkReadyHandler: the kubelet's probe (no credentials): one request to the app's
// ready route over loopback plus the cached check results.
func BenchmarkReadyHandler(b *testing.B) { benchmarkEndpoint(b, "/health/ready", nil) }

// BenchmarkReadyHandlerDraining: the fast path once SIGTERM has arrived.
func BenchmarkReadyHandlerDraining(b *testing.B) {
	benchmarkEndpoint(b, "/health/ready", func(h *harness) { h.srv.SetDraining() })
}

// BenchmarkReadyHandlerWithDetails: an authorised caller, JSON body with components.
func BenchmarkReadyHandlerWithDetails(b *testing.B) {
	benchmarkEndpoint(b, "/health/ready", nil, bearer("t0ken"))
}

// BenchmarkLiveHandler: the liveness/startup probe.
func BenchmarkLiveHandler(b *testing.B) { benchmarkEndpoint(b, "/health/live", nil) }
