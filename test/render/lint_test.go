package render

import (
	"context"
	"testing"

	"github.com/gruntwork-io/terratest/modules/helm"
	"github.com/gruntwork-io/terratest/modules/logger"

	"kotaemon-k8s/test/chart"
)

// lint runs `helm lint --strict` on the chart with one values file.
func lint(t *testing.T, valuesFile string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), renderTimeout)
	defer cancel()
	opts := &helm.Options{Logger: logger.Discard}
	return helm.RunHelmCommandAndGetOutputContextE(t, ctx, opts, "lint", "--strict", chart.Dir(), "-f", valuesFile, "--kube-version", chart.KubeVersion)
}
