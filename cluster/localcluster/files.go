package localcluster

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"kotaemon-k8s/cluster/pki"
)

// identities are the client certificates the components use, and the kubeconfigs
// built from them. CoreDNS, kube-router and the volume provisioner run as host processes
// and get the admin group: the cluster is a local, single-user test bed.
var identities = []struct {
	file, cn string
	orgs     []string
}{
	{"admin", "kotaemon-k8s:admin", []string{"system:masters"}},
	{"controller-manager", "system:kube-controller-manager", nil},
	{"scheduler", "system:kube-scheduler", nil},
	{"kubelet", "system:node:" + NodeName, []string{"system:nodes"}},
	{"kube-proxy", "system:kube-proxy", nil},
	{"coredns", "kotaemon-k8s:coredns", []string{"system:masters"}},
	{"kube-router", "kotaemon-k8s:kube-router", []string{"system:masters"}},
	{"provisioner", "kotaemon-k8s:provisioner", []string{"system:masters"}},
}

// writePKI issues every certificate the cluster needs, signed by a fresh CA.
func writePKI() error {
	ca, err := pki.NewCA(pkiDir, "kotaemon-k8s local cluster CA")
	if err != nil {
		return err
	}
	ip := net.ParseIP
	leaves := []pki.Leaf{
		{File: "apiserver", CN: "kube-apiserver", Server: true,
			DNS: []string{"kubernetes", "kubernetes.default", "kubernetes.default.svc",
				"kubernetes.default.svc." + ClusterDomain, "localhost", NodeName},
			IPs: []net.IP{ip("127.0.0.1"), ip(APIServiceIP), ip(NodeIP)}},
		{File: "apiserver-kubelet-client", CN: "kube-apiserver-kubelet-client",
			Orgs: []string{"system:masters"}, Client: true},
		{File: "kubelet-serving", CN: NodeName, Server: true,
			DNS: []string{NodeName, "localhost"}, IPs: []net.IP{ip(NodeIP), ip("127.0.0.1")}},
	}
	for _, id := range identities {
		leaves = append(leaves, pki.Leaf{File: id.file, CN: id.cn, Orgs: id.orgs, Client: true})
	}
	for _, l := range leaves {
		if err := ca.Issue(pkiDir, l); err != nil {
			return err
		}
	}
	return pki.ServiceAccountKeys(pkiDir)
}

func pkiFile(name string) string { return filepath.Join(pkiDir, name) }

func kubeconfigPath(id string) string { return filepath.Join(confDir, id+".kubeconfig") }

// writeKubeconfig writes a self-contained kubeconfig for a client identity.
func writeKubeconfig(path, id string) error {
	read := func(n string) []byte { b, _ := os.ReadFile(pkiFile(n)); return b }
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["kotaemon-k8s"] = &clientcmdapi.Cluster{
		Server:                   fmt.Sprintf("https://%s:%d", NodeIP, APIPort),
		CertificateAuthorityData: read("ca.crt"),
	}
	cfg.AuthInfos[id] = &clientcmdapi.AuthInfo{
		ClientCertificateData: read(id + ".crt"),
		ClientKeyData:         read(id + ".key"),
	}
	cfg.Contexts["kotaemon-k8s"] = &clientcmdapi.Context{Cluster: "kotaemon-k8s", AuthInfo: id}
	cfg.CurrentContext = "kotaemon-k8s"
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return clientcmd.WriteToFile(*cfg, path)
}

