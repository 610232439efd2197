// Package deploy is the deploy suite: it runs the chart against the real API server of
// the cluster in KUBECONFIG (the embedded cluster under `make test-deploy`).
package deploy

import (
	"fmt"
	"os"
	"testing"

	"kotaemon-k8s/test/chart"
)

func TestMain(m *testing.M) {
	if _, err := chart.UseHelm(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(m.Run())
}
