package advise

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// PrometheusWindow is how far back the Prometheus source looks.
const PrometheusWindow = "30d"

// FromPrometheus summarises the agents' histograms in a Prometheus (its HTTP API at
// base) for the series the selector names (e.g. `namespace="kotaemon"`): counts and
// quantiles over PrometheusWindow, the largest start-up from the latest-start gauge, the
// longest stall as the upper bound of the highest bucket it reached. The histograms keep
// no samples, so the quantiles are interpolated in their buckets (5 s to 15 min for
// start-ups): coarser than a history's, and stated as such in the file.
func FromPrometheus(ctx context.Context, base, selector, liveRoute string) (Observations, string, error) {
	var obs Observations
	q := func(expr string) (map[string]float64, error) { return promQuery(ctx, base, expr) }
	one := func(expr string) (float64, error) {
		r, err := q(expr)
		if err != nil {
			return 0, err
		}
		return r[""], nil
	}
	sel := selector
	if sel != "" {
		sel += ", "
	}
	ag := &Aggregates{Method: fmt.Sprintf("Prometheus at %s (%s, over %s)", base, selector, PrometheusWindow), Checks: map[string]Summary{}}
	startSel := fmt.Sprintf(`{%sphase="answered"}`, sel)
	var err error
	summary := func(metric, matchers, maxExpr string) (Summary, error) {
		var s Summary
		n, err := one(fmt.Sprintf(`sum(increase(%s_count%s[%s]))`, metric, matchers, PrometheusWindow))
		if err != nil || n < 0.5 {
			return s, err
		}
		s.N = int(math.Round(n))
		for _, p := range []struct {
			q   float64
			dst *float64
		}{{0.5, &s.P50}, {0.95, &s.P95}, {0.99, &s.P99}} {
			if *p.dst, err = one(fmt.Sprintf(`histogram_quantile(%g, sum by (le) (increase(%s_bucket%s[%s])))`, p.q, metric, matchers, PrometheusWindow)); err != nil {
				return s, err
			}
		}
		s.Max, err = one(maxExpr)
		return s, err
	}
	if ag.Starts, err = summary("kotaemon_health_app_startup_seconds", startSel,
		fmt.Sprintf(`max(max_over_time(kotaemon_health_app_startup_last_seconds%s[%s]))`, startSel, PrometheusWindow)); err != nil {
		return obs, "", err
	}
	stallSel := fmt.Sprintf(`{%sroute=%q}`, sel, liveRoute)
	if ag.Stalls, err = summary("kotaemon_health_app_stall_seconds", stallSel,
		fmt.Sprintf(`histogram_quantile(1, sum by (le) (increase(kotaemon_health_app_stall_seconds_bucket%s[%s])))`, stallSel, PrometheusWindow)); err != nil {
		return obs, "", err
	}
	p99, err := q(fmt.Sprintf(`histogram_quantile(0.99, sum by (le, check) (increase(kotaemon_health_check_duration_seconds_bucket{%s}[%s])))`, selector, PrometheusWindow))
	if err != nil {
		return obs, "", err
	}
	runs, err := q(fmt.Sprintf(`sum by (check) (increase(kotaemon_health_check_duration_seconds_count{%s}[%s]))`, selector, PrometheusWindow))
	if err != nil {
		return obs, "", err
	}
	for check, v := range p99 {
		ag.Checks[check] = Summary{N: int(math.Round(runs[check])), P50: math.NaN(), P95: math.NaN(), P99: v, Max: math.NaN()}
	}
	obs.Aggregated = ag
	return obs, ag.Method, nil
}

// promQuery runs an instant query and returns each series' value by its check label
// ("" for a series without one). A NaN (an empty histogram) is left out.
func promQuery(ctx context.Context, base, expr string) (map[string]float64, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	u := base + "/api/v1/query?" + url.Values{"query": {expr}}.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return nil, err
	}
	var r struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			ResultType string `json:"resultType"`
			Result     []struct {
				Metric map[string]string `json:"metric"`
				Value  [2]any            `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, fmt.Errorf("Prometheus at %s: %s: not its API's answer (%w)", base, resp.Status, err)
	}
	if r.Status != "success" {
		return nil, fmt.Errorf("Prometheus at %s refused %s: %s", base, expr, r.Error)
	}
	out := map[string]float64{}
	for _, s := range r.Data.Result {
		text, _ := s.Value[1].(string)
		v, err := strconv.ParseFloat(text, 64)
		if err != nil || math.IsNaN(v) {
			continue
		}
		out[s.Metric["check"]] = v
	}
	return out, nil
}
