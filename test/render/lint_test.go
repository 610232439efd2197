package render

import (
	"context"
	"testing"

	"github.com/gruntwork-io/terratest/modules/helm"
	"github.com/gruntwork-io/terratest/modules/logger"

	"kotaemon-k8s/test/chart"
)

// lint runs `helm lint --strict` on the chart with one values file, in a health mode
// (empty: the file's own).
func lint(t *testing.T, valuesFile, mode string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), renderTimeout)
	defer cancel()
	opts := &helm.Options{Logger: logger.Discard}
	args := []string{"--strict", published(t), "-f", valuesFile, "--kube-version", chart.KubeVersion}
	if mode != "" {
		args = append(args, "--set", "health.mode="+mode)
	}
	return helm.RunHelmCommandAndGetOutputContextE(t, ctx, opts, "lint", args...)
}
