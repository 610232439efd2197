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
	for _, cfg := range []string{"chart", "seed-article", "naive"} {
		r := results.New("in-cluster", "dependency-outage", cfg, 1)
		r.Set("restartsDuringOutage", map[string]float64{"chart": 0, "seed-article": 0, "naive": 0}[cfg])
		r.Set("inServiceDuringOutage", map[string]float64{"chart": 26, "seed-article": 31, "naive": 180}[cfg])
		require.NoError(t, results.Write(in, r))
	}
	readme := filepath.Join(dir, "README.md")
	require.NoError(t, os.WriteFile(readme, []byte("intro\n<!-- bench:key-figures -->\nold\n<!-- /bench:key-figures -->\nend\n"), 0o644))
	out := filepath.Join(dir, "BENCHMARKS.md")
	require.NoError(t, run(in, out, readme, "benchmarks", filepath.Join(dir, "absent.txt")))

	report, err := os.ReadFile(out)
	require.NoError(t, err)
	assert.Contains(t, string(report), "| time in the Service's ready endpoints during the outage | 26 s | 31 s | 180 s | ×1.2 | ×6.9 |")
	assert.Contains(t, string(report), "No load average was sampled")
	r, err := os.ReadFile(readme)
	require.NoError(t, err)
	assert.Contains(t, string(r), "| time in the Service during that outage | 26 s | 31 s | 180 s |")
	assert.NotContains(t, string(r), "old")
	assert.Contains(t, string(r), "intro\n")
	assert.Contains(t, string(r), "end\n")

	require.NoError(t, os.WriteFile(readme, []byte("no markers\n"), 0o644))
	err = run(in, out, readme, "benchmarks", "")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "bench:key-figures")
}
