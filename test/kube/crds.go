package kube

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"sigs.k8s.io/yaml"

	"kotaemon-k8s/test/chart"
	"kotaemon-k8s/versions"
)

// The CRDs the chart's optional objects need, each the real one (with its validation)
// from the Go module that publishes it, at a pinned version:
//   - the Gateway API's HTTPRoute, from the module whose types the invariants package
//     decodes routes with (its version is go.mod's);
//   - prometheus-operator's ServiceMonitor and PrometheusRule, at make/versions.mk's
//     PROMETHEUS_OPERATOR_VERSION.
const (
	GatewayAPIModule         = "sigs.k8s.io/gateway-api"
	PrometheusOperatorModule = "github.com/prometheus-operator/prometheus-operator"
)

var crdGVR = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}

// crdSet is one group of CRDs, installed once per test run; every caller sees the one
// attempt's result.
type crdSet struct {
	once sync.Once
	err  error
}

var httpRouteCRD, monitoringCRDs crdSet

// EnsureHTTPRouteCRD installs the HTTPRoute CRD (server-side apply: idempotent) and
// waits until it is served.
func (c *Cluster) EnsureHTTPRouteCRD(t testing.TB) {
	t.Helper()
	dir := moduleDir(t, GatewayAPIModule)
	c.ensure(t, &httpRouteCRD, filepath.Join(dir, "config/crd/standard/gateway.networking.k8s.io_httproutes.yaml"))
}

// EnsureMonitoringCRDs installs prometheus-operator's ServiceMonitor and PrometheusRule
// CRDs and waits until they are served.
func (c *Cluster) EnsureMonitoringCRDs(t testing.TB) {
	t.Helper()
	dir := moduleDir(t, PrometheusOperatorModule+"@"+versions.PrometheusOperator)
	c.ensure(t, &monitoringCRDs,
		filepath.Join(dir, "example/prometheus-operator-crd/monitoring.coreos.com_servicemonitors.yaml"),
		filepath.Join(dir, "example/prometheus-operator-crd/monitoring.coreos.com_prometheusrules.yaml"))
}

func (c *Cluster) ensure(t testing.TB, set *crdSet, files ...string) {
	t.Helper()
	set.once.Do(func() {
		for _, f := range files {
			if set.err = c.applyCRD(f); set.err != nil {
				return
			}
		}
	})
	require.NoError(t, set.err, "installing CRDs %v", files)
}

// moduleDir is where a module's files are in the module cache: `module` at go.mod's
// version, or `module@version` for one this repository does not require (downloaded
// from the Go module proxy the first time; make test-deploy does that on the host, since
// the suite itself runs where there is no network). go.mod and go.sum are not changed.
func moduleDir(t testing.TB, query string) string {
	t.Helper()
	cmd := exec.Command("go", "mod", "download", "-json", query)
	cmd.Dir = chart.Root()
	out, err := cmd.Output()
	var info struct{ Dir, Error string }
	require.NoError(t, json.Unmarshal(out, &info), "go mod download %s: %v %s", query, err, out)
	require.Empty(t, info.Error, "go mod download %s", query)
	require.NotEmpty(t, info.Dir, "go mod download %s", query)
	return info.Dir
}

func (c *Cluster) applyCRD(file string) error {
	data, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	obj := &unstructured.Unstructured{}
	if err := yaml.Unmarshal(data, &obj.Object); err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	dyn, err := dynamic.NewForConfig(c.Config)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	crds := dyn.Resource(crdGVR)
	if _, err := crds.Apply(ctx, obj.GetName(), obj, metav1.ApplyOptions{FieldManager: "kotaemon-k8s-tests", Force: true}); err != nil {
		return fmt.Errorf("applying %s: %w", obj.GetName(), err)
	}
	return AwaitE("CRD "+obj.GetName()+" is established", time.Minute, func(ctx context.Context) (bool, string) {
		got, err := crds.Get(ctx, obj.GetName(), metav1.GetOptions{})
		if err != nil {
			return false, err.Error()
		}
		conditions, _, _ := unstructured.NestedSlice(got.Object, "status", "conditions")
		for _, cond := range conditions {
			m, _ := cond.(map[string]any)
			if m["type"] == "Established" && m["status"] == "True" {
				return true, ""
			}
		}
		return false, fmt.Sprintf("conditions %v", conditions)
	})
}
