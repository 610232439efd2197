package localcluster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

// processes in start order; Down stops them in the reverse of their dependencies.
var processes = []string{
	"containerd", "etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler",
	"kubelet", "kube-proxy", "coredns", "kube-router", "provisioner",
}

// Up brings the cluster up, or does nothing but refresh the kubeconfig copy and load
// images when it is already up. Stale state from a crash is cleaned first.
func (o Options) Up(ctx context.Context) error {
	p := phase{out: o.Out, start: time.Now()}
	unlock, err := exclusive()
	if err != nil {
		return err
	}
	defer unlock()

	if o.healthy(ctx) == nil {
		p.say("cluster already up")
		if err := o.publishKubeconfig(); err != nil {
			return err
		}
		if err := o.loadDist(p); err != nil {
			return err
		}
		o.printExport()
		return nil
	}
	if leftovers() {
		p.say("cleaning state left by an earlier run")
		if err := o.teardown(p); err != nil {
			return fmt.Errorf("cleaning stale state: %w", err)
		}
	}
	pause, err := o.prepareBinaries(p)
	if err != nil {
		return err
	}
	if err := o.prepareHost(p); err != nil {
		return err
	}
	b := &bringUp{o: o, p: p, ctx: ctx}
	for _, step := range []func() error{
		func() error { return b.startControlPlane(pause) },
		b.startNode,
		b.awaitReady,
	} {
		if err := step(); err != nil {
			return err
		}
	}
	if err := o.publishKubeconfig(); err != nil {
		return err
	}
	p.say("cluster up")
	o.printExport()
	return nil
}

// prepareBinaries installs the Debian packages, builds (or finds cached) the components
// and the pause image, and returns the pause image's tarball.
func (o Options) prepareBinaries(p phase) (string, error) {
	if err := ensurePackages(p); err != nil {
		return "", err
	}
	if err := o.Build(p); err != nil {
		return "", err
	}
	pause, cached, err := o.pauseTarball()
	if err != nil {
		return "", fmt.Errorf("building the pause image: %w", err)
	}
	p.say("pause image %s", map[bool]string{true: "(cached)", false: "built"}[cached])
	return pause, nil
}

// prepareHost makes the network namespace, the host guard routes, certificates and
// configuration, and saves the host settings the kubelet rewrites.
func (o Options) prepareHost(p phase) error {
	// Volumes with mount propagation need a shared root; without systemd it is private.
	if _, err := run("mount", "--make-rshared", "/"); err != nil {
		return err
	}
	if err := guardHostRoutes(); err != nil {
		return err
	}
	if err := setupNetNS(); err != nil {
		return err
	}
	p.say("network namespace %s ready (node %s, no route off the machine)", NetNS, NodeIP)
	if err := writePKI(); err != nil {
		return err
	}
	if err := o.writeConfigs(); err != nil {
		return err
	}
	if err := saveHostSysctls(); err != nil {
		return err
	}
	p.say("certificates and configuration written")
	return nil
}

// bringUp starts the components in order; every wait also watches that nothing it
// started has died.
type bringUp struct {
	o       Options
	p       phase
	ctx     context.Context
	running []*started
	cs      kubernetes.Interface
}

func (b *bringUp) launch(name, bin string, args []string, env ...string) error {
	s, err := b.o.start(name, bin, args, env...)
	if err != nil {
		return err
	}
	b.running = append(b.running, s)
	return nil
}

func (b *bringUp) await(what string, timeout time.Duration, cond func(context.Context) (bool, error)) error {
	return waitFor(b.ctx, what, timeout, b.running, cond)
}

// startControlPlane starts containerd, etcd and the apiserver, and loads the images.
func (b *bringUp) startControlPlane(pause string) error {
	b.p.say("starting containerd and etcd")
	if err := b.launch("containerd", "containerd", []string{"--config", filepath.Join(confDir, "containerd.toml")}); err != nil {
		return err
	}
	if err := b.launch("etcd", b.o.bin("etcd"), etcdArgs()); err != nil {
		return err
	}
	if err := b.await("etcd healthy", 30*time.Second, etcdHealthy); err != nil {
		return err
	}
	b.p.say("etcd healthy")
	if err := b.launch("kube-apiserver", b.o.bin("kube-apiserver"), apiserverArgs()); err != nil {
		return err
	}
	if err := b.await("containerd ready", 30*time.Second, containerdReady); err != nil {
		return err
	}
	names, err := ImportImages(append([]string{pause}, b.o.DistTarballs()...))
	if err != nil {
		return err
	}
	b.p.say("images loaded: %v", names)
	cs, err := b.o.clientset()
	if err != nil {
		return err
	}
	b.cs = cs
	if err := b.await("apiserver ready", 90*time.Second, func(ctx context.Context) (bool, error) {
		return apiserverReady(ctx, cs)
	}); err != nil {
		return err
	}
	b.p.say("apiserver ready")
	return nil
}

