// Package smoke proves that the embedded cluster does what the deploy suite relies on:
// a Ready node, cluster DNS, ClusterIP routing that honours readiness, NetworkPolicy
// enforcement that leaves kubelet probes alone, and liveness restarts.
//
// Run it inside the cluster's network namespace: `make test-cluster`. The rule for a
// missing cluster is test/kube's (fail under make and CI, skip a plain `go test`).
package smoke

import (
	"context"
	"net"
	"testing"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"

	"kotaemon-k8s/cluster/localcluster"
	"kotaemon-k8s/standin"
	"kotaemon-k8s/test/kube"
)

const serverPort = 8080

// images are the references pods use, set once by TestEmbeddedCluster.
type images struct{ server, client string }

func loadImages(t *testing.T, c *kube.Cluster) images {
	t.Helper()
	ref := c.LoadImages(t, standin.Image)[standin.Image.Ref] // the http double and the client
	return images{server: ref, client: ref}
}

// probe is an httpGet probe on the server port.
func probe(path string, period, failures int32) *corev1.Probe {
	return &corev1.Probe{
		ProbeHandler:     corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: path, Port: intstr.FromInt32(serverPort)}},
		PeriodSeconds:    period,
		TimeoutSeconds:   1,
		FailureThreshold: failures,
		SuccessThreshold: 1,
	}
}

// serverPod runs the stand-ins' http double (a server whose readiness and liveness
// answers the test chooses with flags) with the given flags and probes.
func (im images) serverPod(name string, labels map[string]string, readiness, liveness *corev1.Probe, args ...string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels},
		Spec: corev1.PodSpec{
			TerminationGracePeriodSeconds: kube.Ptr(int64(1)),
			AutomountServiceAccountToken:  kube.Ptr(false),
			Containers: []corev1.Container{{
				Name: "server", Image: im.server, ImagePullPolicy: corev1.PullIfNotPresent,
				Command:         standin.Command("http-double", append([]string{"-name=" + name}, args...)...),
				Ports:           []corev1.ContainerPort{{ContainerPort: serverPort}},
				ReadinessProbe:  readiness,
				LivenessProbe:   liveness,
				SecurityContext: kube.Nobody,
			}},
		},
	}
}

func service(name string, selector map[string]string) *corev1.Service {
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: corev1.ServiceSpec{
			Selector: selector,
			Ports:    []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromInt32(serverPort)}},
		},
	}
}

func create(t *testing.T, cs kubernetes.Interface, ns string, objs ...any) {
	t.Helper()
	ctx := context.Background()
	for _, o := range objs {
		var err error
		switch o := o.(type) {
		case *corev1.Pod:
			_, err = cs.CoreV1().Pods(ns).Create(ctx, o, metav1.CreateOptions{})
		case *corev1.Service:
			_, err = cs.CoreV1().Services(ns).Create(ctx, o, metav1.CreateOptions{})
		case *networkingv1.NetworkPolicy:
			_, err = cs.NetworkingV1().NetworkPolicies(ns).Create(ctx, o, metav1.CreateOptions{})
		default:
			t.Fatalf("create: unsupported %T", o)
		}
		require.NoError(t, err)
	}
}

// resolver asks the cluster DNS Service directly, over UDP to its ClusterIP.
func resolver() *net.Resolver {
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, net.JoinHostPort(localcluster.DNSServiceIP, "53"))
	}}
}
