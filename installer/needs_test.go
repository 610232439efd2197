package installer

import (
	"bufio"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
)

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
			o := Options{Chart: chartDir, Release: "kotaemon", Namespace: "kotaemon", ValuesFiles: []string{file},
				Set: []string{"health.image.registry=registry.test"}}
			p, err := Render(o, nil, "v1.34.0")
			require.NoError(t, err)
			needs, err := p.Needs()
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
	o := Options{Chart: chartDir, Release: "kh", Namespace: "ns", ValuesFiles: []string{values}, Set: []string{"health.image.registry=registry.test"}}
	p, err := Render(o, nil, "v1.34.0")
	require.NoError(t, err)
	needs, err := p.Needs()
	require.NoError(t, err)
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

// CheckNeeds names every need the cluster lacks, with what refers to it, and nothing
// it has.
func TestCheckNeedsNamesEveryMissingObject(t *testing.T) {
	t.Parallel()
	p := &Plan{Workload: Workload{Namespace: "ns"}}
	p.Docs = [][]byte{[]byte(`apiVersion: apps/v1
kind: Deployment
metadata: {name: app, namespace: ns}
spec:
  selector: {matchLabels: {a: b}}
  template:
    metadata: {labels: {a: b}}
    spec:
      containers:
        - name: app
          image: x
          env:
            - {name: K, valueFrom: {secretKeyRef: {name: keys, key: K}}}
            - {name: L, valueFrom: {secretKeyRef: {name: keys, key: L}}}
            - {name: M, valueFrom: {secretKeyRef: {name: gone, key: M, optional: true}}}
`), []byte(`apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data, namespace: ns}
spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
`), []byte(`apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: np, namespace: ns}
spec:
  podSelector: {}
  ingress: [{from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: monitoring}}}]}]
`)}
	cs := fake.NewClientset(
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "keys", Namespace: "ns"}, Data: map[string][]byte{"K": []byte("v")}},
		&storagev1.StorageClass{ObjectMeta: metav1.ObjectMeta{Name: "plain"}},
	)
	err := (&Cluster{Client: cs}).CheckNeeds(context.Background(), p, "ns")
	var missing *MissingError
	require.True(t, errors.As(err, &missing), "%v", err)
	assert.Equal(t, []string{
		"a default StorageClass (the PersistentVolumeClaim data): the cluster has no default StorageClass (set persistence.storageClass to one it has)",
		"Namespace monitoring (a peer of the NetworkPolicy np): not found",
		"Secret keys in namespace ns with the keys K, L (container app of the Deployment app): it has no key L",
	}, missing.Missing, "the optional Secret is not needed")
	assert.Contains(t, err.Error(), "Nothing was installed.")

	// With all of it there, the install goes on.
	cs = fake.NewClientset(
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "keys", Namespace: "ns"}, Data: map[string][]byte{"K": []byte("v"), "L": []byte("w")}},
		&storagev1.StorageClass{ObjectMeta: metav1.ObjectMeta{Name: "plain", Annotations: map[string]string{"storageclass.kubernetes.io/is-default-class": "true"}}},
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "monitoring"}},
	)
	require.NoError(t, (&Cluster{Client: cs}).CheckNeeds(context.Background(), p, "ns"))
}
