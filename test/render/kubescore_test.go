package render

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"kotaemon-k8s/test/chart"
	"kotaemon-k8s/versions"
)

// kube-score, as production users run it over their manifests, finds nothing critical
// in any values file in any health mode. What the chart does not meet on purpose is
// named in its kube-score/ignore annotations with the reason (templates/_helpers.tpl).
func TestKubeScoreFindsNothingCriticalInEveryValuesFileAndMode(t *testing.T) {
	t.Parallel()
	bin := kubeScore(t)
	files, err := chart.ValuesFiles(chart.ValuesDir())
	require.NoError(t, err)
	for _, f := range files {
		for _, mode := range chart.Modes {
			t.Run(filepath.Base(f)+" "+mode, func(t *testing.T) {
				t.Parallel()
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
	}
}

// kubeScore is the pinned kube-score (see pinnedTool).
func kubeScore(t *testing.T) string {
	return kubeScoreTool.path(t)
}

var kubeScoreTool = &pinnedTool{env: "KUBE_SCORE", pkg: "github.com/zegl/kube-score/cmd/kube-score", version: versions.KubeScore}
