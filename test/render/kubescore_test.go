package render

import (
	"context"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"kotaemon-k8s/versions"
)

// kube-score, as production users run it over their manifests, finds nothing critical
// in any values file in any health mode. What the chart does not meet on purpose is
// named in its kube-score/ignore annotations with the reason (templates/_helpers.tpl).
func TestKubeScoreFindsNothingCriticalInEveryValuesFileAndMode(t *testing.T) {
	t.Parallel()
	bin := kubeScoreTool.path(t)
	eachValuesFileInEveryMode(t, func(t *testing.T, f, mode string) {
		out, err := renderInProcess(t, []string{f}, map[string]string{"health.mode": mode})
		require.NoError(t, err)
		file := writeValues(t, "manifest.yaml", out)
		ctx, cancel := context.WithTimeout(context.Background(), renderTimeout)
		defer cancel()
		// kube-score exits 1 when it finds anything critical; the lines say what.
		report, _ := exec.CommandContext(ctx, bin, "score", "--output-format", "ci", file).CombinedOutput()
		require.Contains(t, string(report), "[OK]", "kube-score did not score the manifest:\n%s", report)
		var critical []string
		for _, l := range strings.Split(string(report), "\n") {
			if strings.HasPrefix(l, "[CRITICAL]") {
				critical = append(critical, l)
			}
		}
		assert.Empty(t, critical)
	})
}

// kubeScoreTool is the pinned kube-score (see pinnedTool).
var kubeScoreTool = &pinnedTool{env: "KUBE_SCORE", pkg: "github.com/zegl/kube-score/cmd/kube-score", version: versions.KubeScore}
