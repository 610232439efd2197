package standin

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// The stand-in image is shaped like Kotaemon's where the chart depends on it
// (docs/kotaemon.md, "Image"): root, /app, and the interpreter and uvicorn the chart's
// commands name, both running the stand-ins' binary.
func TestTheImageRunsAsRootWithKotaemonsCommandsInPlace(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "0:0", Image.User, "Kotaemon's image has no USER directive")
	assert.Contains(t, Image.Dirs, "/app", "Kotaemon's WORKDIR")
	assert.Equal(t, map[string]string{Python: Path, Uvicorn: Path}, Image.Links)
	assert.Equal(t, "/app/.venv/bin/python", Python, "the chart's default kotaemon.command")
	assert.Equal(t, "/app/.venv/bin/uvicorn", Uvicorn, "the chart's default kotaemon.sso.command")
}
