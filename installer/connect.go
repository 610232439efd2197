// Package installer is the main job of the repository as a library: install the chart
// into a cluster (the one in KUBECONFIG, or the embedded one), make sure the images it
// needs can be found by the nodes, wait until the release is Ready while saying what
// happens, and tell the cause and the next step when it cannot get there. Also its
// status and its removal. cmd/kotaemonctl is its command line; the deploy suite tests it.
package installer

import (
	"fmt"
	"os"
	"strings"
	"time"

	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"kotaemon-k8s/cluster/localcluster"
	"kotaemon-k8s/nodeimages"
)

// Cluster is a connection to the cluster a release goes to.
type Cluster struct {
	Config *rest.Config
	Client kubernetes.Interface
	// kubeconfig and wrap make the same connection for the helm SDK (see getter).
	kubeconfig string
	wrap       func(*rest.Config) *rest.Config
	// Embedded is the embedded local cluster; Nodes says how its images are loaded.
	Embedded bool
	Nodes    nodeimages.Target
	Context  string
}

// Connect reaches the cluster in kubeconfig or, when it is empty, the embedded cluster
// of the clone at repo (which must be up). From the host, connections to the embedded
// cluster's API server are made inside its network namespace (the host has no route to
// it); inside that namespace (`localcluster exec`) they are plain.
func Connect(kubeconfig, repo string) (*Cluster, error) {
	embedded := IsEmbedded(kubeconfig, repo)
	if kubeconfig == "" {
		kubeconfig = localcluster.DefaultKubeconfig(repo)
		if _, err := os.Stat(kubeconfig); err != nil {
			return nil, fmt.Errorf("KUBECONFIG is not set and the embedded cluster is not up (no %s): run `make cluster-up`, or set KUBECONFIG", kubeconfig)
		}
	}
	dialFromHost := embedded && os.Getenv("KOTAEMON_CLUSTER") != "embedded"
	c := &Cluster{Embedded: embedded, kubeconfig: kubeconfig, wrap: func(c *rest.Config) *rest.Config {
		c.Timeout = 30 * time.Second
		c.QPS, c.Burst = 20, 40
		if dialFromHost {
			c.Dial = localcluster.DialContext
		}
		return c
	}}
	cfg, err := c.getter("").ToRESTConfig()
	if err != nil {
		return nil, fmt.Errorf("kubeconfig %s: %w", kubeconfig, err)
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	if _, err := cs.Discovery().ServerVersion(); err != nil {
		return nil, fmt.Errorf("no cluster answers through %s: %w", kubeconfig, err)
	}
	raw, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(
		&clientcmd.ClientConfigLoadingRules{ExplicitPath: kubeconfig}, &clientcmd.ConfigOverrides{}).RawConfig()
	if err != nil {
		return nil, err
	}
	c.Config, c.Client, c.Context = cfg, cs, raw.CurrentContext
	c.Nodes.Embedded = embedded
	if kind, ok := strings.CutPrefix(raw.CurrentContext, "kind-"); ok && !embedded {
		c.Nodes.Kind = kind
	}
	return c, nil
}

// IsEmbedded reports whether kubeconfig means the embedded cluster of the clone at repo:
// none at all, or the embedded cluster's own file (cluster-up prints it).
func IsEmbedded(kubeconfig, repo string) bool {
	return kubeconfig == "" || os.Getenv("KOTAEMON_CLUSTER") == "embedded" || sameFile(kubeconfig, localcluster.DefaultKubeconfig(repo))
}

// getter is the connection for the helm SDK with namespace as the default of every
// object it creates (helm's storage namespace alone does not set it).
func (c *Cluster) getter(namespace string) genericclioptions.RESTClientGetter {
	f := genericclioptions.NewConfigFlags(false)
	f.KubeConfig = &c.kubeconfig
	f.WrapConfigFn = c.wrap
	if namespace != "" {
		f.Namespace = &namespace
	}
	return f
}

func sameFile(a, b string) bool {
	fa, errA := os.Stat(a)
	fb, errB := os.Stat(b)
	return errA == nil && errB == nil && os.SameFile(fa, fb)
}
