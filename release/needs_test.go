package release

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var chartDir = filepath.Join("..", "charts", "kotaemon")

// renderedNeeds renders the chart with the values files, as published to a registry, and
// lists its needs.
func renderedNeeds(t *testing.T, files []string) []Need {
	t.Helper()
	c, err := Load(chartDir, "v1.34.0")
	require.NoError(t, err)
	vals, err := MergeValues(files, []string{"health.image.registry=registry.test"})
	require.NoError(t, err)
	r, err := c.Render("kotaemon", "kotaemon", vals)
	require.NoError(t, err)
	m, err := r.Decode()
	require.NoError(t, err)
	needs, err := m.Needs()
	require.NoError(t, err)
	return needs
}

// valuesFile writes doc as a values file.
func valuesFile(t *testing.T, doc string) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "values.yaml")
	require.NoError(t, os.WriteFile(f, []byte(doc), 0o644))
	return f
}

// listedNeeds reads the list a values file keeps at its top: the "#   - " lines after the
// line that starts with "# Needs in the cluster".
func listedNeeds(t *testing.T, file string) []string {
	t.Helper()
	f, err := os.Open(file)
	require.NoError(t, err)
	defer f.Close()
	var out []string
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "# Needs in the cluster"):
			in = true
		case in && strings.HasPrefix(line, "#   - "):
			out = append(out, strings.TrimPrefix(line, "#   - "))
		case in && strings.HasPrefix(line, "#     "): // a need's line continued
		case in:
			return out
		}
	}
	require.NoError(t, sc.Err())
	return out
}

// Each file of values/ lists at its top what it needs from the cluster, and the list is
// what `make install` checks: the needs computed from its render, no more, no fewer.
func TestEveryValuesFileListsWhatItNeedsFromTheCluster(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(filepath.Join("..", "values", "*.yaml"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			t.Parallel()
			needs := renderedNeeds(t, []string{file})
			require.NoError(t, err)
			var want []string
			for _, n := range needs {
				want = append(want, n.String())
			}
			assert.Equal(t, want, listedNeeds(t, file),
				"%s: the list under \"# Needs in the cluster\" at its top is not what it needs; write these lines:\n#   - %s", file, strings.Join(want, "\n#   - "))
		})
	}
}

// The needs a render finds, kind by kind: what the release reads and does not create.
func TestNeedsAreWhatTheReleaseReadsAndDoesNotCreate(t *testing.T) {
	t.Parallel()
	values := valuesFile(t, `
kotaemon:
  existingSecret: api-keys
persistence:
  storageClass: fast
ingress:
  enabled: true
  hosts: [{host: k.example, paths: [{path: /, pathType: Prefix}]}]
  tls: [{secretName: k-tls, hosts: [k.example]}]
networkPolicy:
  enabled: true
  appPeers:
    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: ingress}}
    - namespaceSelector: {matchLabels: {team: web}}
  monitoringPeers:
    - podSelector: {matchLabels: {app.kubernetes.io/name: prometheus}}
health:
  auth: {mode: token}
  checks:
    - {name: llm, type: openai, url: "http://gateway.ai.svc.cluster.local:4000/v1", critical: true, intervalSeconds: 10, timeoutSeconds: 2,
       apiKey: {secretKeyRef: {name: api-keys, key: OPENAI_API_KEY}}}
    - {name: vectors, type: qdrant, url: "http://qdrant:6333", critical: true, intervalSeconds: 10, timeoutSeconds: 2}
    - {name: outside, type: http, url: "https://api.example.com/health", critical: true, intervalSeconds: 10, timeoutSeconds: 2}
    - {name: tei, type: tei, url: "http://tei.ai.svc:8080", critical: false, intervalSeconds: 10, timeoutSeconds: 2}
metrics:
  enabled: true
  serviceMonitor: {enabled: true}
`)
	needs := renderedNeeds(t, []string{values})
	var got []string
	for _, n := range needs {
		got = append(got, n.String())
	}
	assert.ElementsMatch(t, []string{
		"Secret api-keys with the key OPENAI_API_KEY", // envFrom and the check's key: one Secret, its keys
		"StorageClass fast",
		"Secret k-tls",
		"Namespace ingress",
		"a Namespace labelled team=web",
		"Service gateway in namespace ai",
		"Service qdrant", // the release's own namespace
		"CustomResourceDefinition servicemonitors.monitoring.coreos.com",
	}, got, "the agent's token Secret is the release's own; an outside host and a non-critical check need nothing")
}
