package deploy

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"kotaemon-k8s/agentimage"
	"kotaemon-k8s/standin"
	"kotaemon-k8s/test/chart"
	"kotaemon-k8s/test/kube"
)

// images are the references pods use for this repository's programs; the agent's is a
// pin (registry and digest), as the chart takes it.
type images struct {
	agent           agentimage.Pin
	agentArchiveDir string // the agent's archive, where `make image` writes it
	standin         string // every stand-in: Kotaemon's, the dependency's, the client
}

// loadImages builds and loads every image of the suite (once per process): the agent's
// with the tag of the chart's values.yaml, whose version it stamps as `make image` does.
func loadImages(t testing.TB, c *kube.Cluster) images {
	t.Helper()
	chartPin, err := agentimage.ReadPin(filepath.Join(chart.Dir(), "values.yaml"))
	require.NoError(t, err)
	agent, archiveDir := c.LoadAgent(t, chartPin.Tag)
	ref := c.LoadImages(t, standin.Image)[standin.Image.Ref]
	return images{agent: agent, agentArchiveDir: archiveDir, standin: ref}
}

// splitRef splits repository:tag at the tag's colon (a registry port has a slash after it).
func splitRef(ref string) (repository, tag string) {
	i := strings.LastIndex(ref, ":")
	if i < 0 || strings.Contains(ref[i:], "/") {
		return ref, "latest"
	}
	return ref[:i], ref[i+1:]
}