// startNode starts the controllers, the node's components, CoreDNS, kube-router and
// the volume provisioner, with the DNS Service and the default StorageClass.
func (b *bringUp) startNode() error {
	env := []string{"NODE_NAME=" + NodeName}
	for _, c := range []struct {
		name string
		args []string
	}{
		{"kube-controller-manager", controllerManagerArgs()},
		{"kube-scheduler", schedulerArgs()},
		{"kubelet", kubeletArgs()},
		{"kube-proxy", []string{"--config", filepath.Join(confDir, "kube-proxy.yaml")}},
		{"coredns", []string{"-conf", filepath.Join(confDir, "Corefile")}},
	} {
		if err := b.launch(c.name, b.o.bin(c.name), c.args, env...); err != nil {
			return err
		}
	}
	if err := ensureDNSService(b.ctx, b.cs); err != nil {
		return err
	}
	b.p.say("control plane, kubelet, kube-proxy and CoreDNS started")
	// kube-router identifies its node by name at start, so it waits for registration.
	if err := b.await("node registered", 60*time.Second, func(ctx context.Context) (bool, error) {
		_, err := b.cs.CoreV1().Nodes().Get(ctx, NodeName, metav1.GetOptions{})
		return err == nil, err
	}); err != nil {
		return err
	}
	if err := b.launch("kube-router", b.o.bin("kube-router"), kubeRouterArgs(), env...); err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	if err := b.launch("provisioner", self, []string{"--repo", b.o.Repo, "provisioner"}); err != nil {
		return err
	}
	if err := ensureStorageClass(b.ctx, b.cs); err != nil {
		return err
	}
	b.p.say("node registered; kube-router and the %s volume provisioner (default StorageClass) started", StorageClassName)
	return nil
}

// awaitReady waits for the node, cluster DNS and the default service account.
func (b *bringUp) awaitReady() error {
	if err := b.await("node Ready", 120*time.Second, func(ctx context.Context) (bool, error) {
		return nodeReady(ctx, b.cs)
	}); err != nil {
		return err
	}
	b.p.say("node %s Ready", NodeName)
	if err := b.await("cluster DNS and the default service account", 60*time.Second, func(ctx context.Context) (bool, error) {
		if ok, err := httpOK(ctx, "http://127.0.0.1:8181/ready"); !ok {
			return false, err
		}
		_, err := b.cs.CoreV1().ServiceAccounts("default").Get(ctx, "default", metav1.GetOptions{})
		return err == nil, nil
	}); err != nil {
		return err
	}
	b.p.say("CoreDNS ready, default service account present")
	return nil
}

func (o Options) printExport() {
	fmt.Fprintf(o.Out, "kubeconfig: %s (the API is reachable inside network namespace %s only)\n", o.Kubeconfig, NetNS)
	fmt.Fprintf(o.Out, "export KUBECONFIG=%s\n", o.Kubeconfig)
	fmt.Fprintf(o.Out, "run clients inside the namespace: make cluster-exec CMD='kubectl get pods -A'  (or $(CLUSTER_EXEC) <cmd> in make)\n")
}

// publishKubeconfig copies the admin kubeconfig to the documented path in the clone.
func (o Options) publishKubeconfig() error {
	b, err := os.ReadFile(kubeconfigPath("admin"))
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(o.Kubeconfig), 0o755); err != nil {
		return err
	}
	return os.WriteFile(o.Kubeconfig, b, 0o600)
}

func (o Options) loadDist(p phase) error {
	files := o.DistTarballs()
	if len(files) == 0 {
		return nil
	}
	names, err := ImportImages(files)
	if err != nil {
		return err
	}
	p.say("images loaded: %v", names)
	return nil
}

