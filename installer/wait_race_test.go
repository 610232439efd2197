package installer

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
)

// The pod becomes Ready between the waiter's listing of the pods and its read of the
// Deployment (which then reports it): the pod's Ready line still comes before the
// Deployment's, as the user reads the story in order.
func TestAPodReadyBetweenTheListingAndTheWorkloadReadIsStillSaidFirst(t *testing.T) {
	t.Parallel()
	one := int32(1)
	running := pod(func(p *corev1.Pod) {
		p.Status.Phase = corev1.PodRunning
		p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "app", State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}}}
	})
	deploy := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "kh", Namespace: "ns", Generation: 1},
		Spec:   appsv1.DeploymentSpec{Replicas: &one},
		Status: appsv1.DeploymentStatus{ObservedGeneration: 1, Replicas: 1, UpdatedReplicas: 1, ReadyReplicas: 1}}
	wt, out, _ := waiterFor(t, running, deploy)
	cs := wt.c.Client.(*fake.Clientset)
	cs.PrependReactor("get", "deployments", func(k8stesting.Action) (bool, runtime.Object, error) {
		ready := running.DeepCopy()
		yes := true
		ready.Status.ContainerStatuses[0].Started = &yes
		ready.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}}
		return false, nil, cs.Tracker().Update(corev1.SchemeGroupVersion.WithResource("pods"), ready, "ns")
	})

	done, err := wt.step(context.Background(), "app=kh")
	require.NoError(t, err)
	require.True(t, done)
	podReady := strings.Index(out.String(), "pod kh-1: Ready")
	require.GreaterOrEqual(t, podReady, 0, "the pod's Ready line is missing:\n%s", out.String())
	assert.Less(t, podReady, strings.Index(out.String(), "Deployment/kh is Ready"), out.String())
}
