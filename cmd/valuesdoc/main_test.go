package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The chart README's values table is generated from values.yaml's `# --` comments and
// never drifts from it: every key is documented, and `make docs` has been run.
func TestTheChartReadmeValuesTableMatchesValuesYaml(t *testing.T) {
	t.Parallel()
	current, updated, err := readmeWithValuesTable("../../charts/kotaemon")
	require.NoError(t, err)
	assert.Equal(t, updated, current, "charts/kotaemon/README.md is stale: run `make docs`")
}

// A key without a `# --` comment is an error that names it.
func TestAnUndocumentedValuesKeyIsNamed(t *testing.T) {
	t.Parallel()
	_, err := valuesTable([]byte("probes:\n  readiness:\n    # -- documented\n    periodSeconds: 10\n    timeoutSeconds: 5\n"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "probes.readiness.timeoutSeconds")
}
