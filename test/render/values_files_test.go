package render

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"kotaemon-k8s/invariants"
	"kotaemon-k8s/test/chart"
)

// fileResult is what rendering one values file in one health mode produced.
type fileResult struct {
	file, mode string
	err        error // render or strict-decode failure
	violations []invariants.Violation
}

// verifyValuesDir renders every values file of dir in every health mode and checks the
// invariants. It knows no file names: whatever is in dir is verified.
func verifyValuesDir(t *testing.T, dir string) []fileResult {
	t.Helper()
	files, err := chart.ValuesFiles(dir)
	require.NoError(t, err)
	var results []fileResult
	for _, f := range files {
		for _, mode := range chart.Modes {
			r := fileResult{file: filepath.Base(f), mode: mode}
			out, err := render(t, []string{f}, map[string]string{"health.mode": mode})
			if err == nil {
				var m *invariants.Manifest
				if m, err = invariants.Decode([]byte(out)); err == nil {
					r.violations = invariants.Check(m)
				}
			}
			r.err = err
			results = append(results, r)
		}
	}
	return results
}

// Every values file, in every health mode, renders, decodes strictly into typed objects
// and passes every invariant.
func TestEveryValuesFileInEveryModePassesEveryInvariant(t *testing.T) {
	t.Parallel()
	results := verifyValuesDir(t, chart.ValuesDir())
	require.GreaterOrEqual(t, len(results), 4*len(chart.Modes), "values/ must hold at least dev, staging, prod and seed-article")
	for _, r := range results {
		assert.NoError(t, r.err, "%s in %s mode", r.file, r.mode)
		assert.Empty(t, r.violations, "%s in %s mode", r.file, r.mode)
	}
}

// A file dropped into the values directory is rendered and held to the invariants with
// no code change: a sound one passes, one that breaks a rule is reported with its id.
func TestANewValuesFileIsCheckedWithNoCodeChange(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, body string) {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644))
	}
	write("qa.yaml", "probes:\n  startup:\n    expectedSeconds: 30\n")
	// Liveness acting faster than readiness: refused by the PI-07 guard.
	write("hasty.yml", "probes:\n  liveness:\n    periodSeconds: 5\n    failureThreshold: 3\n  readiness:\n    periodSeconds: 10\n    failureThreshold: 3\n")
	write("notes.txt", "not a values file")

	results := verifyValuesDir(t, dir)
	require.Len(t, results, 2*len(chart.Modes), "both YAML files, every mode, and nothing else")
	for _, r := range results {
		switch r.file {
		case "qa.yaml":
			assert.NoError(t, r.err, r.mode)
			assert.Empty(t, r.violations, r.mode)
		case "hasty.yml":
			require.Error(t, r.err, r.mode)
			assert.Contains(t, r.err.Error(), "PI-07", r.mode)
		default:
			t.Errorf("unexpected file %s", r.file)
		}
	}
}

// helm lint --strict is clean for every values file in every health mode.
func TestHelmLintStrictIsCleanForEveryValuesFile(t *testing.T) {
	t.Parallel()
	files, err := chart.ValuesFiles(chart.ValuesDir())
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		for _, mode := range chart.Modes {
			out, err := lint(t, f, mode)
			assert.NoError(t, err, "%s in %s mode:\n%s", f, mode, out)
			assert.Contains(t, out, "0 chart(s) failed", "%s in %s mode", f, mode)
		}
	}
}