// clientset talks to the apiserver through sockets opened inside the namespace.
func (o Options) clientset() (*kubernetes.Clientset, error) {
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfigPath("admin"))
	if err != nil {
		return nil, err
	}
	cfg.Dial = DialContext
	cfg.Timeout = 5 * time.Second
	cfg.QPS, cfg.Burst = 50, 100
	return kubernetes.NewForConfig(cfg)
}

// waitFor polls cond until it holds, the timeout passes, or a component exits early.
func waitFor(ctx context.Context, what string, timeout time.Duration, procs []*started, cond func(context.Context) (bool, error)) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var last error
	for {
		for _, s := range procs {
			select {
			case <-s.exited:
				return fmt.Errorf("waiting for %s: %s exited (%v); last log lines from %s:\n%s", what, s.Name, s.err, s.log, tail(s.log, 15))
			default:
			}
		}
		cctx, ccancel := context.WithTimeout(ctx, 3*time.Second)
		ok, err := cond(cctx)
		ccancel()
		if ok {
			return nil
		}
		if err != nil {
			last = err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: gave up after %s (last error: %v)", what, timeout, last)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func httpOK(ctx context.Context, url string) (bool, error) {
	client := &http.Client{Transport: &http.Transport{DialContext: DialContext, DisableKeepAlives: true}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return false, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return false, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK {
		return false, fmt.Errorf("%s: %s", url, resp.Status)
	}
	return true, nil
}

func etcdHealthy(ctx context.Context) (bool, error) {
	return httpOK(ctx, "http://127.0.0.1:2379/health")
}

func containerdReady(ctx context.Context) (bool, error) {
	if _, err := os.Stat(ctrdSocket); err != nil {
		return false, err
	}
	_, err := run("ctr", "--address", ctrdSocket, "version")
	return err == nil, err
}

func apiserverReady(ctx context.Context, cs kubernetes.Interface) (bool, error) {
	body, err := cs.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
	if err != nil {
		return false, err
	}
	return string(body) == "ok", nil
}

func nodeReady(ctx context.Context, cs kubernetes.Interface) (bool, error) {
	n, err := cs.CoreV1().Nodes().Get(ctx, NodeName, metav1.GetOptions{})
	if err != nil {
		return false, err
	}
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			if c.Status == corev1.ConditionTrue {
				return true, nil
			}
			return false, errors.New(c.Reason + ": " + c.Message)
		}
	}
	return false, nil
}

// ensureDNSService gives the host CoreDNS process the cluster DNS address: a Service
// without selector at the fixed ClusterIP and an EndpointSlice pointing at the node.
func ensureDNSService(ctx context.Context, cs kubernetes.Interface) error {
	labels := map[string]string{"k8s-app": "kube-dns", "kubernetes.io/name": "CoreDNS"}
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "kube-dns", Namespace: "kube-system", Labels: labels},
		Spec: corev1.ServiceSpec{
			ClusterIP: DNSServiceIP,
			Ports: []corev1.ServicePort{
				{Name: "dns", Port: 53, Protocol: corev1.ProtocolUDP, TargetPort: intstr.FromInt32(53)},
				{Name: "dns-tcp", Port: 53, Protocol: corev1.ProtocolTCP, TargetPort: intstr.FromInt32(53)},
			},
		},
	}
	if _, err := cs.CoreV1().Services("kube-system").Create(ctx, svc, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("creating the kube-dns Service: %w", err)
	}
	ready := true
	udp, tcp := corev1.ProtocolUDP, corev1.ProtocolTCP
	port := int32(53)
	dns, dnsTCP := "dns", "dns-tcp"
	eps := &discoveryv1.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{
			Name: "kube-dns-node", Namespace: "kube-system",
			Labels: map[string]string{
				discoveryv1.LabelServiceName: "kube-dns",
				discoveryv1.LabelManagedBy:   "kotaemon-k8s-localcluster",
			},
		},
		AddressType: discoveryv1.AddressTypeIPv4,
		Endpoints: []discoveryv1.Endpoint{{
			Addresses:  []string{NodeIP},
			Conditions: discoveryv1.EndpointConditions{Ready: &ready},
			NodeName:   ptr(NodeName),
		}},
		Ports: []discoveryv1.EndpointPort{{Name: &dns, Protocol: &udp, Port: &port}, {Name: &dnsTCP, Protocol: &tcp, Port: &port}},
	}
	if _, err := cs.DiscoveryV1().EndpointSlices("kube-system").Create(ctx, eps, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("creating the kube-dns EndpointSlice: %w", err)
	}
	return nil
}

