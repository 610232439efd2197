package deploy

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"kotaemon-k8s/standin"

	"github.com/stretchr/testify/require"
	"sigs.k8s.io/yaml"
)

// layer is the content of one values file; helm merges a release's layers in order,
// later ones winning (lists are replaced whole).
type layer map[string]any

// parseLayer reads a layer written as YAML, for layers that read best as values files.
func parseLayer(doc string) layer {
	var l layer
	if err := yaml.Unmarshal([]byte(doc), &l); err != nil {
		panic(fmt.Sprintf("layer %q: %v", doc, err))
	}
	return l
}

func (l layer) write(t testing.TB, dir, name string) string {
	t.Helper()
	b, err := yaml.Marshal(l)
	require.NoError(t, err)
	file := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(file, b, 0o644))
	return file
}

// imagesLayer points the chart at the images this repository built and loaded.
func imagesLayer(im images) layer {
	repo, tag := splitRef(im.standin)
	return layer{
		"image": map[string]any{"repository": repo, "tag": tag, "pullPolicy": "IfNotPresent"},
		"health": map[string]any{"image": map[string]any{"registry": im.agent.Registry, "repository": im.agent.Repository,
			"tag": im.agent.Tag, "digest": im.agent.Digest, "pullPolicy": "IfNotPresent"}},
	}
}

// standinLayer runs the stand-in in place of Kotaemon with the given flags, sized for a
// small test node (the environments' requests are for the real app).
func standinLayer(mode string, healthPort int, args ...string) layer {
	command := append([]string{standin.Python}, args...)
	if mode == "none" {
		// health.mode none: the image serves the health endpoints itself.
		command = append(command, fmt.Sprintf("--health-port=%d", healthPort))
	}
	return layer{
		"kotaemon": map[string]any{
			"command": command,
			"resources": map[string]any{
				"requests": map[string]any{"cpu": "10m", "memory": "32Mi"},
				"limits":   map[string]any{"memory": "256Mi"},
			},
		},
	}
}

// fastProbes are short but lawful timings (every guard holds), so a scenario plays out
// in tens of seconds: startup budget 10 x 1.5 -> 8 x 2 s = 16 s; readiness 3 x 3 s;
// liveness 3 x 3 s; a 2 s drain, up to 10 s for answers in flight and an 8 s stop inside
// a 25 s grace period.
var fastProbes = parseLayer(`
terminationGracePeriodSeconds: 25
probes:
  startup: {expectedSeconds: 10, safetyFactor: 1.5, periodSeconds: 2, timeoutSeconds: 2}
  readiness: {periodSeconds: 3, timeoutSeconds: 3, failureThreshold: 3}
  liveness: {periodSeconds: 3, timeoutSeconds: 3, failureThreshold: 3}
health:
  shutdown: {drainDelaySeconds: 2, answersTimeoutSeconds: 10, stopTimeoutSeconds: 8}
`)

// checkInterval and checkTimeout are the dependency check's schedule in the scenarios.
const (
	checkIntervalSeconds = 2
	checkTimeoutSeconds  = 1
)

// criticalCheckLayer makes readiness depend on the dependency stand-in, as Ollama.
func criticalCheckLayer(d *depStandin) layer {
	return layer{"health": map[string]any{"checks": []any{map[string]any{
		"name": "llm", "type": "ollama", "url": d.url, "model": "llama3.1:8b", "critical": true,
		"intervalSeconds": checkIntervalSeconds, "timeoutSeconds": checkTimeoutSeconds,
	}}}}
}

func modeLayer(mode string) layer { return layer{"health": map[string]any{"mode": mode}} }
