//go:build bench

package deploy

// The in-cluster half of `make bench` (docs/BENCHMARKS.md): the same scenarios as the
// behaviour rows, played against three probe configurations side by side in one run, on
// one cluster, measured instead of bounded. Compiled only with -tags bench, so the test
// suites never run it and it never asserts a timing: it fails only when a figure could
// not be measured at all (an install refused, a pod never created).

import (
	"flag"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"kotaemon-k8s/test/chart"
)

var (
	benchReps  = flag.Int("bench.reps", 3, "repetitions of every in-cluster scenario and configuration")
	benchNaive = flag.String("bench.naiveprobes", "", "the naiveprobes post-renderer binary (cmd/bench/naiveprobes)")
)

// benchConfig is one probe configuration under comparison: values files on top of the
// chart's defaults, or the naive post-renderer over them.
type benchConfig struct {
	name        string
	valuesFiles []string
	naive       bool
}

// benchConfigs are the three configurations of docs/BENCHMARKS.md: (a) this chart's
// defaults, (b) the classic configuration of values/seed-article.yaml, (c) naive probes
// (cmd/bench/naiveprobes): everything else about the pod is the chart's, so only probes differ.
func benchConfigs() []benchConfig {
	return []benchConfig{
		{name: "chart"},
		{name: "seed-article", valuesFiles: []string{filepath.Join(chart.ValuesDir(), "seed-article.yaml")}},
		{name: "naive", naive: true},
	}
}

// installConfig installs the release in cfg with the scenario's layers; the naive
// configuration's post-renderer also applies to every later upgrade.
func (r *release) installConfig(cfg benchConfig, layers ...layer) {
	r.t.Helper()
	if cfg.naive {
		bin := naiveProbes(r.t)
		r.opts.ExtraArgs = map[string][]string{
			"install": {"--post-renderer", bin},
			"upgrade": {"--post-renderer", bin},
		}
	}
	r.install(cfg.valuesFiles, layers...)
}

// naiveProbes is the post-renderer binary of -bench.naiveprobes (make bench-cluster
// builds it on the host: the suite runs where there is no network).
func naiveProbes(t *testing.T) string {
	t.Helper()
	require.NotEmpty(t, *benchNaive, "-bench.naiveprobes: required, the path of the naiveprobes binary (make bench-cluster builds and passes it)")
	return *benchNaive
}