func ptr[T any](v T) *T { return &v }

// The component command lines. Everything listens inside the namespace only.
func etcdArgs() []string {
	return []string{
		"--name=default", "--data-dir=" + etcdDir,
		"--listen-client-urls=http://127.0.0.1:2379", "--advertise-client-urls=http://127.0.0.1:2379",
		"--listen-peer-urls=http://127.0.0.1:2380", "--initial-advertise-peer-urls=http://127.0.0.1:2380",
		"--initial-cluster=default=http://127.0.0.1:2380",
		// A throw-away test cluster: durability is not worth the fsync latency.
		"--unsafe-no-fsync=true", "--log-level=warn", "--quota-backend-bytes=2147483648",
	}
}

func apiserverArgs() []string {
	return []string{
		"--etcd-servers=http://127.0.0.1:2379",
		"--advertise-address=" + NodeIP, "--bind-address=0.0.0.0", "--secure-port=" + strconv.Itoa(APIPort),
		"--service-cluster-ip-range=" + ServiceCIDR,
		"--client-ca-file=" + pkiFile("ca.crt"),
		"--tls-cert-file=" + pkiFile("apiserver.crt"), "--tls-private-key-file=" + pkiFile("apiserver.key"),
		"--kubelet-client-certificate=" + pkiFile("apiserver-kubelet-client.crt"),
		"--kubelet-client-key=" + pkiFile("apiserver-kubelet-client.key"),
		"--service-account-issuer=https://kubernetes.default.svc." + ClusterDomain,
		"--service-account-key-file=" + pkiFile("sa.pub"),
		"--service-account-signing-key-file=" + pkiFile("sa.key"),
		"--authorization-mode=Node,RBAC", "--enable-admission-plugins=NodeRestriction",
		"--allow-privileged=true", "--profiling=false", "--v=1",
		// The node name resolves nowhere in the namespace: reach kubelets by address.
		"--kubelet-preferred-address-types=InternalIP,Hostname",
	}
}

func controllerManagerArgs() []string {
	kc := kubeconfigPath("controller-manager")
	return []string{
		"--kubeconfig=" + kc, "--authentication-kubeconfig=" + kc, "--authorization-kubeconfig=" + kc,
		"--bind-address=127.0.0.1", "--leader-elect=false",
		"--allocate-node-cidrs=true", "--cluster-cidr=" + PodCIDR, "--node-cidr-mask-size=24",
		"--service-cluster-ip-range=" + ServiceCIDR,
		"--cluster-signing-cert-file=" + pkiFile("ca.crt"), "--cluster-signing-key-file=" + pkiFile("ca.key"),
		"--root-ca-file=" + pkiFile("ca.crt"),
		"--service-account-private-key-file=" + pkiFile("sa.key"),
		"--use-service-account-credentials=true", "--configure-cloud-routes=false", "--profiling=false",
	}
}

func schedulerArgs() []string {
	kc := kubeconfigPath("scheduler")
	return []string{
		"--kubeconfig=" + kc, "--authentication-kubeconfig=" + kc, "--authorization-kubeconfig=" + kc,
		"--bind-address=127.0.0.1", "--leader-elect=false", "--profiling=false",
	}
}

func kubeletArgs() []string {
	return []string{
		"--config=" + filepath.Join(confDir, "kubelet.yaml"),
		"--kubeconfig=" + kubeconfigPath("kubelet"),
		"--root-dir=" + kubeletDir,
		"--hostname-override=" + NodeName, "--node-ip=" + NodeIP,
		"--v=1",
	}
}

// kubeRouterArgs: firewall only (NetworkPolicy with iptables and ipsets); kube-proxy
// does services and the bridge CNI does pod routing.
func kubeRouterArgs() []string {
	return []string{
		"--kubeconfig=" + kubeconfigPath("kube-router"),
		"--run-firewall=true", "--run-router=false", "--run-service-proxy=false",
		"--hostname-override=" + NodeName,
		"--service-cluster-ip-range=" + ServiceCIDR,
		"--enable-ipv4=true", "--enable-ipv6=false",
		"--metrics-port=0", "--health-port=20244",
	}
}
