// Package deploy is the deploy suite: it installs the chart with helm (through
// terratest) into the cluster in KUBECONFIG (the embedded cluster under `make
// test-deploy`), with the real health agent and a Kotaemon stand-in, and watches the
// kubelet act on the chart's probes: the behaviour rows PB-01..PB-10 of
// docs/invariants.md, and every values file in every health mode installed for real.
//
// Every bound is computed from the probe settings read back from the Deployment the API
// server stored (defaults applied), never from constants; where slack is added it is
// named and explained in bounds_test.go. Each scenario writes a timeline (JSON) to the
// artifacts directory. Independent scenarios run in parallel (make passes -test.parallel).
package deploy

import (
	"fmt"
	"os"
	"testing"

	"kotaemon-k8s/test/chart"
	"kotaemon-k8s/test/kube"
)

func TestMain(m *testing.M) {
	if _, err := chart.UseHelm(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	kube.RemoveTemp()
	os.Exit(code)
}
