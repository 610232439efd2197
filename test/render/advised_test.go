package render

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"kotaemon-k8s/advise"
	"kotaemon-k8s/internal/history"
	"kotaemon-k8s/invariants"
	"kotaemon-k8s/test/chart"
)

// An advised override is installed on top of its environment's file, so it is checked
// there: every values/<env>.advised.yaml beside values/<env>.yaml, and, so that the test
// never passes on an empty directory, one advise writes for every environment from a
// synthetic history (stated here, not measured: 30 start-ups of 40-98 s, stalls of the
// live route of 3-12 s). Each pair renders in every mode, holds every PI rule and passes
// the API server's validation.
func TestEveryAdvisedOverrideRendersOnTopOfItsEnvironment(t *testing.T) {
	t.Parallel()
	pairs, err := chart.AdvisedFiles(chart.ValuesDir())
	require.NoError(t, err)
	envs, err := chart.ValuesFiles(chart.ValuesDir())
	require.NoError(t, err)
	dir := t.TempDir()
	synthetic := filepath.Join(dir, "history.json")
	d := history.Data{Version: history.Version, Mode: "supervise"}
	for i := range 30 {
		d.Starts = append(d.Starts, history.Start{Phases: map[string]float64{history.PhaseAnswered: 40 + 2*float64(i)}})
	}
	for _, s := range []float64{3, 7, 12} {
		d.Stalls = append(d.Stalls, history.Stall{Route: "/startup-events", Seconds: s, EndedBy: history.EndedByAnswer})
	}
	raw, err := json.Marshal(d)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(synthetic, raw, 0o644))
	for _, env := range envs {
		out := filepath.Join(dir, strings.TrimSuffix(filepath.Base(env), ".yaml")+chart.AdvisedSuffix)
		err := advise.Run(context.Background(), advise.Options{Chart: chart.Dir(), ValuesFiles: []string{env}, Out: out,
			Histories: []string{synthetic}, Now: time.Now()}, io.Discard)
		require.NoError(t, err, "advise for %s", env)
		pairs[out] = env
	}
	for advised, env := range pairs {
		for _, mode := range chart.Modes {
			t.Run(filepath.Base(advised)+"/"+mode, func(t *testing.T) {
				t.Parallel()
				out, err := render(t, []string{env, advised}, map[string]string{"health.mode": mode})
				require.NoError(t, err)
				assert.Empty(t, invariants.CheckYAML([]byte(out)))
				assert.Empty(t, apiRefusal(out))
			})
		}
	}
}
