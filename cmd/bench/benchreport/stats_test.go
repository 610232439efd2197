package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"kotaemon-k8s/bench/results"
)

func res(scenario, config string, rep int, figures map[string]float64, caps map[string]float64) results.Result {
	r := results.New("in-cluster", scenario, config, rep)
	for k, v := range figures {
		r.Set(k, v)
	}
	for k, v := range caps {
		r.Never(k, v)
	}
	return *r
}

func TestACellIsTheMedianWithItsSpreadAndCountsWhatNeverHappened(t *testing.T) {
	rs := []results.Result{
		res("s", "chart", 1, map[string]float64{"lag": 4}, nil),
		res("s", "chart", 2, map[string]float64{"lag": 2}, nil),
		res("s", "chart", 3, map[string]float64{"lag": 9}, nil),
		res("s", "naive", 1, nil, map[string]float64{"lag": 330}),
		res("s", "naive", 2, map[string]float64{"lag": 12}, nil),
		res("s", "naive", 3, nil, map[string]float64{"lag": 330}),
		res("other", "chart", 1, map[string]float64{"lag": 100}, nil),
	}
	chart := collect(rs, "in-cluster", "s", "chart", "lag")
	assert.Equal(t, "4.0 s (2.0 s–9.0 s)", chart.format(secs))
	naive := collect(rs, "in-cluster", "s", "naive", "lag")
	assert.Equal(t, "12 s; never within 330 s in 2 of 3", naive.format(secs))
	assert.Equal(t, "–", ratio(naive, chart), "no ratio when a repetition never got there")
	assert.Equal(t, "never within 330 s (1 of 1)", cell{never: 1, capSecs: 330}.format(secs))
	assert.Equal(t, "not measured", collect(rs, "in-cluster", "s", "seed-article", "lag").format(secs))
}

func TestRatiosDivideMediansAndSayWhenTheBaseIsZero(t *testing.T) {
	assert.Equal(t, "×2.5", ratio(cell{values: []float64{10}}, cell{values: []float64{4}}))
	assert.Equal(t, "×570", ratio(cell{values: []float64{203}}, cell{values: []float64{0.356}}), "large ratios without exponents")
	assert.Equal(t, "=", ratio(cell{values: []float64{0}}, cell{values: []float64{0}}))
	assert.Equal(t, "∞", ratio(cell{values: []float64{3}}, cell{values: []float64{0}}))
	assert.Equal(t, 3.0, cell{values: []float64{2, 4}}.median(), "an even count averages the middle two")
}

