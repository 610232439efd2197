package kube

import (
	"context"
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
)

// GatewayAPIModule is the Go module whose standard-channel CRDs the chart's HTTPRoute is
// checked against: the same module (and version, from go.mod) whose types the invariants
// package decodes it with.
const GatewayAPIModule = "sigs.k8s.io/gateway-api"

var crdGVR = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}

var (
	gatewayOnce sync.Once
	gatewayErr  error // every caller of the run sees the one attempt's result
)

// EnsureHTTPRouteCRD installs the Gateway API's HTTPRoute CRD (server-side apply, so
// it is idempotent and shared by every test of the run) and waits until it is served.
// It is the real CRD, with its validation, read from the module cache.
func (c *Cluster) EnsureHTTPRouteCRD(t testing.TB) {
	t.Helper()
	file := moduleFile(t, GatewayAPIModule, "config/crd/standard/gateway.networking.k8s.io_httproutes.yaml")
	gatewayOnce.Do(func() { gatewayErr = c.applyCRD(file) })
	require.NoError(t, gatewayErr, "installing the HTTPRoute CRD")
}

// moduleFile is a file of a module this repository requires, in the module cache.
func moduleFile(t testing.TB, module, path string) string {
	t.Helper()
	cmd := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", module)
	cmd.Dir = chart.Root()
	out, err := cmd.Output()
	require.NoError(t, err, "go list -m %s", module)
	dir := strings.TrimSpace(string(out))
	require.NotEmpty(t, dir, "%s is not in the module cache (go mod download %s)", module, module)
	return filepath.Join(dir, path)
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
