package release

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// The agent image is pulled from health.image.registry, or from global.imageRegistry
// (a mirror); with neither named the chart refuses to render.
func TestTheAgentRegistryIsNamedByTheImageOrTheMirror(t *testing.T) {
	t.Parallel()
	image := func(registry string) map[string]any {
		return map[string]any{"health": map[string]any{"image": map[string]any{"registry": registry}}}
	}
	assert.True(t, AgentRegistryNamed(image("ghcr.io/acme")))
	assert.True(t, AgentRegistryNamed(map[string]any{"health": map[string]any{"image": map[string]any{"registry": ""}}, "global": map[string]any{"imageRegistry": "mirror.acme"}}))
	assert.False(t, AgentRegistryNamed(image("")))
	assert.False(t, AgentRegistryNamed(map[string]any{"global": map[string]any{"imageRegistry": nil}}))
}
