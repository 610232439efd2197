package render

import (
	"context"
	"strings"
	"testing"

	"github.com/gruntwork-io/terratest/modules/helm"
	"github.com/gruntwork-io/terratest/modules/logger"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"

	"kotaemon-k8s/agentimage"
	"kotaemon-k8s/invariants"
	"kotaemon-k8s/test/chart"
)

// renderSource renders the chart's source directory (not the published archive) with
// the pinned helm, as `helm install charts/kotaemon` from a clone would.
func renderSource(t *testing.T, set map[string]string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), renderTimeout)
	defer cancel()
	opts := &helm.Options{SetValues: set, Logger: logger.Discard}
	return helm.RenderTemplateContextE(t, ctx, opts, chart.Dir(), chart.Release, nil, "--kube-version", chart.KubeVersion)
}

// The chart from source knows no registry for the agent image: it refuses to render,
// naming the key and every way on, instead of installing a pod whose image no node can
// pull (or whose name someone else could register). A mirror alone is enough: the digest
// still decides what runs.
func TestTheChartFromSourceSaysWhereTheAgentImageMustComeFrom(t *testing.T) {
	t.Parallel()
	_, err := renderSource(t, nil)
	require.Error(t, err)
	for _, want := range []string{"health.image.registry is empty", "helm install oci://", "make push REGISTRY=", "global.imageRegistry", "make install"} {
		assert.Contains(t, err.Error(), want)
	}

	out, err := renderSource(t, map[string]string{"global.imageRegistry": "mirror.internal"})
	require.NoError(t, err)
	m, err := invariants.Decode([]byte(out))
	require.NoError(t, err)
	agent := publishedAgent(t)
	assert.Equal(t, "mirror.internal/kotaemon-health:"+agent.Tag+"@"+agent.Digest, container(t, m, "install-health-agent").Image)
}

// Every container that runs the agent, in every values file and every mode (the helm
// test pod included), runs it by the digest values.yaml pins, from the published
// registry.
func TestEveryAgentContainerRunsThePinnedDigest(t *testing.T) {
	t.Parallel()
	want := publishedAgent(t).Ref()
	eachValuesFileInEveryMode(t, func(t *testing.T, file, mode string) {
		m := mustRender(t, []string{file}, map[string]string{"health.mode": mode})
		var specs []corev1.PodSpec
		for _, d := range m.Deployments {
			specs = append(specs, d.Spec.Template.Spec)
		}
		for _, p := range m.Pods {
			specs = append(specs, p.Spec)
		}
		seen := 0
		for _, spec := range specs {
			for _, c := range append(append([]corev1.Container{}, spec.InitContainers...), spec.Containers...) {
				if strings.Contains(c.Image, "/"+agentimage.Repository) {
					seen++
					assert.Equal(t, want, c.Image, c.Name)
				}
			}
		}
		assert.Positive(t, seen, "the helm test pod runs the agent in every mode")
	})
}
