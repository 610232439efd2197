package deploy

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
	"sigs.k8s.io/yaml"

	"kotaemon-k8s/cluster/localcluster"
	"kotaemon-k8s/invariants"
	"kotaemon-k8s/test/chart"
)

// Every values file of values/ in every health mode is installed for real and must
// reach Ready, hold every invariant as the API server stored its objects, and pass
// `helm test` (PB-10). Only what a test cluster cannot provide is changed: the images
// (the stand-in and the agent built here), the stand-in's small resource requests, each
// dependency check pointed at the dependency stand-in (same path), the Secrets the file
// names created with test values, and on the embedded cluster, whose DNS server is a
// host process and not a pod, its address added to the NetworkPolicy's DNS peers.
func TestEveryValuesFileInEveryModeIsInstalledAndBecomesReady(t *testing.T) {
	t.Parallel()
	files, err := chart.ValuesFiles(chart.ValuesDir())
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, file := range files {
		for _, mode := range chart.Modes {
			name := strings.TrimSuffix(filepath.Base(file), filepath.Ext(file))
			t.Run(name+" in "+mode+" mode", func(t *testing.T) {
				t.Parallel()
				r := newRelease(t, "vf-"+name+"-"+mode)
				values := readValues(t, file)
				r.createNamedSecrets(values)
				r.createNamedConfigMaps(values)
				if dig(values, "httpRoute", "enabled") == true {
					r.c.EnsureHTTPRouteCRD(t)
				}
				monitoring := dig(values, "metrics", "serviceMonitor", "enabled") == true || dig(values, "metrics", "prometheusRule", "enabled") == true
				if monitoring {
					r.c.EnsureMonitoringCRDs(t)
				}
				healthPort := 8000
				if n, ok := dig(values, "health", "port").(float64); ok {
					healthPort = int(n)
				}
				layers := []layer{values, imagesLayer(r.im), standinLayer(mode, healthPort), modeLayer(mode)}
				if checks, _ := dig(values, "health", "checks").([]any); len(checks) > 0 {
					deps := r.startDependency(checkModels(checks)...)
					layers = append(layers, layer{"health": map[string]any{"checks": pointChecksAt(checks, deps)}})
				}
				if r.c.Embedded && dig(values, "networkPolicy", "egress", "enabled") == true {
					layers = append(layers, embeddedDNSPeer(t, values))
				}
				r.install(nil, layers...)

				d := r.deployment()
				p := probesOf(d)
				recordWindows(r.tl, p)
				bound := podStart + seconds(p.readiness.InitialDelaySeconds) + p.readiness.ToPass() + maxCheckLag(values) + statusSlack
				if p.startup != nil {
					bound += p.startup.Window()
				}
				if replicas := *d.Spec.Replicas; replicas > 1 {
					// Pods start one after another on a busy node: a bound for each.
					r.awaitRollout(replicas, time.Duration(replicas)*bound)
				} else {
					r.awaitReady(r.onePod(), "with the file's own probe settings", bound)
				}

				live := r.liveManifest()
				violations := invariants.Check(live)
				assert.Empty(t, violations, "invariants of the objects the API server stored")
				if monitoring {
					var kinds []string
					for _, u := range live.Custom {
						kinds = append(kinds, u.GetKind())
					}
					assert.ElementsMatch(t, []string{"ServiceMonitor", "PrometheusRule"}, kinds, "the API server stored the monitoring objects")
				}

				out, err := r.helmTest()
				require.NoError(t, err, "helm test (PB-10):\n%s", out)
				assert.Contains(t, out, "Phase:          Succeeded")
			})
		}
	}
}

// readValues reads a values file as a layer.
func readValues(t testing.TB, file string) layer {
	t.Helper()
	b, err := os.ReadFile(file)
	require.NoError(t, err)
	var l layer
	require.NoError(t, yaml.Unmarshal(b, &l))
	if l == nil {
		l = layer{}
	}
	return l
}

// dig follows keys through nested maps; nil when a key is missing.
func dig(m map[string]any, keys ...string) any {
	var cur any = m
	for _, k := range keys {
		mm, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = mm[k]
	}
	return cur
}

