package results

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestResultsRoundTripThroughTheirDirectoryInOrder(t *testing.T) {
	dir := t.TempDir()
	b := New("in-cluster", "deadlock", "naive", 2)
	b.Set("deadlockToRestart", 41.5)
	a := New("in-cluster", "deadlock", "chart", 1)
	a.Never("deadlockToRestart", 300)
	require.NoError(t, Write(filepath.Join(dir, "in-cluster"), b))
	require.NoError(t, Write(dir, a))

	got, err := Load(dir)
	require.NoError(t, err)
	require.Len(t, got, 2)
	assert.Equal(t, "chart", got[0].Config, "sorted by configuration within a scenario")
	assert.Equal(t, map[string]float64{"deadlockToRestart": 300}, got[0].Caps)
	assert.Equal(t, 41.5, got[1].Figures["deadlockToRestart"])
}

func TestAResultWithoutItsNamesIsRefusedWithTheFile(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "x.json")
	require.NoError(t, os.WriteFile(file, []byte(`{"part":"in-cluster","config":"chart"}`), 0o644))
	_, err := Load(dir)
	require.Error(t, err)
	assert.Contains(t, err.Error(), file)
	assert.Contains(t, err.Error(), "scenario")
}
