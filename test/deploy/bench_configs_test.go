//go:build bench

package deploy

// The in-cluster half of `make bench` (docs/BENCHMARKS.md): the same scenarios as the
// behaviour rows, played against three probe configurations side by side in one run, on
// one cluster, measured instead of bounded. Compiled only with -tags bench, so the test
// suites never run it and it never asserts a timing: it fails only when a figure could
// not be measured at all (an install refused, a pod never created).

import (
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"kotaemon-k8s/test/chart"
)

var (
	benchReps   = flag.Int("bench.reps", 3, "repetitions of every in-cluster scenario and configuration")
	benchNaive  = flag.String("bench.naiveprobes", "", "the naiveprobes post-renderer binary (built when empty)")
	naiveOnce   sync.Once
	naiveBinary string
	naiveErr    error
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
// (cmd/naiveprobes): everything else about the pod is the chart's, so only probes differ.
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

// naiveProbes is the post-renderer binary: -bench.naiveprobes, or built once here.
func naiveProbes(t *testing.T) string {
	t.Helper()
	naiveOnce.Do(func() {
		if *benchNaive != "" {
			naiveBinary = *benchNaive
			return
		}
		dir, err := os.MkdirTemp("", "naiveprobes-")
		if err != nil {
			naiveErr = err
			return
		}
		naiveBinary = filepath.Join(dir, "naiveprobes")
		cmd := exec.Command("go", "build", "-o", naiveBinary, "./cmd/naiveprobes")
		cmd.Dir = chart.Root()
		if out, err := cmd.CombinedOutput(); err != nil {
			naiveErr = &buildError{err: err, out: string(out)}
		}
	})
	require.NoError(t, naiveErr, "building the naiveprobes post-renderer")
	return naiveBinary
}

type buildError struct {
	err error
	out string
}

func (e *buildError) Error() string { return e.err.Error() + ": " + e.out }
