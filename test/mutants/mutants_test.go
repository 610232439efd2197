package mutants

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"kotaemon-k8s/internal/config"
	"kotaemon-k8s/invariants"
	"kotaemon-k8s/test/chart"
)

// Every variant changes a real render of the chart (the settings its PB tests install:
// a NetworkPolicy, token auth, each mode with an agent), the result still decodes
// strictly into Kubernetes objects and the agent still accepts its config: a variant
// breaks the chart's promise, not the release's validity.
func TestEveryVariantBreaksARenderAndLeavesItValid(t *testing.T) {
	t.Parallel()
	r, err := chart.NewRenderer()
	require.NoError(t, err)
	for _, mode := range []string{"wrapper", "sidecar"} {
		out, err := r.RenderFiles(nil, map[string]string{
			"health.mode": mode, "health.image.registry": "registry.test/kotaemon",
			"networkPolicy.enabled": "true", "health.auth.mode": "token",
		})
		require.NoError(t, err)
		for _, v := range Variants {
			t.Run(mode+"/"+v.Name, func(t *testing.T) {
				mutated, err := v.Apply([]byte(out))
				require.NoError(t, err)
				assert.NotEqual(t, normalized(t, out), string(mutated), "the variant changed nothing")
				m, err := invariants.Decode(mutated)
				require.NoError(t, err, "the variant leaves objects the API would not decode")
				for _, cm := range m.ConfigMaps {
					if text, ok := cm.Data["config.yaml"]; ok {
						_, err := config.Parse([]byte(text))
						assert.NoError(t, err, "the agent refuses the variant's config")
					}
				}
				assert.NotEmpty(t, v.Tests, "a variant names the PB tests that must catch it")
			})
		}
	}
}

// A variant with nothing to break says so instead of passing unchanged.
func TestAVariantWithNothingToBreakIsAnError(t *testing.T) {
	t.Parallel()
	v, err := Named("policy-admits-everyone")
	require.NoError(t, err)
	_, err = v.Apply([]byte("apiVersion: v1\nkind: Service\nmetadata:\n  name: x\n"))
	assert.ErrorContains(t, err, "no NetworkPolicy")
	_, err = Named("nothing-like-it")
	assert.ErrorContains(t, err, "no variant")
}

// normalized is a render as Apply writes it with no change, so a comparison sees only
// what the variant did.
func normalized(t *testing.T, manifest string) string {
	t.Helper()
	r, err := parse([]byte(manifest))
	require.NoError(t, err)
	out, err := r.render()
	require.NoError(t, err)
	return string(out)
}
