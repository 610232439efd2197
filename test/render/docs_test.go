package render

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"kotaemon-k8s/test/chart"
	"kotaemon-k8s/versions"
)

var helmDocsTool = &pinnedTool{env: "HELM_DOCS", pkg: "github.com/norwoodj/helm-docs/cmd/helm-docs", version: versions.HelmDocs}

// The chart README is what helm-docs writes from README.md.gotmpl and values.yaml's
// `# --` comments: a key added or a comment changed without `make docs` fails here.
func TestTheChartREADMEIsWhatHelmDocsWrites(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), renderTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, helmDocsTool.path(t), "--dry-run", "--chart-search-root", chart.Dir(),
		"--template-files", "README.md.gotmpl", "--sort-values-order", "file", "--log-level", "warning")
	out, err := cmd.Output()
	require.NoError(t, err, "helm-docs")
	committed, err := os.ReadFile(filepath.Join(chart.Dir(), "README.md"))
	require.NoError(t, err)
	if diff := lineDiff(string(committed), string(out)); diff != "" {
		t.Errorf("charts/kotaemon/README.md is stale: run `make docs` (- committed, + helm-docs):\n%s", diff)
	}
	assert.Contains(t, string(out), "| probes.startup.expectedSeconds | int | `120` |", "the values table is there")
}
