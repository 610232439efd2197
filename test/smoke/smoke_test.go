package smoke

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"kotaemon-k8s/cluster/localcluster"
	"kotaemon-k8s/test/kube"
	"kotaemon-k8s/versions"
)

// Probe settings of the doubles; every bound below is derived from them.
const (
	readinessPeriod   = 1 // seconds
	readinessFailures = 1
	livenessPeriod    = 1 // seconds
	livenessFailures  = 2
	// podStart bounds scheduling, sandbox creation and container start on this node.
	podStart = 60 * time.Second
	// proxySync bounds kube-proxy's reaction to an EndpointSlice change (minSyncPeriod 0).
	proxySync = 30 * time.Second
	// policySync bounds kube-router's reaction to a NetworkPolicy event.
	policySync = 60 * time.Second
)

func TestEmbeddedCluster(t *testing.T) {
	cluster := kube.Connect(t, "make test-cluster")
	cs := cluster.Client
	im := loadImages(t, cluster)

	// The node: registered, Ready, running the version the cluster pins.
	t.Run("the node is Ready and runs the pinned kubelet version", func(t *testing.T) {
		nodes, err := cs.CoreV1().Nodes().List(context.Background(), metav1.ListOptions{})
		require.NoError(t, err)
		require.Len(t, nodes.Items, 1)
		n := nodes.Items[0]
		assert.Equal(t, versions.Kubernetes, n.Status.NodeInfo.KubeletVersion)
		var ready bool
		for _, c := range n.Status.Conditions {
			if c.Type == corev1.NodeReady {
				ready = c.Status == corev1.ConditionTrue
			}
		}
		assert.True(t, ready, "node %s is not Ready: %+v", n.Name, n.Status.Conditions)
	})

	// The namespace: the test runs inside it (localcluster exec), so its routing table is
	// the cluster's. A route lookup sends nothing.
	t.Run("the cluster's network namespace has no route off the machine", func(t *testing.T) {
		if os.Getenv("KOTAEMON_CLUSTER") != "embedded" {
			t.Skip("not inside the embedded cluster's namespace (KOTAEMON_CLUSTER is set by localcluster exec)")
		}
		out, err := exec.Command("ip", "route", "get", "1.1.1.1").CombinedOutput()
		require.Error(t, err, "a route off the machine exists: %s", out)
		assert.Contains(t, string(out), "Network is unreachable")
		out, err = exec.Command("ip", "route", "show", "default").CombinedOutput()
		require.NoError(t, err)
		assert.Empty(t, strings.TrimSpace(string(out)), "the namespace must have no default route")
	})

	t.Run("a Service name resolves through CoreDNS, from the test and from a pod", func(t *testing.T) {
		t.Parallel()
		// Created: a server pod and its Service, a client pod that GETs the Service by name.
		// Happens: the client resolves the name through the cluster DNS ClusterIP.
		// Must hold: the names resolve to the ClusterIPs and the client gets the server's answer.
		ns := cluster.Namespace(t, "smoke")
		create(t, cs, ns,
			im.serverPod("echo", map[string]string{"app": "echo"}, probe("/ready", readinessPeriod, readinessFailures), nil),
			service("echo", map[string]string{"app": "echo"}))
		fqdn := fmt.Sprintf("echo.%s.svc.%s", ns, localcluster.ClusterDomain)
		create(t, cs, ns, kube.ClientPod("client", im.client, map[string]string{"app": "client"}, "http://"+fqdn+"/"))

		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		addrs, err := resolver().LookupHost(ctx, "kubernetes.default.svc."+localcluster.ClusterDomain)
		require.NoError(t, err)
		assert.Equal(t, []string{localcluster.APIServiceIP}, addrs)
		svc, err := cs.CoreV1().Services(ns).Get(ctx, "echo", metav1.GetOptions{})
		require.NoError(t, err)
		addrs, err = resolver().LookupHost(ctx, fqdn)
		require.NoError(t, err)
		assert.Equal(t, []string{svc.Spec.ClusterIP}, addrs)

		kube.Await(t, "the client pod gets the server's answer by Service name", podStart, func(ctx context.Context) (bool, string) {
			lines, err := kube.LastLogLines(ctx, cs, ns, "client", "", 1)
			if err != nil {
				return false, err.Error()
			}
			return kube.AllPrefixed(lines, 1, "OK 200 echo"), strings.Join(lines, "|")
		})
	})

	t.Run("a ClusterIP routes to the ready pod and never to the unready one", func(t *testing.T) {
		t.Parallel()
		// Created: two pods behind one Service; one's readiness endpoint always answers 503.
		// Happens: the EndpointSlice lists both, the failing one with ready=false.
		// Must hold: every request to the ClusterIP is answered by the ready pod.
		ns := cluster.Namespace(t, "smoke")
		labels := map[string]string{"app": "pool"}
		create(t, cs, ns,
			im.serverPod("ready", labels, probe("/ready", readinessPeriod, readinessFailures), nil),
			im.serverPod("unready", labels, probe("/ready", readinessPeriod, readinessFailures), nil, "-ready=false"),
			service("pool", labels))
		var ips = map[string]string{}
		kube.Await(t, "pod ready is Ready and pod unready is running", podStart, func(ctx context.Context) (bool, string) {
			r, why := kube.GetPod(ctx, cs, ns, "ready")
			if r == nil {
				return false, why
			}
			u, why := kube.GetPod(ctx, cs, ns, "unready")
			if u == nil {
				return false, why
			}
			ips["ready"], ips["unready"] = r.Status.PodIP, u.Status.PodIP
			return kube.PodReady(r) && kube.Running(u), fmt.Sprintf("ready: %s/%v, unready: %s", r.Status.Phase, kube.PodReady(r), u.Status.Phase)
		})
		// The unready pod must have failed readinessFailures probes by now; allow one more
		// period for the EndpointSlice controller to publish it.
		kube.Await(t, "the EndpointSlice lists ready=true for one and ready=false for the other", podStart, func(ctx context.Context) (bool, string) {
			eps, err := kube.EndpointReadiness(ctx, cs, ns, "pool")
			if err != nil {
				return false, err.Error()
			}
			r, rok := eps[ips["ready"]]
			u, uok := eps[ips["unready"]]
			return rok && uok && r && !u, fmt.Sprint(eps)
		})
		p, _ := kube.GetPod(context.Background(), cs, ns, "unready")
		require.NotNil(t, p)
		assert.False(t, kube.PodReady(p), "the pod whose readiness endpoint answers 503 must never be Ready")

		svc, err := cs.CoreV1().Services(ns).Get(context.Background(), "pool", metav1.GetOptions{})
		require.NoError(t, err)
		client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 2 * time.Second}
		get := func() (string, error) {
			resp, err := client.Get("http://" + svc.Spec.ClusterIP + "/")
			if err != nil {
				return "", err
			}
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			return strings.TrimSpace(string(body)), err
		}
		// kube-proxy programs the Service's rules after the EndpointSlice changes.
		kube.Await(t, "kube-proxy routes the ClusterIP", proxySync, func(context.Context) (bool, string) {
			answer, err := get()
			if err != nil {
				return false, err.Error()
			}
			return true, answer
		})
		for i := range 20 {
			answer, err := get()
			require.NoError(t, err, "request %d to the ClusterIP", i)
			require.Equal(t, "ready", answer, "request %d was answered by the wrong pod", i)
		}
	})

	t.Run("a NetworkPolicy denies a client it does not list and admits one it does while kubelet probes keep passing", func(t *testing.T) {
		t.Parallel()
		// Created: a probed server, two looping clients (keep-alive off), then a policy that
		// admits only pods labelled role=allowed.
		// Happens: kube-router turns the policy into iptables rules and ipsets.
		// Must hold: both clients reach the server before; after, only the listed one does,
		// and the server stays Ready with no restart (probes come from the node).
		ns := cluster.Namespace(t, "smoke")
		server := map[string]string{"app": "guarded"}
		create(t, cs, ns,
			im.serverPod("guarded", server, probe("/ready", readinessPeriod, readinessFailures), probe("/live", livenessPeriod, livenessFailures)),
			service("guarded", server))
		url := fmt.Sprintf("http://guarded.%s.svc.%s/", ns, localcluster.ClusterDomain)
		create(t, cs, ns,
			kube.ClientPod("allowed", im.client, map[string]string{"role": "allowed"}, url),
			kube.ClientPod("other", im.client, map[string]string{"role": "other"}, url))

		clientsSee := func(allowed, other string, n int) func(context.Context) (bool, string) {
			return func(ctx context.Context) (bool, string) {
				a, err := kube.LastLogLines(ctx, cs, ns, "allowed", "", int64(n))
				if err != nil {
					return false, err.Error()
				}
				o, err := kube.LastLogLines(ctx, cs, ns, "other", "", int64(n))
				if err != nil {
					return false, err.Error()
				}
				return kube.AllPrefixed(a, n, allowed) && kube.AllPrefixed(o, n, other),
					fmt.Sprintf("allowed: %q other: %q", a, o)
			}
		}
		kube.Await(t, "both clients reach the server before the policy", podStart, clientsSee("OK 200", "OK 200", 2))

		tcp := corev1.ProtocolTCP
		port := intstr.FromInt32(serverPort)
		create(t, cs, ns, &networkingv1.NetworkPolicy{
			ObjectMeta: metav1.ObjectMeta{Name: "only-allowed"},
			Spec: networkingv1.NetworkPolicySpec{
				PodSelector: metav1.LabelSelector{MatchLabels: server},
				PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress},
				Ingress: []networkingv1.NetworkPolicyIngressRule{{
					From:  []networkingv1.NetworkPolicyPeer{{PodSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"role": "allowed"}}}},
					Ports: []networkingv1.NetworkPolicyPort{{Protocol: &tcp, Port: &port}},
				}},
			},
		})
		kube.Await(t, "the unlisted client is refused and the listed one admitted", policySync, clientsSee("OK 200", "ERR", 3))

		// Hold for three liveness failure windows: a blocked probe would have restarted the
		// server (liveness) or taken it out of the Service (readiness) by then.
		hold := 3 * time.Duration(livenessPeriod*livenessFailures) * time.Second
		deadline := time.Now().Add(hold)
		for time.Now().Before(deadline) {
			p, why := kube.GetPod(context.Background(), cs, ns, "guarded")
			require.NotNil(t, p, why)
			require.True(t, kube.PodReady(p), "the server lost readiness under the policy")
			require.Zero(t, kube.Restarts(p), "the server was restarted under the policy")
			time.Sleep(500 * time.Millisecond) // sampling a state that must not change
		}
		kube.Await(t, "the verdicts still hold after the hold window", 5*time.Second, clientsSee("OK 200", "ERR", 3))
	})

	t.Run("a claim of the default StorageClass is provisioned for its pod and removed with it", func(t *testing.T) {
		t.Parallel()
		// Created: a claim with no storage class (the default applies) and a pod using it.
		// Happens: the scheduler places the pod, the provisioner makes a volume.
		// Must hold: the claim is Bound to a volume of the default class and the pod runs;
		// deleting both removes the volume (reclaim policy Delete).
		ns := cluster.Namespace(t, "smoke")
		ctx := context.Background()
		_, err := cs.CoreV1().PersistentVolumeClaims(ns).Create(ctx, &corev1.PersistentVolumeClaim{
			ObjectMeta: metav1.ObjectMeta{Name: "data"},
			Spec: corev1.PersistentVolumeClaimSpec{
				AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
				Resources:   corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")}},
			},
		}, metav1.CreateOptions{})
		require.NoError(t, err)
		pod := im.serverPod("stores", map[string]string{"app": "stores"}, nil, nil)
		pod.Spec.Volumes = []corev1.Volume{{Name: "data", VolumeSource: corev1.VolumeSource{
			PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: "data"}}}}
		pod.Spec.Containers[0].VolumeMounts = []corev1.VolumeMount{{Name: "data", MountPath: "/data"}}
		create(t, cs, ns, pod)
		var volume string
		kube.Await(t, "the claim is Bound and the pod runs", podStart, func(ctx context.Context) (bool, string) {
			c, err := cs.CoreV1().PersistentVolumeClaims(ns).Get(ctx, "data", metav1.GetOptions{})
			if err != nil {
				return false, err.Error()
			}
			p, why := kube.GetPod(ctx, cs, ns, "stores")
			if p == nil {
				return false, why
			}
			volume = c.Spec.VolumeName
			return c.Status.Phase == corev1.ClaimBound && kube.Running(p), fmt.Sprintf("claim %s, pod %s", c.Status.Phase, p.Status.Phase)
		})
		pv, err := cs.CoreV1().PersistentVolumes().Get(ctx, volume, metav1.GetOptions{})
		require.NoError(t, err)
		assert.Equal(t, localcluster.StorageClassName, pv.Spec.StorageClassName)

		require.NoError(t, cs.CoreV1().Pods(ns).Delete(ctx, "stores", metav1.DeleteOptions{}))
		require.NoError(t, cs.CoreV1().PersistentVolumeClaims(ns).Delete(ctx, "data", metav1.DeleteOptions{}))
		kube.Await(t, "the volume is removed with its claim", podStart, func(ctx context.Context) (bool, string) {
			_, err := cs.CoreV1().PersistentVolumes().Get(ctx, volume, metav1.GetOptions{})
			return apierrors.IsNotFound(err), fmt.Sprint(err)
		})
	})

	t.Run("a failing liveness probe restarts the container", func(t *testing.T) {
		t.Parallel()
		// Created: a server whose liveness endpoint starts answering 500 after failAfter.
		// Happens: livenessFailures consecutive failures, livenessPeriod apart.
		// Must hold: the kubelet restarts the container within failAfter + period x failures,
		// plus slack for probe-worker phase (one period), the kill (grace 1 s) and the restart.
		const failAfter = 3 * time.Second
		const slack = 15 * time.Second
		ns := cluster.Namespace(t, "smoke")
		create(t, cs, ns, im.serverPod("wedges", map[string]string{"app": "wedges"}, nil,
			probe("/live", livenessPeriod, livenessFailures), "-live-fail-after="+failAfter.String()))
		kube.Await(t, "the container runs", podStart, func(ctx context.Context) (bool, string) {
			p, why := kube.GetPod(ctx, cs, ns, "wedges")
			if p == nil {
				return false, why
			}
			return kube.Running(p), string(p.Status.Phase)
		})
		bound := failAfter + time.Duration(livenessPeriod*livenessFailures)*time.Second + slack
		kube.Await(t, "the kubelet restarts the container", bound, func(ctx context.Context) (bool, string) {
			p, why := kube.GetPod(ctx, cs, ns, "wedges")
			if p == nil {
				return false, why
			}
			return kube.Restarts(p) >= 1, fmt.Sprintf("restarts=%d", kube.Restarts(p))
		})
	})
}
