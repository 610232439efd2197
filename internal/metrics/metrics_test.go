package metrics

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func scrape(t *testing.T, m *Metrics) string {
	t.Helper()
	w := httptest.NewRecorder()
	m.Handler().ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	require.Equal(t, 200, w.Code)
	b, err := io.ReadAll(w.Body)
	require.NoError(t, err)
	return string(b)
}

func TestCheckSeriesExistBeforeTheFirstRunAndFollowResults(t *testing.T) {
	t.Parallel()
	m := New("0.1.0")
	m.AddCheck("llm", "openai", true)
	out := scrape(t, m)
	assert.Contains(t, out, `kotaemon_health_check_up{check="llm",critical="true",type="openai"} 0`)
	assert.Contains(t, out, `kotaemon_health_check_failures_total{check="llm"} 0`)

	m.CheckResult("llm", true, 20*time.Millisecond)
	m.CheckResult("llm", false, 3*time.Second)
	m.CheckResult("unknown", false, time.Second) // ignored, no new series
	out = scrape(t, m)
	assert.Contains(t, out, `kotaemon_health_check_up{check="llm",critical="true",type="openai"} 0`)
	assert.Contains(t, out, `kotaemon_health_check_failures_total{check="llm"} 1`)
	assert.Contains(t, out, `kotaemon_health_check_duration_seconds_count{check="llm"} 2`)
	assert.Contains(t, out, `kotaemon_health_check_duration_seconds_bucket{check="llm",le="0.025"} 1`)
	assert.NotContains(t, out, `check="unknown"`)
}

func TestProbeCountersAndGauges(t *testing.T) {
	t.Parallel()
	m := New("0.1.0")
	for range 3 {
		m.Probe("ready", 200)
	}
	m.Probe("ready", 503)
	m.Probe("live", 200)
	m.SetAppUp(true)
	m.SetProcessUp(true)
	m.SetReady(true)
	m.SetDraining(true)
	out := scrape(t, m)
	for _, want := range []string{
		`kotaemon_health_probe_requests_total{code="200",endpoint="ready"} 3`,
		`kotaemon_health_probe_requests_total{code="503",endpoint="ready"} 1`,
		`kotaemon_health_probe_requests_total{code="200",endpoint="live"} 1`,
		`kotaemon_health_app_up 1`,
		`kotaemon_health_app_process_up 1`,
		`kotaemon_health_ready 1`,
		`kotaemon_health_draining 1`,
		`kotaemon_health_build_info{goversion="go`,
		`version="0.1.0"} 1`,
	} {
		assert.Contains(t, out, want)
	}
	for _, line := range strings.Split(out, "\n") {
		if line != "" && !strings.HasPrefix(line, "#") {
			assert.True(t, strings.HasPrefix(line, Namespace+"_"), line)
		}
	}
}

func BenchmarkProbeCounter(b *testing.B) {
	m := New("bench")
	b.ReportAllocs()
	for b.Loop() {
		m.Probe("ready", 200)
	}
}
