package deploy

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gruntwork-io/terratest/modules/k8s"
	"github.com/gruntwork-io/terratest/modules/logger"
	"github.com/gruntwork-io/terratest/modules/random"
	"github.com/stretchr/testify/require"

	"kotaemon-k8s/test/chart"
	"kotaemon-k8s/test/kube"
)

// PI-15, the API server's half: every values file in every health mode renders to
// documents a real API server accepts. Each is applied with a server-side dry run and
// strict field validation (unknown or duplicate fields are errors there too); nothing
// is created.
func TestEveryValuesFileInEveryModeIsAcceptedByTheAPIServer(t *testing.T) {
	cluster := kube.Connect(t, "make test-deploy")
	ns := "pi15-" + strings.ToLower(random.UniqueId())
	opts := k8s.NewKubectlOptions("", cluster.Kubeconfig, ns)
	opts.Logger = logger.Discard
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	require.NoError(t, k8s.CreateNamespaceContextE(t, ctx, opts, ns))
	defer func() {
		cleanup, done := context.WithTimeout(context.Background(), time.Minute)
		defer done()
		_ = k8s.DeleteNamespaceContextE(t, cleanup, opts, ns)
	}()

	files, err := chart.ValuesFiles(chart.ValuesDir())
	require.NoError(t, err)
	for _, f := range files {
		for _, mode := range chart.Modes {
			t.Run(fmt.Sprintf("%s in %s mode", filepath.Base(f), mode), func(t *testing.T) {
				// The objects name their namespace (the chart's namespaceOverride, so
				// that path meets the API server too).
				manifest, err := chart.Render(t, ctx, []string{f}, map[string]string{"health.mode": mode, "namespaceOverride": ns})
				require.NoError(t, err)
				if strings.Contains(manifest, "\nkind: HTTPRoute\n") {
					cluster.EnsureHTTPRouteCRD(t) // the real CRD validates the route
				}
				if strings.Contains(manifest, "\nkind: ServiceMonitor\n") || strings.Contains(manifest, "\nkind: PrometheusRule\n") {
					cluster.EnsureMonitoringCRDs(t) // and the real ones the monitoring objects
				}
				file := filepath.Join(t.TempDir(), "manifest.yaml")
				require.NoError(t, os.WriteFile(file, []byte(manifest), 0o644))
				out, err := k8s.RunKubectlAndGetOutputContextE(t, ctx, opts,
					"apply", "--dry-run=server", "--validate=strict", "-f", file)
				require.NoError(t, err, out)
				require.Contains(t, out, "deployment.apps/"+chart.Release+"-kotaemon created (server dry run)")
			})
		}
	}
}
