package render

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
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

var (
	kubeScoreOnce sync.Once
	kubeScorePath string
	kubeScoreErr  error
)

// kubeScore is $KUBE_SCORE (make passes the pinned one it built), else the pinned
// version installed into the user cache with `go install`.
func kubeScore(t *testing.T) string {
	t.Helper()
	kubeScoreOnce.Do(func() {
		if kubeScorePath = os.Getenv("KUBE_SCORE"); kubeScorePath != "" {
			return
		}
		cache, err := os.UserCacheDir()
		if err != nil {
			kubeScoreErr = err
			return
		}
		dir := filepath.Join(cache, "kotaemon-k8s", "kube-score-"+versions.KubeScore)
		kubeScorePath = filepath.Join(dir, "kube-score")
		if _, err := os.Stat(kubeScorePath); err == nil {
			return
		}
		cmd := exec.Command("go", "install", "github.com/zegl/kube-score/cmd/kube-score@"+versions.KubeScore)
		cmd.Env = append(os.Environ(), "GOBIN="+dir)
		if out, err := cmd.CombinedOutput(); err != nil {
			kubeScoreErr = err
			kubeScorePath = string(out)
		}
	})
	require.NoError(t, kubeScoreErr, "no KUBE_SCORE and installing the pinned kube-score failed (or run `make test-render`): %s", kubeScorePath)
	return kubeScorePath
}
