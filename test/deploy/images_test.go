package deploy

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"kotaemon-k8s/agentimage"
	"kotaemon-k8s/test/chart"
	"kotaemon-k8s/test/doubles/dependency"
	"kotaemon-k8s/test/doubles/kotaemon"
	"kotaemon-k8s/test/kube"
)

// images are the references pods use for this repository's programs; the agent's is a
// pin (registry and digest), as the chart takes it.
type images struct {
	agent                 agentimage.Pin
	agentArchiveDir       string // the agent's archive, where `make image` writes it
	standin, deps, client string
}

// loadImages builds and loads every image of the suite (once per process): the agent's
// with the tag of the chart's values.yaml, whose version it stamps as `make image` does.
func loadImages(t testing.TB, c *kube.Cluster) images {
	t.Helper()
	chartPin, err := agentimage.ReadPin(filepath.Join(chart.Dir(), "values.yaml"))
	require.NoError(t, err)
	agent, archiveDir := c.LoadAgent(t, chartPin.Tag)
	refs := c.LoadImages(t, kotaemon.Image, dependency.Image, kube.ClientImage)
	return images{agent: agent, agentArchiveDir: archiveDir, standin: refs[kotaemon.Image.Ref], deps: refs[dependency.Image.Ref], client: refs[kube.ClientImage.Ref]}
}

// splitRef splits repository:tag at the tag's colon (a registry port has a slash after it).
func splitRef(ref string) (repository, tag string) {
	i := strings.LastIndex(ref, ":")
	if i < 0 || strings.Contains(ref[i:], "/") {
		return ref, "latest"
	}
	return ref[:i], ref[i+1:]
}
