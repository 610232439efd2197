// Package smoke proves that the embedded cluster does what the deploy suite relies on:
// a Ready node, cluster DNS, ClusterIP routing that honours readiness, NetworkPolicy
// enforcement that leaves kubelet probes alone, and liveness restarts.
//
// Run it inside the cluster's network namespace: `make test-cluster`. With no cluster
// reachable it fails; set SKIP_CLUSTER=1 to skip instead (ignored when CI=true).
package smoke

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"

	"kotaemon-k8s/cluster/localcluster"
	"kotaemon-k8s/cluster/ociimage"
	"kotaemon-k8s/test/kube"
)

const (
	serverImage = "kotaemon-k8s.local/smoke-httpdouble:test"
	clientImage = "kotaemon-k8s.local/smoke-getclient:test"
	serverPort  = 8080
)

var (
	imagesOnce sync.Once
	imagesErr  error
)

// connect returns a client for the cluster in KUBECONFIG, failing (or skipping, when
// asked to outside CI) if there is none.
func connect(t *testing.T) kubernetes.Interface {
	t.Helper()
	cs, _ := kube.Connect(t, "make test-cluster")
	return cs
}

// loadImages builds the two doubles as static binaries, packages them as image
// tarballs and imports them into the embedded cluster's containerd, once per run.
func loadImages(t *testing.T) {
	t.Helper()
	imagesOnce.Do(func() {
		dir, err := os.MkdirTemp("", "smoke-images-")
		if err != nil {
			imagesErr = err
			return
		}
		defer os.RemoveAll(dir)
		var tars []string
		for _, d := range []struct{ pkg, tag string }{
			{"./doubles/httpdouble", serverImage},
			{"./doubles/getclient", clientImage},
		} {
			bin := filepath.Join(dir, filepath.Base(d.pkg))
			if imagesErr = ociimage.BuildStatic(".", d.pkg, bin); imagesErr != nil {
				return
			}
			tar := bin + ".tar"
			if imagesErr = ociimage.Write(ociimage.Spec{Binary: bin, PathInImage: "/" + filepath.Base(d.pkg), Tag: d.tag}, tar); imagesErr != nil {
				return
			}
			tars = append(tars, tar)
		}
		_, imagesErr = localcluster.ImportImages(tars)
	})
	require.NoError(t, imagesErr, "building and importing the test doubles")
}

// namespace creates a namespace for one test and deletes it afterwards.
func namespace(t *testing.T, cs kubernetes.Interface) string {
	t.Helper()
	ns, err := cs.CoreV1().Namespaces().Create(context.Background(), &corev1.Namespace{
		ObjectMeta: metav1.ObjectMeta{GenerateName: "smoke-"},
	}, metav1.CreateOptions{})
	require.NoError(t, err)
	t.Cleanup(func() {
		_ = cs.CoreV1().Namespaces().Delete(context.Background(), ns.Name, metav1.DeleteOptions{})
	})
	return ns.Name
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

var nobody = &corev1.SecurityContext{RunAsUser: ptr(int64(65534)), RunAsNonRoot: ptr(true), AllowPrivilegeEscalation: ptr(false)}

// serverPod runs httpdouble with the given flags and probes.
func serverPod(name string, labels map[string]string, readiness, liveness *corev1.Probe, args ...string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels},
		Spec: corev1.PodSpec{
			TerminationGracePeriodSeconds: ptr(int64(1)),
			AutomountServiceAccountToken:  ptr(false),
			Containers: []corev1.Container{{
				Name: "server", Image: serverImage, ImagePullPolicy: corev1.PullNever,
				Args:            append([]string{"-name=" + name}, args...),
				Ports:           []corev1.ContainerPort{{ContainerPort: serverPort}},
				ReadinessProbe:  readiness,
				LivenessProbe:   liveness,
				SecurityContext: nobody,
			}},
		},
	}
}

// clientPod runs getclient against url every half second.
func clientPod(name string, labels map[string]string, url string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels},
		Spec: corev1.PodSpec{
			TerminationGracePeriodSeconds: ptr(int64(1)),
			AutomountServiceAccountToken:  ptr(false),
			Containers: []corev1.Container{{
				Name: "client", Image: clientImage, ImagePullPolicy: corev1.PullNever,
				Args:            []string{"-url=" + url, "-interval=500ms", "-timeout=1s"},
				SecurityContext: nobody,
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

// await polls cond every 250 ms until it holds or timeout passes; the last reason cond
// gave is in the failure message.
func await(t *testing.T, what string, timeout time.Duration, cond func(ctx context.Context) (bool, string)) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	reason := "not checked yet"
	for {
		ok, why := cond(ctx)
		if ok {
			return
		}
		if why != "" {
			reason = why
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s: not within %s; last: %s", what, timeout, reason)
		case <-time.After(250 * time.Millisecond):
		}
	}
}

func getPod(ctx context.Context, cs kubernetes.Interface, ns, name string) (*corev1.Pod, string) {
	p, err := cs.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return nil, err.Error()
	}
	return p, ""
}

func podReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

func restarts(p *corev1.Pod) int32 {
	var n int32
	for _, s := range p.Status.ContainerStatuses {
		n += s.RestartCount
	}
	return n
}

func running(p *corev1.Pod) bool {
	for _, s := range p.Status.ContainerStatuses {
		if s.State.Running == nil {
			return false
		}
	}
	return p.Status.Phase == corev1.PodRunning && len(p.Status.ContainerStatuses) > 0
}

// lastLogLines returns the last n lines a container printed.
func lastLogLines(ctx context.Context, cs kubernetes.Interface, ns, pod string, n int64) ([]string, error) {
	b, err := cs.CoreV1().Pods(ns).GetLogs(pod, &corev1.PodLogOptions{TailLines: &n}).DoRaw(ctx)
	if err != nil {
		return nil, err
	}
	s := strings.TrimSpace(string(b))
	if s == "" {
		return nil, nil
	}
	return strings.Split(s, "\n"), nil
}

// allPrefixed reports whether there are n lines and each starts with prefix.
func allPrefixed(lines []string, n int, prefix string) bool {
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

// resolver asks the cluster DNS Service directly, over UDP to its ClusterIP.
func resolver() *net.Resolver {
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, net.JoinHostPort(localcluster.DNSServiceIP, "53"))
	}}
}

func endpointReadiness(ctx context.Context, cs kubernetes.Interface, ns, svc string) (map[string]bool, error) {
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

func ptr[T any](v T) *T { return &v }
