package deploy

import (
	"context"
	"fmt"
	"time"

	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"kotaemon-k8s/standin/dependency"
	"kotaemon-k8s/test/kube"
)

// depStandin is a dependency stand-in running in the scenario's namespace behind the
// Service "deps": every check of a scenario points at it, and the test switches it up,
// down, flapping or hung through its control port.
type depStandin struct {
	url     string                   // http://deps.<ns>.svc.<domain>:8080
	address string                   // deps.<ns>.svc.<domain>:8080, for tcp checks
	control dependency.ControlClient // its control port, through the API server
}

const (
	depsName = "deps"
	depsPort = 8080
	// clusterDomain is the DNS domain Services live under (the chart's own checks name
	// services the same way).
	clusterDomain = "cluster.local"
)

// startDependency runs the dependency stand-in with models and waits until it answers.
func (r *release) startDependency(models ...string) *depStandin {
	r.t.Helper()
	pod, svc := dependency.Manifests(depsName, r.im.standin, depsPort, models...)
	ctx := context.Background()
	_, err := r.c.Client.CoreV1().Pods(r.ns).Create(ctx, pod, metav1.CreateOptions{})
	require.NoError(r.t, err)
	_, err = r.c.Client.CoreV1().Services(r.ns).Create(ctx, svc, metav1.CreateOptions{})
	require.NoError(r.t, err)
	kube.Await(r.t, "the dependency stand-in is Ready", podStart, func(ctx context.Context) (bool, string) {
		p, why := kube.GetPod(ctx, r.c.Client, r.ns, depsName)
		if p == nil {
			return false, why
		}
		return kube.PodReady(p), string(p.Status.Phase)
	})
	host := fmt.Sprintf("%s.%s.svc.%s:%d", depsName, r.ns, clusterDomain, depsPort)
	return &depStandin{url: "http://" + host, address: host, control: dependency.NewControlClient(r.podProxy(depsName, dependency.DefaultControlPort), r.proxyClient())}
}

// set switches the dependency's answers (period: the flap half-cycle) and marks it.
func (r *release) setDependency(d *depStandin, mode dependency.Mode, period time.Duration) {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, err := d.control.SetMode(ctx, mode, period)
	require.NoError(r.t, err, "dependency mode %s", mode)
	r.tl.Mark("dependency-"+string(mode), period.String())
}