// pointChecksAt rewrites every check's url (keeping its path) or address to the
// dependency stand-in, which answers every type's route.
func pointChecksAt(checks []any, d *depStandin) []any {
	out := make([]any, 0, len(checks))
	for _, c := range checks {
		check := map[string]any{}
		for k, v := range c.(map[string]any) {
			check[k] = v
		}
		if raw, ok := check["url"].(string); ok {
			if u, err := url.Parse(raw); err == nil {
				check["url"] = d.url + u.Path
			}
		}
		if _, ok := check["address"]; ok {
			check["address"] = d.address
		}
		out = append(out, check)
	}
	return out
}

// checkModels are the models the checks expect, so the dependency stand-in lists them.
func checkModels(checks []any) []string {
	var models []string
	for _, c := range checks {
		if m, ok := c.(map[string]any)["model"].(string); ok && m != "" {
			models = append(models, m)
		}
	}
	return models
}

// maxCheckLag is the longest interval plus timeout among the file's checks.
func maxCheckLag(values layer) time.Duration {
	var lag time.Duration
	checks, _ := dig(values, "health", "checks").([]any)
	for _, c := range checks {
		m := c.(map[string]any)
		interval, _ := m["intervalSeconds"].(float64)
		timeout, _ := m["timeoutSeconds"].(float64)
		lag = max(lag, time.Duration(interval+timeout)*time.Second)
	}
	return lag
}

// createNamedSecrets creates, with test values, every Secret the values file refers to:
// the app's environment, the checks' keys and headers, and the agent's auth Secret.
func (r *release) createNamedSecrets(values layer) {
	r.t.Helper()
	secrets := map[string]map[string]string{}
	add := func(name, key string) {
		if name == "" {
			return
		}
		if secrets[name] == nil {
			secrets[name] = map[string]string{}
		}
		if key != "" {
			secrets[name][key] = "test-only-" + key + "-0123456789abcdefghijklmnopqrstuvwxyz"
		}
	}
	if name, _ := dig(values, "kotaemon", "existingSecret").(string); name != "" {
		add(name, "OPENAI_API_KEY")
	}
	checks, _ := dig(values, "health", "checks").([]any)
	for _, c := range checks {
		m := c.(map[string]any)
		if ref, ok := dig(m, "apiKey", "secretKeyRef").(map[string]any); ok {
			add(fmt.Sprint(ref["name"]), fmt.Sprint(ref["key"]))
		}
		headers, _ := m["headers"].([]any)
		for _, h := range headers {
			if ref, ok := dig(h.(map[string]any), "secretKeyRef").(map[string]any); ok {
				add(fmt.Sprint(ref["name"]), fmt.Sprint(ref["key"]))
			}
		}
	}
	if name, _ := dig(values, "health", "auth", "existingSecret").(string); name != "" {
		for _, k := range []string{"tokenKey"} {
			key, _ := dig(values, "health", "auth", k).(string)
			add(name, map[bool]string{true: key, false: "token"}[key != ""])
		}
		for _, k := range []string{"secretKey", "publicKeyKey", "jwksKey"} {
			key, _ := dig(values, "health", "auth", "jwt", k).(string)
			add(name, key)
		}
	}
	for name, data := range secrets {
		r.createSecret(name, data)
	}
}

// createNamedConfigMaps creates the ConfigMaps the values file names: a flowsettings.py
// (the stand-in never reads it; Kotaemon would).
func (r *release) createNamedConfigMaps(values layer) {
	r.t.Helper()
	name, _ := dig(values, "kotaemon", "flowsettingsConfigMap").(string)
	if name == "" {
		return
	}
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name}, Data: map[string]string{"flowsettings.py": "# test-only flowsettings\n"}}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := r.c.Client.CoreV1().ConfigMaps(r.ns).Create(ctx, cm, metav1.CreateOptions{})
	require.NoError(r.t, err)
}

// embeddedDNSPeer adds the embedded cluster's DNS server (a host process at the node's
// address) to the file's DNS egress peers, or to the chart's default ones.
func embeddedDNSPeer(t testing.TB, values layer) layer {
	t.Helper()
	peers, _ := dig(values, "networkPolicy", "egress", "dnsPeers").([]any)
	if peers == nil {
		defaults := readValues(t, filepath.Join(chart.Dir(), "values.yaml"))
		peers, _ = dig(defaults, "networkPolicy", "egress", "dnsPeers").([]any)
	}
	peers = append(append([]any{}, peers...), map[string]any{"ipBlock": map[string]any{"cidr": localcluster.NodeIP + "/32"}})
	return layer{"networkPolicy": map[string]any{"egress": map[string]any{"dnsPeers": peers}}}
}

