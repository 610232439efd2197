package deploy

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"sigs.k8s.io/yaml"

	"kotaemon-k8s/ociimage"
	"kotaemon-k8s/test/chart"
	"kotaemon-k8s/test/doubles/dependency"
	"kotaemon-k8s/test/doubles/kotaemon"
	"kotaemon-k8s/test/kube"
)

// images are the references pods use for this repository's programs.
type images struct{ agent, standin, deps, client string }

// agentProgram is the real health agent under the name and tag the chart's values.yaml
// gives it, with the version stamped from that tag as `make image` does.
func agentProgram(t testing.TB) ociimage.Program {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(chart.Dir(), "values.yaml"))
	require.NoError(t, err)
	var v struct {
		Health struct {
			Image struct {
				Repository string `json:"repository"`
				Tag        any    `json:"tag"`
			} `json:"image"`
		} `json:"health"`
	}
	require.NoError(t, yaml.Unmarshal(b, &v))
	tag := strings.TrimSpace(toString(v.Health.Image.Tag))
	require.NotEmpty(t, tag, "values.yaml health.image.tag")
	return ociimage.Program{
		Package: "kotaemon-k8s/cmd/kotaemon-health", Ref: v.Health.Image.Repository + ":" + tag,
		Path: "/usr/local/bin/kotaemon-health", LDFlags: "-X kotaemon-k8s/internal/version.Version=" + tag,
	}
}

func toString(v any) string {
	if v == nil {
		return ""
	}
	b, _ := yaml.Marshal(v)
	return strings.TrimSpace(string(b))
}

// loadImages builds and loads every image of the suite (once per process).
func loadImages(t testing.TB, c *kube.Cluster) images {
	t.Helper()
	agent := agentProgram(t)
	refs := c.LoadImages(t, agent, kotaemon.Image, dependency.Image, kube.ClientImage)
	return images{agent: refs[agent.Ref], standin: refs[kotaemon.Image.Ref], deps: refs[dependency.Image.Ref], client: refs[kube.ClientImage.Ref]}
}

// splitRef splits repository:tag at the tag's colon (a registry port has a slash after it).
func splitRef(ref string) (repository, tag string) {
	i := strings.LastIndex(ref, ":")
	if i < 0 || strings.Contains(ref[i:], "/") {
		return ref, "latest"
	}
	return ref[:i], ref[i+1:]
}
