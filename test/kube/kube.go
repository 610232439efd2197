// Package kube is what every cluster suite shares: how to reach the cluster in
// KUBECONFIG (one rule for all suites), how to get this repository's images into it,
// and small builders and waits so that each test reads as its scenario.
package kube

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// Cluster is a connection to the cluster under test.
type Cluster struct {
	Client     kubernetes.Interface
	Config     *rest.Config
	Kubeconfig string
	// Context is the kubeconfig's current context (kind clusters are "kind-<name>").
	Context string
	// Embedded is true inside the embedded cluster's network namespace (localcluster exec).
	Embedded bool
}

// Connect returns the cluster in KUBECONFIG. The rule, the same for every suite:
//   - KUBECONFIG unset: skip with a one-line reason, so that a plain `go test ./...`
//     runs everything that needs no cluster; but in CI (CI=true) and under `make`
//     (KOTAEMON_REQUIRE_CLUSTER=1) it is a failure, never a skip reported as a pass;
//   - KUBECONFIG set but no cluster answers: a failure, unless SKIP_CLUSTER=1 outside CI.
//
// howToRun tells the reader how to run the suite against a cluster (e.g. "make test-deploy").
func Connect(t testing.TB, howToRun string) *Cluster {
	t.Helper()
	required := os.Getenv("CI") == "true" || os.Getenv("KOTAEMON_REQUIRE_CLUSTER") == "1"
	hint := " (run `" + howToRun + "`: it uses KUBECONFIG, or starts the embedded cluster and runs the suite inside its network namespace)"
	path := os.Getenv("KUBECONFIG")
	if path == "" {
		if required {
			t.Fatal("no cluster: KUBECONFIG is not set" + hint)
		}
		t.Skip("no cluster: KUBECONFIG is not set" + hint)
	}
	unreachable := func(format string, args ...any) {
		msg := fmt.Sprintf(format, args...) + hint
		if os.Getenv("SKIP_CLUSTER") == "1" && os.Getenv("CI") != "true" {
			t.Skip("SKIP_CLUSTER=1: " + msg)
		}
		t.Fatal(msg)
	}
	loading := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(
		&clientcmd.ClientConfigLoadingRules{ExplicitPath: path}, &clientcmd.ConfigOverrides{})
	raw, err := loading.RawConfig()
	if err != nil {
		unreachable("no cluster: reading %s: %v", path, err)
	}
	cfg, err := loading.ClientConfig()
	if err != nil {
		unreachable("no cluster: %v", err)
	}
	cfg.Timeout = 30 * time.Second
	// The suites watch and poll many objects at once; client-go's default of 5 QPS
	// would make their own waits the slowest part of a test.
	cfg.QPS, cfg.Burst = 50, 100
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatalf("client for %s: %v", path, err)
	}
	if _, err := cs.Discovery().ServerVersion(); err != nil {
		unreachable("no cluster reachable through %s: %v", path, err)
	}
	return &Cluster{
		Client: cs, Config: cfg, Kubeconfig: path, Context: raw.CurrentContext,
		Embedded: os.Getenv("KOTAEMON_CLUSTER") == "embedded",
	}
}

// KindName is the kind cluster's name when the current context is a kind one.
func (c *Cluster) KindName() (string, bool) {
	return strings.CutPrefix(c.Context, "kind-")
}
