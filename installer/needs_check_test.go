package installer

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"

	"kotaemon-k8s/release"
)

// CheckNeeds names every need the cluster lacks, with what refers to it, and nothing
// it has.
func TestCheckNeedsNamesEveryMissingObject(t *testing.T) {
	t.Parallel()
	m, err := release.Decode([]byte(`apiVersion: apps/v1
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
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data, namespace: ns}
spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: np, namespace: ns}
spec:
  podSelector: {}
  ingress: [{from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: monitoring}}}]}]
`))
	require.NoError(t, err)
	p := &Plan{Manifest: m}
	cs := fake.NewClientset(
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "keys", Namespace: "ns"}, Data: map[string][]byte{"K": []byte("v")}},
		&storagev1.StorageClass{ObjectMeta: metav1.ObjectMeta{Name: "plain"}},
	)
	err = (&Cluster{Client: cs}).CheckNeeds(context.Background(), p, "ns")
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
