// Package render is the render suite: it renders the chart (no cluster) for every values
// file and every health mode, for tables of overrides and for random probe timings, and
// holds every result to the invariants of docs/invariants.md.
package render

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"kotaemon-k8s/agentimage"
	"kotaemon-k8s/invariants"
	"kotaemon-k8s/test/chart"
)

func TestMain(m *testing.M) {
	if _, err := chart.UseHelm(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	stopAPIValidation()
	os.Exit(code)
}

// renderTimeout bounds one helm process.
const renderTimeout = 60 * time.Second

// render renders with the pinned helm through terratest.
func render(t *testing.T, files []string, set map[string]string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), renderTimeout)
	defer cancel()
	out, err := chart.Render(t, ctx, files, set)
	if err == nil {
		requireAPIAccepts(t, out, files, set)
	}
	return out, err
}

// renderInProcess renders with the helm SDK: the same merge, schema, guards and
// templates as `helm template`, without a process. For tables of many renders.
func renderInProcess(t *testing.T, files []string, set map[string]string) (string, error) {
	t.Helper()
	r, ok := renderers.Get().(*chart.Renderer)
	if !ok {
		var err error
		r, err = chart.NewRenderer()
		require.NoError(t, err)
	}
	defer renderers.Put(r)
	out, err := r.RenderFiles(files, set)
	if err == nil {
		requireAPIAccepts(t, out, files, set)
	}
	return out, err
}

// renderers holds loaded charts for reuse: a Renderer serves one goroutine at a time.
var renderers sync.Pool

// mustRender renders and decodes strictly, failing the test on any error.
func mustRender(t *testing.T, files []string, set map[string]string) *invariants.Manifest {
	t.Helper()
	out, err := render(t, files, set)
	require.NoError(t, err, "render %v %v", files, set)
	m, err := invariants.Decode([]byte(out))
	require.NoError(t, err, "strict decode %v %v", files, set)
	return m
}

// published is the chart as `make publish` writes it (chart.Published): what every
// render renders.
func published(t testing.TB) string {
	t.Helper()
	archive, err := chart.Published()
	require.NoError(t, err)
	return archive
}

// publishedAgent is the agent image the published chart pins (values.yaml's digest
// under chart.Registry).
func publishedAgent(t testing.TB) agentimage.Pin {
	t.Helper()
	pin, err := agentimage.ReadPin(filepath.Join(chart.Dir(), "values.yaml"))
	require.NoError(t, err)
	pin.Registry = chart.Registry
	return pin
}

// valuesFile names a file of the values directory.
func valuesFile(name string) string { return chart.ValuesDir() + "/" + name }

// writeValues writes a values file into a fresh temporary directory.
func writeValues(t *testing.T, name, body string) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(file, []byte(body), 0o644))
	return file
}