// liveManifest gathers the release's objects as the API server stored them, for the
// invariants package.
func (r *release) liveManifest() *invariants.Manifest {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sel := metav1.ListOptions{LabelSelector: "app.kubernetes.io/instance=" + releaseName}
	cs := r.c.Client
	m := &invariants.Manifest{}
	deps, err := cs.AppsV1().Deployments(r.ns).List(ctx, sel)
	require.NoError(r.t, err)
	m.Deployments = deps.Items
	svcs, err := cs.CoreV1().Services(r.ns).List(ctx, sel)
	require.NoError(r.t, err)
	m.Services = svcs.Items
	cms, err := cs.CoreV1().ConfigMaps(r.ns).List(ctx, sel)
	require.NoError(r.t, err)
	m.ConfigMaps = cms.Items
	secrets, err := cs.CoreV1().Secrets(r.ns).List(ctx, sel)
	require.NoError(r.t, err)
	m.Secrets = secrets.Items
	sas, err := cs.CoreV1().ServiceAccounts(r.ns).List(ctx, sel)
	require.NoError(r.t, err)
	m.ServiceAccounts = sas.Items
	claims, err := cs.CoreV1().PersistentVolumeClaims(r.ns).List(ctx, sel)
	require.NoError(r.t, err)
	m.Claims = claims.Items
	ings, err := cs.NetworkingV1().Ingresses(r.ns).List(ctx, sel)
	require.NoError(r.t, err)
	m.Ingresses = ings.Items
	nps, err := cs.NetworkingV1().NetworkPolicies(r.ns).List(ctx, sel)
	require.NoError(r.t, err)
	m.NetworkPolicies = nps.Items
	pdbs, err := cs.PolicyV1().PodDisruptionBudgets(r.ns).List(ctx, sel)
	require.NoError(r.t, err)
	m.Budgets = pdbs.Items
	m.HTTPRoutes = r.httpRoutes(ctx, sel)
	m.Custom = r.customObjects(ctx, sel, monitoringGVRs...)
	require.Len(r.t, m.Deployments, 1, "the release's Deployment")
	return m
}

var httpRouteGVR = schema.GroupVersionResource{Group: "gateway.networking.k8s.io", Version: "v1", Resource: "httproutes"}

// monitoringGVRs are prometheus-operator's kinds the chart renders.
var monitoringGVRs = []schema.GroupVersionResource{
	{Group: "monitoring.coreos.com", Version: "v1", Resource: "servicemonitors"},
	{Group: "monitoring.coreos.com", Version: "v1", Resource: "prometheusrules"},
}

// customObjects lists the release's objects of custom kinds, none of a kind the cluster
// does not serve (its CRD is not installed).
func (r *release) customObjects(ctx context.Context, sel metav1.ListOptions, gvrs ...schema.GroupVersionResource) []unstructured.Unstructured {
	r.t.Helper()
	dyn, err := dynamic.NewForConfig(r.c.Config)
	require.NoError(r.t, err)
	var out []unstructured.Unstructured
	for _, gvr := range gvrs {
		list, err := dyn.Resource(gvr).Namespace(r.ns).List(ctx, sel)
		if apierrors.IsNotFound(err) {
			continue
		}
		require.NoError(r.t, err)
		out = append(out, list.Items...)
	}
	return out
}

// httpRoutes lists the release's HTTPRoutes as the Gateway API's types.
func (r *release) httpRoutes(ctx context.Context, sel metav1.ListOptions) []gatewayv1.HTTPRoute {
	r.t.Helper()
	var out []gatewayv1.HTTPRoute
	for _, item := range r.customObjects(ctx, sel, httpRouteGVR) {
		var route gatewayv1.HTTPRoute
		require.NoError(r.t, runtime.DefaultUnstructuredConverter.FromUnstructured(item.Object, &route))
		out = append(out, route)
	}
	return out
}
