// Package kube connects the cluster suites to the cluster in KUBECONFIG, with one rule
// for every suite: no reachable cluster is a failure, and a skip only when asked for
// (SKIP_CLUSTER=1) outside CI. A skipped suite is never reported as a pass in CI.
package kube

import (
	"fmt"
	"os"
	"testing"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

// Connect returns a client for the cluster in KUBECONFIG and that file's path. howToRun
// tells the reader how to run the suite against a cluster (e.g. "make test-deploy").
func Connect(t testing.TB, howToRun string) (*kubernetes.Clientset, string) {
	t.Helper()
	unreachable := func(format string, args ...any) {
		msg := fmt.Sprintf(format, args...) + " (run `" + howToRun + "`: it uses KUBECONFIG, or starts the embedded cluster and runs the suite inside its network namespace)"
		if os.Getenv("SKIP_CLUSTER") == "1" && os.Getenv("CI") != "true" {
			t.Skip("SKIP_CLUSTER=1: " + msg)
		}
		t.Fatal(msg)
	}
	path := os.Getenv("KUBECONFIG")
	if path == "" {
		unreachable("no cluster: KUBECONFIG is not set")
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", path)
	if err != nil {
		unreachable("no cluster: %v", err)
	}
	cfg.Timeout = 10 * time.Second
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatalf("client for %s: %v", path, err)
	}
	if _, err := cs.Discovery().ServerVersion(); err != nil {
		unreachable("no cluster reachable through %s: %v", path, err)
	}
	return cs, path
}
