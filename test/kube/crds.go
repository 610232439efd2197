package kube

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
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
	dir := goListModuleDir(t, GatewayAPIModule)
	c.ensure(t, &httpRouteCRD, filepath.Join(dir, "config/crd/standard/gateway.networking.k8s.io_httproutes.yaml"))
}

// EnsureMonitoringCRDs installs prometheus-operator's ServiceMonitor and PrometheusRule
// CRDs and waits until they are served.
func (c *Cluster) EnsureMonitoringCRDs(t testing.TB) {
	t.Helper()
	dir := downloadModule(t, PrometheusOperatorModule, versions.PrometheusOperator)
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

// goListModuleDir is the directory of a module this repository requires (go.mod).
func goListModuleDir(t testing.TB, module string) string {
	t.Helper()
	cmd := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", module)
	cmd.Dir = chart.Root()
	out, err := cmd.Output()
	require.NoError(t, err, "go list -m %s", module)
	dir := strings.TrimSpace(string(out))
	require.NotEmpty(t, dir, "%s is not in the module cache (go mod download %s)", module, module)
	return dir
}

// downloadModule puts module@version into the module cache (the Go module proxy, once)
// and returns its directory; the module need not be a dependency.
func downloadModule(t testing.TB, module, version string) string {
	t.Helper()
	cmd := exec.Command("go", "mod", "download", "-json", module+"@"+version)
	cmd.Dir = t.TempDir() // outside this module: no go.mod to consult or change
	out, err := cmd.Output()
	var info struct{ Dir, Error string }
	require.NoError(t, json.Unmarshal(out, &info), "go mod download %s@%s: %v %s", module, version, err, out)
	require.Empty(t, info.Error, "go mod download %s@%s", module, version)
	require.NotEmpty(t, info.Dir)
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
