package advise

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// promDouble answers instant queries from a table of (a piece of the expression, its
// series), and keeps every query it was asked.
func promDouble(t *testing.T, answers []promAnswer) (*httptest.Server, *[]string) {
	var mu sync.Mutex
	var asked []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		expr := r.URL.Query().Get("query")
		mu.Lock()
		asked = append(asked, expr)
		mu.Unlock()
		result := []any{}
		for _, a := range answers {
			if strings.Contains(expr, a.piece) {
				for label, v := range a.series {
					metric := map[string]string{}
					if label != "" {
						metric["check"] = label
					}
					result = append(result, map[string]any{"metric": metric, "value": []any{1.7e9, v}})
				}
				break
			}
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"status": "success", "data": map[string]any{"resultType": "vector", "result": result}})
	}))
	t.Cleanup(srv.Close)
	return srv, &asked
}

type promAnswer struct {
	piece  string
	series map[string]string // check label ("" for none) -> value as Prometheus writes it
}

// From a Prometheus: counts and quantiles of the agents' histograms over 30 days for the
// release's series, the largest start-up from the latest-start gauge; 150 start-ups are
// enough for their P99, and the file says how it was computed.
func TestAPrometheusGivesTheSummariesTheAdviceNeeds(t *testing.T) {
	t.Parallel()
	srv, asked := promDouble(t, []promAnswer{
		{"increase(kotaemon_health_app_startup_seconds_count", map[string]string{"": "150"}},
		{"histogram_quantile(0.5, sum by (le) (increase(kotaemon_health_app_startup", map[string]string{"": "60"}},
		{"histogram_quantile(0.95, sum by (le) (increase(kotaemon_health_app_startup", map[string]string{"": "110"}},
		{"histogram_quantile(0.99, sum by (le) (increase(kotaemon_health_app_startup", map[string]string{"": "129.4"}},
		{"max_over_time(kotaemon_health_app_startup_last_seconds", map[string]string{"": "141"}},
		{"increase(kotaemon_health_app_stall_seconds_count", map[string]string{"": "3"}},
		{"histogram_quantile(1, sum by (le) (increase(kotaemon_health_app_stall", map[string]string{"": "20"}},
		{"kotaemon_health_app_stall_seconds_bucket", map[string]string{"": "10"}},
		{"histogram_quantile(0.99, sum by (le, check)", map[string]string{"llm": "0.8", "db": "NaN"}},
		{"sum by (check) (increase(kotaemon_health_check_duration_seconds_count", map[string]string{"llm": "1000"}},
	})
	obs, what, err := FromPrometheus(context.Background(), srv.URL, `namespace="kotaemon"`, "/startup-events")
	require.NoError(t, err)
	assert.Contains(t, what, "Prometheus at "+srv.URL)
	for _, q := range *asked {
		assert.Contains(t, q, `namespace="kotaemon"`, "every query names the release's series: %s", q)
	}
	a, err := Compute(obs, current, "/startup-events")
	require.NoError(t, err)
	assert.Equal(t, 130, a.ExpectedSeconds, "the P99, rounded up")
	assert.Equal(t, FactorWithP99, a.SafetyFactor)
	reasons := strings.Join(a.StartupReason, " ")
	assert.Contains(t, reasons, "150 start-ups from Prometheus at")
	assert.Contains(t, reasons, "P99 2m9.4s, max 2m21s")
	assert.Contains(t, reasons, "interpolated in the histogram's buckets")
	assert.Equal(t, 3, a.Stalls.N)
	assert.Equal(t, 20.0, a.Stalls.Max, "the top bucket's bound: the longest stall, rounded up")
	require.Len(t, a.Checks, 2)
	assert.Equal(t, 3, a.Checks[0]["timeoutSeconds"], "llm: 0.8 s x 3 = 2.4 s, rounded up")
	assert.Equal(t, 3, a.Checks[1]["timeoutSeconds"], "db: no latency known, kept")
	assert.Contains(t, strings.Join(a.ChecksReason, " "), "llm: 1000 runs, P99 800ms")
}

// A Prometheus that refuses a query, or an address that is no Prometheus, is named.
func TestAPrometheusThatRefusesIsNamed(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(`{"status":"error","errorType":"bad_data","error":"parse error"}`))
	}))
	t.Cleanup(srv.Close)
	_, _, err := FromPrometheus(context.Background(), srv.URL, `namespace="k"`, "/")
	require.ErrorContains(t, err, "refused")
	require.ErrorContains(t, err, "parse error")

	html := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("<html>")) }))
	t.Cleanup(html.Close)
	_, _, err = FromPrometheus(context.Background(), html.URL, `namespace="k"`, "/")
	require.ErrorContains(t, err, "not its API's answer")
}
