// Package localcluster brings up, inspects and tears down the embedded single-node
// Kubernetes cluster: upstream components built from the Go module proxy, containerd,
// runc and CNI plugins from Debian, all inside one network namespace with no route off
// the machine.
package localcluster

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

// Addresses inside the cluster's network namespace. Nothing here is routable off the
// machine: the namespace has no link to the outside at all.
const (
	NetNS         = "kotaemon-k8s"
	NodeName      = "kotaemon-node"
	NodeIP        = "10.255.0.1"
	BridgeName    = "k8s0" // port-less bridge that carries NodeIP and the service route
	ServiceCIDR   = "10.96.0.0/16"
	APIServiceIP  = "10.96.0.1"
	DNSServiceIP  = "10.96.0.10"
	PodCIDR       = "10.244.0.0/16"
	NodePodCIDR   = "10.244.0.0/24" // the first /24 the node-ipam controller hands out
	ClusterDomain = "cluster.local"
	APIPort       = 6443
	PauseImage    = "kotaemon-k8s/pause:1"
)

// Options locate the repository, the build cache and the kubeconfig copy.
type Options struct {
	Repo       string    // repository root: build modules, dist/ and the kubeconfig copy
	CacheDir   string    // built binaries, keyed by component and version
	Kubeconfig string    // where the admin kubeconfig is written for users and suites
	Out        io.Writer // progress lines
}

// Paths on this machine that belong to the cluster. StateDir and RunDir are removed by
// Down; the cache is kept.
const (
	baseDir  = "/var/lib/kotaemon-k8s"
	StateDir = baseDir + "/cluster"
	RunDir   = "/run/kotaemon-k8s"
	lockFile = "/run/lock/kotaemon-k8s-cluster.lock" // tmpfs: gone at reboot, never stale
)

var (
	pkiDir        = filepath.Join(StateDir, "pki")
	confDir       = filepath.Join(StateDir, "config")
	registryHosts = filepath.Join(confDir, "registry-hosts")
	pidDir        = filepath.Join(StateDir, "pids")
	etcdDir       = filepath.Join(StateDir, "etcd")
	kubeletDir    = filepath.Join(StateDir, "kubelet")
	containerdDir = filepath.Join(StateDir, "containerd")
	cniConfDir    = filepath.Join(StateDir, "cni", "net.d")
	cniIPAMDir    = filepath.Join(StateDir, "cni", "ipam")
	podLogDir     = filepath.Join(StateDir, "pod-logs")
	ctrdStateDir  = filepath.Join(RunDir, "containerd")
	ctrdSocket    = filepath.Join(RunDir, "containerd", "containerd.sock")
	netnsPath     = filepath.Join("/run/netns", NetNS)
)

// ContainerdAddress is the socket of the cluster's containerd, for ctr's --address.
func ContainerdAddress() string { return ctrdSocket }

// NetNSPath is the bind mount of the cluster's network namespace.
func NetNSPath() string { return netnsPath }

// DefaultCacheDir is $KOTAEMON_CLUSTER_CACHE, else a directory outside any clone so a
// fresh clone on the same machine reuses what an earlier one built.
func DefaultCacheDir() string {
	if d := os.Getenv("KOTAEMON_CLUSTER_CACHE"); d != "" {
		return d
	}
	return "/var/cache/kotaemon-k8s/cluster"
}

// DefaultKubeconfig is the kubeconfig copy inside a clone (.cache/ is git-ignored).
func DefaultKubeconfig(repo string) string {
	return filepath.Join(repo, ".cache", "cluster", "kubeconfig")
}

// logDir keeps component logs in the clone, where they survive Down for diagnosis.
func (o Options) logDir() string { return filepath.Join(o.Repo, ".cache", "cluster", "logs") }

// phase prints one progress line with the time since start.
type phase struct {
	out   io.Writer
	start time.Time
}

func (p phase) say(format string, args ...any) {
	fmt.Fprintf(p.out, "[%6.1fs] %s\n", time.Since(p.start).Seconds(), fmt.Sprintf(format, args...))
}
