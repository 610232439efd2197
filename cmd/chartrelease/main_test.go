package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/yaml"
)

const root = "../.."

// copyChart copies the repository's Chart.yaml, values.yaml and CHANGELOG.md to a
// temporary directory laid out the same way.
func copyChart(t *testing.T) (chartDir, changelog string) {
	t.Helper()
	dir := t.TempDir()
	chartDir = filepath.Join(dir, "chart")
	require.NoError(t, os.MkdirAll(chartDir, 0o755))
	for _, f := range []string{"Chart.yaml", "values.yaml"} {
		b, err := os.ReadFile(filepath.Join(root, "charts", "kotaemon", f))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(chartDir, f), b, 0o644))
	}
	b, err := os.ReadFile(filepath.Join(root, "CHANGELOG.md"))
	require.NoError(t, err)
	changelog = filepath.Join(dir, "CHANGELOG.md")
	require.NoError(t, os.WriteFile(changelog, b, 0o644))
	return chartDir, changelog
}

func chartMeta(t *testing.T, dir string) (version, appVersion string, annotations map[string]string) {
	t.Helper()
	var meta struct {
		Version, AppVersion string
		Annotations         map[string]string
	}
	b, err := os.ReadFile(filepath.Join(dir, "Chart.yaml"))
	require.NoError(t, err)
	require.NoError(t, yaml.Unmarshal(b, &meta))
	return meta.Version, meta.AppVersion, meta.Annotations
}

// The repository is in step: bumping to the version it already has changes nothing, so
// Chart.yaml's changes are CHANGELOG.md's entries for it and the agent image's tag is the
// chart's version.
func TestTheRepositoryIsInStep(t *testing.T) {
	chartDir, changelog := copyChart(t)
	version, _, _ := chartMeta(t, chartDir)
	require.NoError(t, Bump(chartDir, changelog, version, ""))
	for _, f := range []string{"Chart.yaml", "values.yaml"} {
		want, err := os.ReadFile(filepath.Join(root, "charts", "kotaemon", f))
		require.NoError(t, err)
		got, err := os.ReadFile(filepath.Join(chartDir, f))
		require.NoError(t, err)
		assert.Equal(t, string(want), string(got), "%s is not what `make bump VERSION=%s` writes: run it", f, version)
	}
}

func TestBumpMovesTheVersionTheAgentTagAndTheChanges(t *testing.T) {
	chartDir, changelog := copyChart(t)
	log, err := os.ReadFile(changelog)
	require.NoError(t, err)
	next := strings.Replace(string(log), "## 0.1.0", "## 0.2.0\n\n### Fixed\n- A \"quoted\" fix.\n\n### Security\n- A patched dependency.\n\n## 0.1.0", 1)
	require.NoError(t, os.WriteFile(changelog, []byte(next), 0o644))

	require.NoError(t, Bump(chartDir, changelog, "0.2.0", "0.12.0"))
	version, app, ann := chartMeta(t, chartDir)
	assert.Equal(t, "0.2.0", version)
	assert.Equal(t, "0.12.0", app)
	var changes []map[string]string
	require.NoError(t, yaml.Unmarshal([]byte(ann["artifacthub.io/changes"]), &changes))
	assert.Equal(t, []map[string]string{{"kind": "fixed", "description": `A "quoted" fix.`}, {"kind": "security", "description": "A patched dependency."}}, changes)
	assert.Contains(t, ann["artifacthub.io/images"], "kotaemon-health:0.2.0")
	assert.Contains(t, ann["artifacthub.io/images"], ":0.12.0-lite")
	var values struct {
		Health struct{ Image struct{ Tag string } }
	}
	b, err := os.ReadFile(filepath.Join(chartDir, "values.yaml"))
	require.NoError(t, err)
	require.NoError(t, yaml.Unmarshal(b, &values))
	assert.Equal(t, "0.2.0", values.Health.Image.Tag, "the agent image moves with the chart")
}

func TestBumpRefusesWhatWouldLoseTheRecord(t *testing.T) {
	chartDir, changelog := copyChart(t)
	before, err := os.ReadFile(filepath.Join(chartDir, "Chart.yaml"))
	require.NoError(t, err)
	for _, tc := range []struct{ version, want string }{
		{"0.3.0", `no "## 0.3.0" section`},
		{"v1", "not a semantic version"},
	} {
		err := Bump(chartDir, changelog, tc.version, "")
		require.Error(t, err, tc.version)
		assert.Contains(t, err.Error(), tc.want)
	}
	after, err := os.ReadFile(filepath.Join(chartDir, "Chart.yaml"))
	require.NoError(t, err)
	assert.Equal(t, string(before), string(after), "nothing written on a refusal")

	_, err = ParseChangelog("## 1.0.0\n- an entry without a kind\n", "1.0.0")
	assert.ErrorContains(t, err, "before any ### kind heading")
	_, err = ParseChangelog("## 1.0.0\n### Improved\n- x\n", "1.0.0")
	assert.ErrorContains(t, err, `unknown kind "Improved"`)
	_, err = ParseChangelog("## 1.0.0\n\n## 0.9.0\n### Added\n- x\n", "1.0.0")
	assert.ErrorContains(t, err, "has no entries")
	assert.ErrorContains(t, run([]string{"release"}), "usage: chartrelease bump")
}