func TestTheReportAndTheReadmesKeyFiguresComeFromTheResults(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "bench")
	for _, cfg := range []string{"chart", "seed-article", "naive", "liveness-on-ready"} {
		r := results.New("in-cluster", "dependency-outage", cfg, 1)
		r.Set("restartsDuringOutage", map[string]float64{"liveness-on-ready": 1}[cfg])
		r.Set("inServiceDuringOutage", map[string]float64{"chart": 26, "seed-article": 31, "naive": 180, "liveness-on-ready": 27}[cfg])
		r.Set("outageToNotReady", 26)
		r.Limit("outageToNotReady", 40)
		r.Limit("outageToNotReady/mean", 35)
		r.Draw("faultAfterReadySeconds", 12.5, 42)
		r.Describe("faultAfterReadySeconds.fromSeconds", 0.0)
		r.Describe("faultAfterReadySeconds.toSeconds", 30.0)
		r.Describe("outageSeconds", 180.0)
		r.Describe("check.intervalSeconds", 2.0)
		r.Describe("readiness.target", "GET :8000/health/ready")
		r.Describe("readiness.periodSeconds", 10.0)
		require.NoError(t, results.Write(in, r))
	}
	readme := filepath.Join(dir, "README.md")
	require.NoError(t, os.WriteFile(readme, []byte("intro\n<!-- bench:key-figures -->\nold\n<!-- /bench:key-figures -->\nend\n"), 0o644))
	out := filepath.Join(dir, "BENCHMARKS.md")
	require.NoError(t, run(in, out, readme, "benchmarks", filepath.Join(dir, "absent.txt")))

	b, err := os.ReadFile(out)
	require.NoError(t, err)
	report := string(b)
	assert.Contains(t, report, "| time in the Service's ready endpoints during the outage | (a) | 26 s | 26 s | – | – | – | – |")
	assert.Contains(t, report, "|  | (c) | 180 s | 180 s | – | – | – | ×6.9 |")
	assert.Contains(t, report, "| outage → NotReady | (a) | 26 s | 26 s | 40 s | 35 s | 0 of 1 | – |", "the schedule's limit beside the figure")
	assert.Contains(t, report, "### Dependency outage, 3 min", "the title from the recorded setup")
	assert.Contains(t, report, "checked every 2 s", "the check's interval from the recorded setup")
	assert.Contains(t, report, "drawn uniformly from 0–30 s (4 draws: 12 s–12 s)")
	assert.Contains(t, report, "(seeds: 42)")
	assert.Contains(t, report, "readiness `GET :8000/health/ready` every 10 s, timeout ?", "a setting that was not recorded shows as ?, never made up")
	assert.Contains(t, report, "No load average was sampled")
	r, err := os.ReadFile(readme)
	require.NoError(t, err)
	assert.Contains(t, string(r), "| restarts during a 3 min dependency outage | 0 | 0 | 0 | 1 |")
	assert.Contains(t, string(r), "| time in the Service during that outage | 26 s | 31 s | 180 s | 27 s |")
	assert.NotContains(t, string(r), "old")
	assert.Contains(t, string(r), "intro\n")
	assert.Contains(t, string(r), "end\n")

	require.NoError(t, os.WriteFile(readme, []byte("no markers\n"), 0o644))
	err = run(in, out, readme, "benchmarks", "")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "bench:key-figures")
}

func TestAFigureAboveItsOwnLimitIsCountedAndTheWorstFollowsItsDirection(t *testing.T) {
	mk := func(rep int, v, limit float64) results.Result {
		r := res("s", "chart", rep, map[string]float64{"lag": v}, nil)
		r.Limit("lag", limit)
		r.Limit("lag/mean", limit/2)
		return r
	}
	c := collect([]results.Result{mk(1, 4, 15), mk(2, 16, 15), mk(3, 9, 20)}, "in-cluster", "s", "chart", "lag")
	assert.Equal(t, 20.0, c.limit, "the highest limit over the draws")
	assert.InDelta(t, 25.0/3, c.mean, 1e-9, "the average of the draws' means")
	assert.Equal(t, 1, c.above, "16 s is above its own 15 s limit; 9 s is within its 20 s")
	assert.Equal(t, "16 s", c.worst(secs, false))
	assert.Equal(t, "4.0 s", c.worst(secs, true))
	assert.Equal(t, "9.0 s (worst 16 s)", c.medianAndWorst(secs, false))
	assert.Equal(t, "never within 330 s (1 of 1)", cell{never: 1, capSecs: 330}.medianAndWorst(secs, false))
}

// A draw that could not read a figure is not hidden behind the median of the others.
func TestATableSaysInHowManyDrawsAFigureWasMeasured(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "bench")
	for rep := 1; rep <= 3; rep++ {
		r := results.New("in-cluster", "deadlock", "chart", rep)
		if rep != 2 {
			r.Set("deadlockToRestart", 80)
		}
		require.NoError(t, results.Write(in, r))
	}
	out := filepath.Join(dir, "BENCHMARKS.md")
	require.NoError(t, run(in, out, "", "benchmarks", ""))
	b, err := os.ReadFile(out)
	require.NoError(t, err)
	assert.Contains(t, string(b), "| deadlock → container restarted | (a) | 80 s (measured in 2 of 3 draws) | 80 s |")
}
