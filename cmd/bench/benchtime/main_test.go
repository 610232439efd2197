package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"kotaemon-k8s/bench/results"
)

const goBenchOutput = `goos: linux
BenchmarkRender/terratest-2         	      20	  80000000 ns/op
BenchmarkRender/sdk-2               	      20	  25000000 ns/op
BenchmarkRender/terratest-2         	      20	  100000000 ns/op
PASS
`

func TestGoBenchLinesBecomeOpsPerSecondPerSubBenchmarkAndRepetition(t *testing.T) {
	rs, err := parseGoBench("renders", strings.NewReader(goBenchOutput))
	require.NoError(t, err)
	require.Len(t, rs, 3)
	assert.Equal(t, "terratest", rs[0].Config)
	assert.Equal(t, 1, rs[0].Rep)
	assert.InDelta(t, 12.5, rs[0].Figures["perSecond"], 1e-9)
	assert.Equal(t, "sdk", rs[1].Config)
	assert.InDelta(t, 40, rs[1].Figures["perSecond"], 1e-9)
	assert.Equal(t, 2, rs[2].Rep, "a second count of the same sub-benchmark is its second repetition")

	_, err = parseGoBench("renders", strings.NewReader("PASS\n"))
	require.Error(t, err)
}

func TestEachRunIsTimedAndAFailingCommandIsNoFigure(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, run(dir, "noop", "warm", 2, false, []string{"true"}))
	rs, err := results.Load(dir)
	require.NoError(t, err)
	require.Len(t, rs, 2)
	assert.Equal(t, "test-speed", rs[0].Part)
	assert.Contains(t, rs[1].Figures, "wallSeconds")

	err = run(filepath.Join(dir, "f"), "fails", "warm", 1, false, []string{"false"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "run 1")
	for _, bad := range []struct {
		dir, scenario, config string
		reps                  int
		cmd                   []string
		want                  string
	}{
		{"", "s", "c", 1, []string{"true"}, "-results"},
		{dir, "", "c", 1, []string{"true"}, "-scenario"},
		{dir, "s", "", 1, []string{"true"}, "-config"},
		{dir, "s", "c", 0, []string{"true"}, "-reps"},
		{dir, "s", "c", 1, nil, "command"},
	} {
		err := run(bad.dir, bad.scenario, bad.config, bad.reps, false, bad.cmd)
		require.Error(t, err, bad.want)
		assert.Contains(t, err.Error(), bad.want)
	}
}
