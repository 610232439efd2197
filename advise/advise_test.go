package advise

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"kotaemon-k8s/internal/history"
)

// Nearest rank: the q-quantile of n sorted values is the ceil(q x n)-th.
func TestSummariseTakesTheNearestRank(t *testing.T) {
	t.Parallel()
	xs := make([]float64, 200)
	for i := range xs {
		xs[i] = float64(200 - i) // 200..1, unsorted
	}
	s := Summarise(xs)
	assert.Equal(t, Summary{N: 200, P50: 100, P95: 190, P99: 198, Max: 200}, s)
	assert.Equal(t, Summary{N: 1, P50: 7, P95: 7, P99: 7, Max: 7}, Summarise([]float64{7}))
	assert.Equal(t, Summary{}, Summarise(nil))
}

// startsFrom draws n start-ups from a log-normal with a long tail (median 60 s).
func startsFrom(seed uint64, n int) ([]history.Start, []float64) {
	rng := rand.New(rand.NewPCG(seed, 1))
	var starts []history.Start
	var xs []float64
	for range n {
		v := 60 * math.Exp(0.35*rng.NormFloat64())
		xs = append(xs, v)
		starts = append(starts, history.Start{Phases: map[string]float64{history.PhaseBound: v - 1, history.PhaseAnswered: v}})
	}
	return starts, xs
}

var current = Current{LivenessTimeout: 5, MeasurePeriod: 10, ReadinessWindow: 15, MinFailureThreshold: 3,
	Checks: []map[string]any{{"name": "llm", "intervalSeconds": 30, "timeoutSeconds": 5}, {"name": "db", "intervalSeconds": 10, "timeoutSeconds": 3}}}

// With enough start-ups the P99 (nearest rank) is expectedSeconds, within the sampling
// error of a P99 from 300 draws of the known distribution: the true P99 of a log-normal
// with sigma 0.35 around 60 s is 60 x e^(0.35 x 2.326) = 135.4 s.
func TestEnoughStartUpsGiveTheirP99WithTheNarrowerFactor(t *testing.T) {
	t.Parallel()
	starts, xs := startsFrom(7, 300)
	a, err := Compute(Observations{Pods: 2, Starts: starts}, current, "/startup-events")
	require.NoError(t, err)
	slices.Sort(xs)
	assert.Equal(t, int(math.Ceil(xs[296])), a.ExpectedSeconds, "the 297th of 300 is the P99")
	assert.InDelta(t, 135.4, float64(a.ExpectedSeconds), 135.4*0.2, "within 20%% of the true P99")
	assert.Equal(t, FactorWithP99, a.SafetyFactor)
	assert.Contains(t, strings.Join(a.StartupReason, " "), "300 start-ups from the history of 2 pods")
}

// Too few for a P99: the maximum, the widest factor, and the file says so.
func TestTooFewStartUpsGiveTheMaximumWithTheWidestFactor(t *testing.T) {
	t.Parallel()
	starts, xs := startsFrom(3, 12)
	starts = append(starts, history.Start{Phases: map[string]float64{history.PhaseBound: 5}}) // cut short
	a, err := Compute(Observations{Pods: 1, Starts: starts}, current, "/startup-events")
	require.NoError(t, err)
	assert.Equal(t, int(math.Ceil(slices.Max(xs))), a.ExpectedSeconds)
	assert.Equal(t, FactorWithMax, a.SafetyFactor)
	assert.Contains(t, strings.Join(a.StartupReason, " "), "Too few start-ups for a P99 (12")
	require.Len(t, a.Warnings, 1)
	assert.Contains(t, a.Warnings[0], "1 start-up ended before the app's first answer")

	_, err = Compute(Observations{Starts: starts[12:]}, current, "/startup-events")
	assert.ErrorIs(t, err, ErrNoStarts)
}

// The liveness window covers the longest live-route stall that ended with an answer,
// with its margin, never below the readiness window; other routes' stalls and stalls
// ended by a restart do not count (the latter are reported).
func TestTheLivenessWindowCoversTheLongestRecoveredStall(t *testing.T) {
	t.Parallel()
	starts, _ := startsFrom(1, 5)
	stalls := []history.Stall{
		{Route: "/startup-events", Seconds: 22, EndedBy: history.EndedByAnswer},
		{Route: "/startup-events", Seconds: 4, EndedBy: history.EndedByAnswer},
		{Route: "/app_id", Seconds: 300, EndedBy: history.EndedByAnswer},
		{Route: "/startup-events", Seconds: 500, EndedBy: history.EndedByRestart},
	}
	a, err := Compute(Observations{Starts: starts, Stalls: stalls}, current, "/startup-events")
	require.NoError(t, err)
	assert.Equal(t, [2]int{18, 3}, [2]int{a.LivenessPeriod, a.LivenessFailures}, "(22 s + 10 s) x 1.5 + 5 s = 53 s in 3 periods")
	assert.Equal(t, 2, a.Stalls.N)
	assert.Contains(t, strings.Join(a.Warnings, " "), "1 stall of the live route ended in a restart")

	a, err = Compute(Observations{Starts: starts, Stalls: stalls[1:2]}, Current{LivenessTimeout: 3, ReadinessWindow: 16, MinFailureThreshold: 3}, "/startup-events")
	require.NoError(t, err)
	assert.Equal(t, [2]int{6, 3}, [2]int{a.LivenessPeriod, a.LivenessFailures}, "PI-07: 3 x 6 s covers the readiness window of 16 s ((4 s + 0) x 1.5 + 3 s needs only 3 s periods)")

	a, err = Compute(Observations{Starts: starts, Stalls: []history.Stall{{Route: "/startup-events", Seconds: 1, EndedBy: history.EndedByAnswer}}}, Current{LivenessTimeout: 5, ReadinessWindow: 3, MinFailureThreshold: 3}, "/startup-events")
	require.NoError(t, err)
	assert.Equal(t, 5, a.LivenessPeriod, "PI-06: a period no shorter than the timeout")

	a, err = Compute(Observations{Starts: starts}, current, "/startup-events")
	require.NoError(t, err)
	assert.Zero(t, a.LivenessFailures, "no stall seen: the window is kept")
}

