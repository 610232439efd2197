package kube

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// Namespace creates a namespace named after prefix for one test and deletes it when
// the test ends.
func (c *Cluster) Namespace(t testing.TB, prefix string) string {
	t.Helper()
	ns, err := c.Client.CoreV1().Namespaces().Create(context.Background(), &corev1.Namespace{
		ObjectMeta: metav1.ObjectMeta{GenerateName: prefix + "-"},
	}, metav1.CreateOptions{})
	require.NoError(t, err)
	t.Cleanup(func() {
		_ = c.Client.CoreV1().Namespaces().Delete(context.Background(), ns.Name, metav1.DeleteOptions{})
	})
	return ns.Name
}

// GetPod returns the pod, or nil and why not.
func GetPod(ctx context.Context, cs kubernetes.Interface, ns, name string) (*corev1.Pod, string) {
	p, err := cs.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return nil, err.Error()
	}
	return p, ""
}

// PodReady is the pod's Ready condition.
func PodReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// Restarts counts the restarts of every container of the pod, native sidecars (init
// containers that restart) included.
func Restarts(p *corev1.Pod) int32 {
	var n int32
	for _, s := range p.Status.ContainerStatuses {
		n += s.RestartCount
	}
	for _, s := range p.Status.InitContainerStatuses {
		n += s.RestartCount
	}
	return n
}

// ContainerRestarts is one container's restart count (-1 when it has no status yet).
func ContainerRestarts(p *corev1.Pod, container string) int32 {
	for _, s := range append(append([]corev1.ContainerStatus{}, p.Status.ContainerStatuses...), p.Status.InitContainerStatuses...) {
		if s.Name == container {
			return s.RestartCount
		}
	}
	return -1
}

// Running reports whether the pod runs and every one of its containers is running.
func Running(p *corev1.Pod) bool {
	for _, s := range p.Status.ContainerStatuses {
		if s.State.Running == nil {
			return false
		}
	}
	return p.Status.Phase == corev1.PodRunning && len(p.Status.ContainerStatuses) > 0
}

// LastLogLines returns the last n lines a container printed (container "" for a pod
// with one container).
func LastLogLines(ctx context.Context, cs kubernetes.Interface, ns, pod, container string, n int64) ([]string, error) {
	b, err := cs.CoreV1().Pods(ns).GetLogs(pod, &corev1.PodLogOptions{Container: container, TailLines: &n}).DoRaw(ctx)
	if err != nil {
		return nil, err
	}
	s := strings.TrimSpace(string(b))
	if s == "" {
		return nil, nil
	}
	return strings.Split(s, "\n"), nil
}

// AllPrefixed reports whether there are at least n lines and the last n start with prefix.
func AllPrefixed(lines []string, n int, prefix string) bool {
	if len(lines) < n {
		return false
	}
	for _, l := range lines[len(lines)-n:] {
		if !strings.HasPrefix(l, prefix) {
			return false
		}
	}
	return true
}

// EndpointReadiness maps each address of a Service's EndpointSlices to its ready
// condition (a not-ready pod is listed with ready=false, not left out).
func EndpointReadiness(ctx context.Context, cs kubernetes.Interface, ns, svc string) (map[string]bool, error) {
	slices, err := cs.DiscoveryV1().EndpointSlices(ns).List(ctx, metav1.ListOptions{LabelSelector: discoveryv1.LabelServiceName + "=" + svc})
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for _, s := range slices.Items {
		for _, e := range s.Endpoints {
			for _, a := range e.Addresses {
				out[a] = e.Conditions.Ready != nil && *e.Conditions.Ready
			}
		}
	}
	return out, nil
}

// Ptr returns a pointer to v (API structs take pointers for optional fields).
func Ptr[T any](v T) *T { return &v }
