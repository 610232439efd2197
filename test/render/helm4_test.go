package render

import (
	"context"
	"os/exec"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"kotaemon-k8s/test/chart"
	"kotaemon-k8s/versions"
)

var helm4Tool = &pinnedTool{env: "HELM4", pkg: "helm.sh/helm/v4/cmd/helm", version: versions.Helm4}

// helmTemplate runs one helm binary's `helm template` the way a user would.
func helmTemplate(t *testing.T, bin, file, mode string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), renderTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "template", chart.Release, published(t), "-f", file,
		"--set", "health.mode="+mode, "--namespace", "default", "--kube-version", chart.KubeVersion)
	out, err := cmd.Output()
	var stderr []byte
	if ee, ok := err.(*exec.ExitError); ok {
		stderr = ee.Stderr
	}
	require.NoError(t, err, "%s template: %s", bin, stderr)
	return string(out)
}

// Helm v3 and v4 render the chart identically: every values file in every mode gives
// the same objects, field by field (documents sorted, the random token blanked), so
// users of either helm get the same release.
func TestHelm3AndHelm4RenderIdentically(t *testing.T) {
	t.Parallel()
	helm3, err := chart.UseHelm()
	require.NoError(t, err)
	helm4 := helm4Tool.path(t)
	eachValuesFileInEveryMode(t, func(t *testing.T, f, mode string) {
		v3, err := normalise(helmTemplate(t, helm3, f, mode))
		require.NoError(t, err)
		v4, err := normalise(helmTemplate(t, helm4, f, mode))
		require.NoError(t, err)
		assert.Greater(t, len(v3), 1000, "a whole release was rendered")
		if diff := lineDiff(v3, v4); diff != "" {
			t.Errorf("helm v4 renders differently from helm v3 (- v3, + v4):\n%s", diff)
		}
	})
}