// A check's timeout is its passed runs' P99 x 3, at least 1 s, below its interval; the
// other checks are kept as they are, and the list is whole.
func TestCheckTimeoutsFollowTheirLatencies(t *testing.T) {
	t.Parallel()
	starts, _ := startsFrom(1, 5)
	lat := map[string][]float64{"llm": {0.4, 0.5, 1.9}, "db": {0.01, 0.02}}
	a, err := Compute(Observations{Starts: starts, Checks: lat}, current, "/startup-events")
	require.NoError(t, err)
	require.Len(t, a.Checks, 2)
	assert.Equal(t, 6, a.Checks[0]["timeoutSeconds"], "1.9 s x 3 = 5.7 s, rounded up")
	assert.Equal(t, 1, a.Checks[1]["timeoutSeconds"], "at least 1 s")
	assert.Equal(t, 5, current.Checks[0]["timeoutSeconds"], "the environment's own list is not changed")
}

// End to end on the chart: saved histories in, a values file out that the chart's guards
// accept beside the environment's file, every number under its reason, and the figures
// before and after printed side by side.
func TestRunWritesAnOverrideTheChartAcceptsAndPrintsWhatChanges(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	starts, _ := startsFrom(11, 40)
	var files []string
	for i, part := range [][]history.Start{starts[:25], starts[25:]} {
		d := history.Data{Version: history.Version, Mode: "supervise", Starts: part,
			Stalls: []history.Stall{{Route: "/startup-events", Seconds: float64(8 + i), EndedBy: history.EndedByAnswer}}}
		raw, err := json.Marshal(d)
		require.NoError(t, err)
		f := filepath.Join(dir, "pod"+string(rune('a'+i))+".json")
		require.NoError(t, os.WriteFile(f, raw, 0o644))
		files = append(files, f)
	}
	out := filepath.Join(dir, "dev.advised.yaml")
	var report bytes.Buffer
	err := Run(context.Background(), Options{Chart: "../charts/kotaemon", ValuesFiles: []string{"../values/dev.yaml"},
		Out: out, Histories: files, Now: time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC)}, &report)
	require.NoError(t, err)
	text, err := os.ReadFile(out)
	require.NoError(t, err)
	t.Logf("%s\n%s", text, report.String())
	assert.Contains(t, string(text), "40 start-ups from the history of 2 pods")
	assert.Contains(t, string(text), "safetyFactor: 1.5")
	assert.Contains(t, string(text), "-f ../values/dev.yaml -f <this file>")
	for _, line := range strings.Split(string(text), "\n") {
		if strings.Contains(line, ": ") && !strings.HasPrefix(strings.TrimSpace(line), "#") && strings.ContainsAny(line, "0123456789") {
			assert.Contains(t, string(text), "#", "a number without a reason: %s", line)
		}
	}
	for _, figure := range []string{"startup budget", "worst-case ready lag", "time to detect a deadlock", "longest stall of the live route seen: 9s"} {
		assert.Contains(t, report.String(), figure)
	}
}

// A history that is not one, or an advice the chart refuses, writes nothing.
func TestRunWritesNothingTheChartRefusesOrFromWhatIsNotAHistory(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	require.NoError(t, os.WriteFile(bad, []byte("<html>"), 0o644))
	out := filepath.Join(dir, "out.yaml")
	err := Run(context.Background(), Options{Chart: "../charts/kotaemon", ValuesFiles: []string{"../values/dev.yaml"}, Out: out, Histories: []string{bad}}, discard{})
	require.ErrorContains(t, err, "not an agent history")

	// A P99 start-up of 2000 s: its budget passes the progress deadline (PI-16).
	raw, _ := json.Marshal(history.Data{Version: history.Version, Starts: []history.Start{{Phases: map[string]float64{history.PhaseAnswered: 2000}}}})
	slow := filepath.Join(dir, "slow.json")
	require.NoError(t, os.WriteFile(slow, raw, 0o644))
	err = Run(context.Background(), Options{Chart: "../charts/kotaemon", ValuesFiles: []string{"../values/dev.yaml"}, Out: out, Histories: []string{slow}}, discard{})
	require.ErrorContains(t, err, "PI-16")
	assert.NoFileExists(t, out)
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