// writeConfigs renders every configuration file the components read.
func (o Options) writeConfigs() error {
	for _, d := range []string{confDir, registryHosts, cniConfDir, cniIPAMDir, kubeletDir, etcdDir, containerdDir, ctrdStateDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	for _, id := range identities {
		if err := writeKubeconfig(kubeconfigPath(id.file), id.file); err != nil {
			return err
		}
	}
	files := map[string]string{
		filepath.Join(confDir, "containerd.toml"):         containerdConfig(),
		filepath.Join(cniConfDir, "10-kotaemon.conflist"): cniConfig(),
		filepath.Join(confDir, "kubelet.yaml"):            kubeletConfig(),
		filepath.Join(confDir, "kube-proxy.yaml"):         kubeProxyConfig(),
		filepath.Join(confDir, "Corefile"):                corefile(),
	}
	for p, content := range files {
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// containerdConfig: restrict_oom_score_adj because this VM lacks CAP_SYS_RESOURCE (runc
// cannot set negative scores), cgroupfs because there is no systemd, a locally built
// pause image because nothing may be pulled from outside; registries on the cluster's
// own network are configured per host in registry-hosts (read at every pull, see
// TrustRegistry).
func containerdConfig() string {
	return fmt.Sprintf(`version = 2
root = %q
state = %q
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper"]

[grpc]
  address = %q

[plugins."io.containerd.internal.v1.opt"]
  path = %q

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = %q
  restrict_oom_score_adj = true
  enable_selinux = false
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = %q
  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = %q
`, containerdDir, ctrdStateDir, ctrdSocket, filepath.Join(containerdDir, "opt"), PauseImage, cniConfDir, registryHosts)
}

func cniConfig() string {
	conf := map[string]any{
		"cniVersion": "0.4.0",
		"name":       "kotaemon-k8s",
		"plugins": []any{
			map[string]any{
				"type": "bridge", "bridge": "cni0", "isGateway": true, "ipMasq": true, "hairpinMode": true,
				"ipam": map[string]any{
					"type":    "host-local",
					"ranges":  [][]map[string]string{{{"subnet": NodePodCIDR}}},
					"routes":  []map[string]string{{"dst": "0.0.0.0/0"}},
					"dataDir": cniIPAMDir,
				},
			},
			map[string]any{"type": "portmap", "capabilities": map[string]bool{"portMappings": true}},
		},
	}
	b, _ := json.MarshalIndent(conf, "", "  ")
	return string(b) + "\n"
}

// kubeletConfig: oomScoreAdj 0 and failCgroupV1 false are VM workarounds; image GC is
// off because imported images cannot be pulled again; resolvConf is empty so pods never
// learn the host's resolvers.
func kubeletConfig() string {
	return fmt.Sprintf(`apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
authentication:
  anonymous:
    enabled: false
  webhook:
    enabled: true
  x509:
    clientCAFile: %s
authorization:
  mode: Webhook
address: %s
healthzBindAddress: 127.0.0.1
readOnlyPort: 0
tlsCertFile: %s
tlsPrivateKeyFile: %s
cgroupDriver: cgroupfs
containerRuntimeEndpoint: unix://%s
failSwapOn: false
failCgroupV1: false
clusterDNS:
- %s
clusterDomain: %s
resolvConf: ""
oomScoreAdj: 0
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard:
  memory.available: 50Mi
  nodefs.available: 1%%
  nodefs.inodesFree: 1%%
  imagefs.available: 1%%
evictionPressureTransitionPeriod: 10s
podCIDR: %s
podLogsDir: %s
maxPods: 110
serializeImagePulls: false
syncFrequency: 10s
fileCheckFrequency: 10s
nodeStatusUpdateFrequency: 5s
`, pkiFile("ca.crt"), NodeIP, pkiFile("kubelet-serving.crt"), pkiFile("kubelet-serving.key"),
		ctrdSocket, DNSServiceIP, ClusterDomain, NodePodCIDR, podLogDir)
}

func kubeProxyConfig() string {
	return fmt.Sprintf(`apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
mode: iptables
clusterCIDR: %s
hostnameOverride: %s
bindAddress: %s
healthzBindAddress: 127.0.0.1:10256
metricsBindAddress: 127.0.0.1:10249
clientConnection:
  kubeconfig: %s
conntrack:
  maxPerCore: 0
  min: 0
  tcpEstablishedTimeout: 0s
  tcpCloseWaitTimeout: 0s
iptables:
  syncPeriod: 10s
  minSyncPeriod: 0s
`, PodCIDR, NodeName, NodeIP, kubeconfigPath("kube-proxy"))
}

// corefile: cluster names only. There is no forward plugin, so nothing is ever asked
// of a resolver outside the cluster.
func corefile() string {
	return strings.NewReplacer("NODEIP", NodeIP, "DOMAIN", ClusterDomain, "KUBECONFIG", kubeconfigPath("coredns")).Replace(`.:53 {
    bind NODEIP 127.0.0.1
    errors
    ready 127.0.0.1:8181
    kubernetes DOMAIN in-addr.arpa ip6.arpa {
        kubeconfig KUBECONFIG
        pods insecure
        fallthrough in-addr.arpa ip6.arpa
        ttl 5
    }
    cache 5
    loadbalance
}
`)
}
