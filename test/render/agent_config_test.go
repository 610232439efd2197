package render

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"

	"kotaemon-k8s/internal/config"
	"kotaemon-k8s/invariants"
	"kotaemon-k8s/test/chart"
)

// One source of truth with the agent: for every values file and every mode that runs the
// agent, the rendered config is accepted by the agent's own loader, and every secret it
// references is actually provided to the container that runs the agent (an environment
// variable from a secretKeyRef, or a file under a mounted Secret).
func TestTheAgentAcceptsEveryConfigTheChartRenders(t *testing.T) {
	t.Parallel()
	files, err := chart.ValuesFiles(chart.ValuesDir())
	require.NoError(t, err)
	overrides := map[string]map[string]string{
		"as is":      nil,
		"jwt auth":   {"health.auth.mode": "jwt", "health.auth.existingSecret": "jwt-keys", "health.auth.jwt.secretKey": "hs256", "health.auth.jwt.issuer": "ci"},
		"every type": nil, // plus the values file below
	}
	everyType := everyCheckType(t)
	require.NotEmpty(t, files)
	for _, f := range files {
		for _, mode := range []string{"wrapper", "sidecar"} {
			for name, set := range overrides {
				valuesFiles := []string{f}
				if name == "every type" {
					valuesFiles = append(valuesFiles, everyType)
				}
				t.Run(fmt.Sprintf("%s/%s/%s", filepath.Base(f), mode, name), func(t *testing.T) {
					t.Parallel()
					s := map[string]string{"health.mode": mode}
					for k, v := range set {
						s[k] = v
					}
					out, err := renderInProcess(t, valuesFiles, s)
					require.NoError(t, err)
					m, err := invariants.Decode([]byte(out))
					require.NoError(t, err)
					cfg, err := config.Parse([]byte(configMap(t, m, "-health").Data["config.yaml"]))
					require.NoError(t, err, "the agent refuses the rendered config")

					runner := container(t, m, map[string]string{"wrapper": "kotaemon", "sidecar": "health-agent"}[mode])
					err = cfg.ResolveSecretsWith(envOf(runner), mountedFilesOf(runner))
					assert.NoError(t, err, "a secret the config names is not provided to %s", runner.Name)
				})
			}
		}
	}
}

// envOf answers for the variables the container declares (secretKeyRefs included).
func envOf(c *corev1.Container) func(string) (string, bool) {
	return func(name string) (string, bool) {
		for _, e := range c.Env {
			if e.Name == name && (e.Value != "" || e.ValueFrom != nil) {
				return "provided-by-" + name, true
			}
		}
		return "", false
	}
}

// mountedFilesOf answers for files under the container's read-only Secret mounts.
func mountedFilesOf(c *corev1.Container) func(string) ([]byte, error) {
	return func(path string) ([]byte, error) {
		for _, vm := range c.VolumeMounts {
			if vm.Name == "health-auth" && strings.HasPrefix(path, vm.MountPath+"/") {
				return []byte("provided-by-a-mounted-secret-" + strings.Repeat("k", 32)), nil
			}
		}
		return nil, fmt.Errorf("%s is not under a mounted Secret of %s", path, c.Name)
	}
}

// everyCheckType writes a values file with one check of every type the chart accepts.
func everyCheckType(t *testing.T) string {
	t.Helper()
	body := `health:
  checks:
    - {name: ollama, type: ollama, url: "http://ollama:11434", model: "llama3.1:8b", critical: true, intervalSeconds: 15, timeoutSeconds: 3}
    - {name: llm, type: openai, url: "http://llm:4000/v1", model: gpt-4o-mini, critical: true, intervalSeconds: 30, timeoutSeconds: 5, apiKey: {secretKeyRef: {name: keys, key: OPENAI_API_KEY}}}
    - {name: qdrant, type: qdrant, url: "http://qdrant:6333", critical: true, intervalSeconds: 10, timeoutSeconds: 2, headers: [{name: api-key, secretKeyRef: {name: keys, key: QDRANT}}]}
    - {name: es, type: elasticsearch, url: "http://es:9200", critical: true, intervalSeconds: 10, timeoutSeconds: 2}
    - {name: milvus, type: milvus, url: "http://milvus:9091", critical: false, intervalSeconds: 10, timeoutSeconds: 2}
    - {name: chroma, type: chroma, url: "http://chroma:8000", critical: false, intervalSeconds: 10, timeoutSeconds: 2}
    - {name: tei, type: tei, url: "http://tei:8080", critical: false, intervalSeconds: 10, timeoutSeconds: 2}
    - {name: web, type: http, url: "https://web.tools.svc.cluster.local", path: /status, expectedStatus: [200, 204], critical: false, intervalSeconds: 10, timeoutSeconds: 2}
    - {name: db, type: tcp, address: "db:5432", critical: true, intervalSeconds: 10, timeoutSeconds: 2}
    - {name: data, type: disk, path: /app/ktem_app_data, minFreeBytes: 1073741824, critical: true, intervalSeconds: 60, timeoutSeconds: 5}
    - {name: gen, type: generate, provider: ollama, url: "http://ollama:11434", model: "llama3.1:8b", critical: false, intervalSeconds: 600, timeoutSeconds: 60}
`
	return writeValues(t, "every-check-type.yaml", body)
}
