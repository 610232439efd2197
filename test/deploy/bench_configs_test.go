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
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"kotaemon-k8s/test/chart"
)

var (
	benchDraws   = flag.Int("bench.draws", 10, "draws (repetitions at random phases) of every in-cluster scenario and configuration")
	benchNaive   = flag.String("bench.naiveprobes", "", "the naiveprobes post-renderer binary (cmd/bench/naiveprobes)")
	benchMutants = flag.String("bench.chartmutant", "", "the chartmutant post-renderer binary (cmd/chartmutant), for configurations that are a variant of the chart")
)

// benchConfig is one configuration under comparison: values files (and layers) on top
// of the chart's defaults, or a post-renderer over them: the naive probes, or a named
// variant of the chart (package test/mutants).
type benchConfig struct {
	name        string
	valuesFiles []string
	layers      []layer
	naive       bool
	variant     string
	// scenarios it is played in; empty: every scenario.
	scenarios []string
}

// playedIn says whether the configuration takes part in a scenario.
func (c benchConfig) playedIn(scenario string) bool {
	return len(c.scenarios) == 0 || slices.Contains(c.scenarios, scenario)
}

// stopAsBefore is the agent's stop before it waited for answers: SIGTERM passed on to the
// app once the drain delay is over, which kills Kotaemon's Python at once
// (docs/kotaemon.md).
var stopAsBefore = parseLayer("health:\n  shutdown:\n    stopSignal: SIGTERM\n    answersTimeoutSeconds: 0\n")

// benchConfigs are the configurations of docs/BENCHMARKS.md: (a) this chart's defaults,
// (b) the classic configuration of values/seed-article.yaml, (c) naive probes
// (cmd/bench/naiveprobes): everything else about the pod is the chart's, so only probes
// differ; (d) liveness on the ready endpoint, which checks dependencies (what many charts
// ship), in the faults only: it starts as (a) does; and, in the upgrades only, (e) the
// chart with the stop it had before it waited for answers in flight, so only the stop
// differs.
func benchConfigs() []benchConfig {
	return []benchConfig{
		{name: "chart"},
		{name: "seed-article", valuesFiles: []string{filepath.Join(chart.ValuesDir(), "seed-article.yaml")}},
		{name: "naive", naive: true},
		{name: "liveness-on-ready", variant: "liveness-on-the-ready-endpoint", scenarios: []string{"deadlock", "dependency-outage", "worker-stall"}},
		{name: "stop-as-before", layers: []layer{stopAsBefore}, scenarios: []string{"upgrade-1-replica", "upgrade-2-replicas"}},
	}
}

// installConfig installs the release in cfg with the scenario's layers; a
// configuration's post-renderer also applies to every later upgrade.
func (r *release) installConfig(cfg benchConfig, layers ...layer) {
	r.t.Helper()
	var args []string
	switch {
	case cfg.naive:
		args = []string{"--post-renderer", postRenderer(r.t, benchNaive, "naiveprobes")}
	case cfg.variant != "":
		args = []string{"--post-renderer", postRenderer(r.t, benchMutants, "chartmutant"), "--post-renderer-args", cfg.variant}
	}
	if args != nil {
		r.opts.ExtraArgs = map[string][]string{"install": args, "upgrade": args}
	}
	r.install(cfg.valuesFiles, append(layers, cfg.layers...)...)
}

// postRenderer is a post-renderer binary given by its flag (make bench-cluster builds
// and passes it on the host: the suite runs where there is no network).
func postRenderer(t *testing.T, flagValue *string, name string) string {
	t.Helper()
	require.NotEmpty(t, *flagValue, "-bench.%s: required, the path of the %s binary (make bench-cluster builds and passes it)", name, name)
	return *flagValue
}
