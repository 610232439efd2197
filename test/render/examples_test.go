package render

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"kotaemon-k8s/test/chart"
)

// The example files (values/examples: setups the deploy suite's cluster cannot run, such
// as GPUs) are rendered in every health mode and held to every invariant, as values/ is.
func TestEveryExampleValuesFileInEveryModePassesEveryInvariant(t *testing.T) {
	t.Parallel()
	results := verifyValuesDir(t, filepath.Join(chart.ValuesDir(), "examples"))
	require.NotEmpty(t, results)
	for _, r := range results {
		assert.NoError(t, r.err, "%s in %s mode", r.file, r.mode)
		assert.Empty(t, r.violations, "%s in %s mode", r.file, r.mode)
	}
}

// gpu gives its GPUs to the container that runs the models, once: the bundled Ollama
// server's own container in sidecar and none modes, Kotaemon's in wrapper mode (the server
// runs there) and without the bundled server (local models run in Kotaemon's process).
func TestTheGPUGoesToTheContainerThatRunsTheModels(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, flavour, mode, holder string
	}{
		{"bundled ollama, wrapper", "ollama", "wrapper", "kotaemon"},
		{"bundled ollama, sidecar", "ollama", "sidecar", "ollama"},
		{"bundled ollama, none", "ollama", "none", "ollama"},
		{"full flavour, local models in Kotaemon", "full", "sidecar", "kotaemon"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			m := mustRender(t, nil, map[string]string{
				"image.flavour": c.flavour, "health.mode": c.mode, "gpu.enabled": "true", "gpu.resource": "amd.com/gpu", "gpu.count": "2",
			})
			holders := map[string]resource.Quantity{}
			for _, ctr := range podContainers(deployment(t, m).Spec.Template.Spec) {
				if q, ok := ctr.Resources.Limits["amd.com/gpu"]; ok {
					holders[ctr.Name] = q
				}
			}
			require.Len(t, holders, 1, "exactly one container gets the GPUs: %v", holders)
			q, ok := holders[c.holder]
			require.True(t, ok, "the GPUs go to %s, not %v", c.holder, holders)
			assert.Equal(t, int64(2), q.Value())
		})
	}
}

// podContainers are a pod's init and regular containers.
func podContainers(spec corev1.PodSpec) []corev1.Container {
	return append(append([]corev1.Container{}, spec.InitContainers...), spec.Containers...)
}
