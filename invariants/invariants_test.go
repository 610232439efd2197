package invariants

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// The fixtures are the chart's prod values rendered in wrapper and sidecar mode: the
// render suite's golden files, so they follow the chart (make golden rewrites them).
func load(t *testing.T, name string) *Manifest {
	t.Helper()
	data, err := os.ReadFile("../test/render/testdata/golden/" + name)
	require.NoError(t, err)
	m, err := Decode(data)
	require.NoError(t, err)
	return m
}

// sidecarAgent is the agent's native sidecar (an init container named health-agent; the
// installer of the preStop's binary comes before it).
func sidecarAgent(m *Manifest) *corev1.Container {
	spec := &m.Deployments[0].Spec.Template.Spec
	for i := range spec.InitContainers {
		if spec.InitContainers[i].Name == "health-agent" {
			return &spec.InitContainers[i]
		}
	}
	return nil
}

func app(m *Manifest) *corev1.Container {
	spec := &m.Deployments[0].Spec.Template.Spec
	for i := range spec.Containers {
		if spec.Containers[i].Name == "kotaemon" {
			return &spec.Containers[i]
		}
	}
	return nil
}

func setAgentConfig(m *Manifest, edit func(string) string) {
	for i := range m.ConfigMaps {
		if strings.HasSuffix(m.ConfigMaps[i].Name, "-health") {
			m.ConfigMaps[i].Data["config.yaml"] = edit(m.ConfigMaps[i].Data["config.yaml"])
		}
	}
}

func TestTheFixturesPassEveryInvariant(t *testing.T) {
	t.Parallel()
	for _, f := range []string{"prod-wrapper.yaml", "prod-sidecar.yaml"} {
		assert.Empty(t, Check(load(t, f)), f)
	}
}

// Each rule catches its own violation: a sound manifest is broken in one place and the
// violation carries the rule's id.
func TestEachInvariantReportsItsOwnViolation(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		fixture string
		breakIt func(m *Manifest)
		want    string
	}{
		{"PI-01 no readiness probe", "prod-wrapper.yaml", func(m *Manifest) { app(m).ReadinessProbe = nil }, "PI-01"},
		{"PI-01 no liveness probe", "prod-wrapper.yaml", func(m *Manifest) { app(m).LivenessProbe = nil }, "PI-01"},
		{"PI-02 same path", "prod-wrapper.yaml", func(m *Manifest) { app(m).LivenessProbe.HTTPGet.Path = "/health/ready" }, "PI-02"},
		{"PI-03 startup on the ready path", "prod-wrapper.yaml", func(m *Manifest) { app(m).StartupProbe.HTTPGet.Path = "/health/ready" }, "PI-03"},
		{"PI-03 liveness on another agent path", "prod-wrapper.yaml", func(m *Manifest) { app(m).LivenessProbe.HTTPGet.Path = "/metrics" }, "PI-03"},
		{"PI-04 readiness off the ready endpoint", "prod-wrapper.yaml", func(m *Manifest) { app(m).ReadinessProbe.HTTPGet.Path = "/health/other" }, "PI-04"},
		{"PI-05 startup budget short", "prod-wrapper.yaml", func(m *Manifest) { app(m).StartupProbe.FailureThreshold = 2 }, "PI-05"},
		{"PI-05 no startup, liveness delay short", "prod-wrapper.yaml", func(m *Manifest) { app(m).StartupProbe = nil }, "PI-05"},
		{"PI-06 readiness timeout 2", "prod-wrapper.yaml", func(m *Manifest) { app(m).ReadinessProbe.TimeoutSeconds = 2 }, "PI-06"},
		{"PI-06 timeout left to the API default of 1", "prod-wrapper.yaml", func(m *Manifest) { app(m).LivenessProbe.TimeoutSeconds = 0 }, "PI-06"},
		{"PI-06 liveness successThreshold 2", "prod-wrapper.yaml", func(m *Manifest) { app(m).LivenessProbe.SuccessThreshold = 2 }, "PI-06"},
		{"PI-07 liveness faster than readiness", "prod-wrapper.yaml", func(m *Manifest) { app(m).LivenessProbe.PeriodSeconds = 5 }, "PI-07"},
		{"PI-08 probe port not declared", "prod-wrapper.yaml", func(m *Manifest) { app(m).LivenessProbe.HTTPGet.Port = intstr.FromString("nope") }, "PI-08"},
		{"PI-08 agent listens elsewhere", "prod-wrapper.yaml", func(m *Manifest) {
			setAgentConfig(m, func(s string) string { return strings.Replace(s, `listen: ":8000"`, `listen: ":8001"`, 1) })
		}, "PI-08"},
		{"PI-08 app port not declared", "prod-wrapper.yaml", func(m *Manifest) { app(m).Ports[0].ContainerPort = 7861 }, "PI-08"},
		{"PI-09 agent ready timeout too long", "prod-wrapper.yaml", func(m *Manifest) {
			setAgentConfig(m, func(s string) string {
				return strings.Replace(s, "timeout: 4500ms\n    shutdown", "timeout: 5s\n    shutdown", 1)
			})
			setAgentConfig(m, func(s string) string {
				return strings.Replace(s, "path: \"/app_id\"\n    timeout: 4500ms", "path: \"/app_id\"\n    timeout: 5s", 1)
			})
		}, "PI-09"},
		{"PI-10 health port on the app Service", "prod-wrapper.yaml", func(m *Manifest) {
			for i := range m.Services {
				if m.Services[i].Name == "kh-kotaemon" {
					m.Services[i].Spec.Ports = append(m.Services[i].Spec.Ports, corev1.ServicePort{Name: "h", Port: 8000, TargetPort: intstr.FromString("health")})
				}
			}
		}, "PI-10"},
		{"PI-10 ingress path on /metrics", "prod-wrapper.yaml", func(m *Manifest) {
			m.Ingresses[0].Spec.Rules[0].HTTP.Paths[0].Path = "/metrics"
		}, "PI-10"},
		{"PI-10 HTTPRoute path on /health", "prod-wrapper.yaml", func(m *Manifest) {
			m.HTTPRoutes = append(m.HTTPRoutes, httpRoute("/health/ready", m.Services[0].Name))
		}, "PI-10"},
		{"PI-10 HTTPRoute to the metrics Service", "prod-wrapper.yaml", func(m *Manifest) {
			metrics := ""
			for _, s := range m.Services {
				if s.Labels["app.kubernetes.io/component"] == "metrics" {
					metrics = s.Name
				}
			}
			m.HTTPRoutes = append(m.HTTPRoutes, httpRoute("/", metrics))
		}, "PI-10"},
		{"PI-11 probe sends credentials", "prod-wrapper.yaml", func(m *Manifest) {
			app(m).ReadinessProbe.HTTPGet.HTTPHeaders = []corev1.HTTPHeader{{Name: "Authorization", Value: "Bearer x"}}
		}, "PI-11"},
		{"PI-12 policy selects more than Kotaemon", "prod-wrapper.yaml", func(m *Manifest) {
			delete(m.NetworkPolicies[0].Spec.PodSelector.MatchLabels, "app.kubernetes.io/component")
		}, "PI-12"},
		{"PI-12 app port open to everyone", "prod-wrapper.yaml", func(m *Manifest) { m.NetworkPolicies[0].Spec.Ingress[0].From = nil }, "PI-12"},
		{"PI-12 app peers get the health port", "prod-wrapper.yaml", func(m *Manifest) {
			np := &m.NetworkPolicies[0]
			np.Spec.Ingress[1].From = append(np.Spec.Ingress[1].From, np.Spec.Ingress[0].From[0])
		}, "PI-12"},
		{"PI-12 egress without DNS", "prod-wrapper.yaml", func(m *Manifest) { m.NetworkPolicies[0].Spec.Egress = m.NetworkPolicies[0].Spec.Egress[1:] }, "PI-12"},
		{"PI-12 egress without a check's port", "prod-wrapper.yaml", func(m *Manifest) {
			np := &m.NetworkPolicies[0]
			np.Spec.Egress[1].Ports = []networkingv1.NetworkPolicyPort{{Port: ptr.To(intstr.FromInt32(8080)), Protocol: ptr.To(corev1.ProtocolTCP)}}
		}, "PI-12"},
		{"PI-13 rolling update on ReadWriteOnce", "prod-wrapper.yaml", func(m *Manifest) { m.Deployments[0].Spec.Strategy.Type = "RollingUpdate" }, "PI-13"},
		{"PI-13 one replica surging beside itself on a shared volume", "prod-wrapper.yaml", func(m *Manifest) {
			m.Claims[0].Spec.AccessModes = []corev1.PersistentVolumeAccessMode{corev1.ReadWriteMany}
			m.Deployments[0].Spec.Strategy.Type = "RollingUpdate"
		}, "PI-13"},
		{"PI-13 two replicas without opt-in", "prod-wrapper.yaml", func(m *Manifest) { m.Deployments[0].Spec.Replicas = ptr.To(int32(2)) }, "PI-13"},
		{"PI-14 grace within drain", "prod-wrapper.yaml", func(m *Manifest) {
			m.Deployments[0].Spec.Template.Spec.TerminationGracePeriodSeconds = ptr.To(int64(35))
		}, "PI-14"},
		{"PI-14 grace on readiness", "prod-wrapper.yaml", func(m *Manifest) { app(m).ReadinessProbe.TerminationGracePeriodSeconds = ptr.To(int64(5)) }, "PI-14"},
		{"PI-14 a preStop sleep eats the drain's margin", "prod-wrapper.yaml", func(m *Manifest) {
			app(m).Lifecycle = &corev1.Lifecycle{PreStop: &corev1.LifecycleHandler{Exec: &corev1.ExecAction{Command: []string{"sh", "-c", "sleep 60"}}}}
		}, "PI-14"},
		{"PI-14 a sleep action longer than the grace period", "prod-wrapper.yaml", func(m *Manifest) {
			app(m).Lifecycle = &corev1.Lifecycle{PreStop: &corev1.LifecycleHandler{Sleep: &corev1.SleepAction{Seconds: 60}}}
		}, "PI-14"},
		{"PI-14 sidecar preStop replaced by the user's", "prod-sidecar.yaml", func(m *Manifest) {
			app(m).Lifecycle.PreStop = &corev1.LifecycleHandler{Exec: &corev1.ExecAction{Command: []string{"/bin/sleep", "3"}}}
		}, "PI-14"},
		{"PI-16 a start past the progress deadline", "prod-wrapper.yaml", func(m *Manifest) {
			m.Deployments[0].Spec.ProgressDeadlineSeconds = ptr.To(int32(60))
		}, "PI-16"},
		{"PI-16 a check whose first pass outlasts the deadline", "prod-wrapper.yaml", func(m *Manifest) {
			setAgentConfig(m, func(s string) string {
				return strings.Replace(s, "checks:\n", "checks:\n  - name: slow\n    type: tcp\n    address: db:5432\n    interval: 24h\n    timeout: 5s\n    successThreshold: 2\n", 1)
			})
		}, "PI-16"},
		{"PI-17 runAsNonRoot on the root image", "prod-wrapper.yaml", func(m *Manifest) {
			app(m).SecurityContext.RunAsNonRoot = ptr.To(true)
		}, "PI-17"},
		{"PI-18 sidecar agent without fsGroup", "prod-sidecar.yaml", func(m *Manifest) {
			m.Deployments[0].Spec.Template.Spec.SecurityContext.FSGroup = nil
		}, "PI-18"},
		{"PI-18 wrapper agent in a non-root group without fsGroup", "prod-wrapper.yaml", func(m *Manifest) {
			m.Deployments[0].Spec.Template.Spec.SecurityContext.FSGroup = nil
			app(m).SecurityContext.RunAsUser, app(m).SecurityContext.RunAsGroup = ptr.To(int64(1000)), ptr.To(int64(1000))
		}, "PI-18"},
		{"PI-19 a disk check on no volume (wrapper)", "prod-wrapper.yaml", func(m *Manifest) {
			setAgentConfig(m, func(s string) string {
				return strings.Replace(s, "checks:\n", "checks:\n  - name: disk\n    type: disk\n    path: /srv\n    minFreeBytes: 1\n    critical: false\n    interval: 30s\n    timeout: 5s\n", 1)
			})
		}, "PI-19"},
		{"PI-19 a disk check on no volume (sidecar)", "prod-sidecar.yaml", func(m *Manifest) {
			setAgentConfig(m, func(s string) string {
				return strings.Replace(s, "checks:\n", "checks:\n  - name: disk\n    type: disk\n    path: /tmp\n    minFreeBytes: 1\n    critical: false\n    interval: 30s\n    timeout: 5s\n", 1)
			})
		}, "PI-19"},
		{"PI-08 sidecar readiness on a container without the agent", "prod-sidecar.yaml", func(m *Manifest) {
			sidecarAgent(m).Command = []string{"/bin/true"}
		}, "PI-08"},
		{"PI-04 sidecar readiness moved to the app", "prod-sidecar.yaml", func(m *Manifest) {
			app(m).ReadinessProbe = sidecarAgent(m).ReadinessProbe
			app(m).ReadinessProbe.HTTPGet.Port = intstr.FromString("http")
			sidecarAgent(m).ReadinessProbe = nil
		}, "PI-04"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			m := load(t, c.fixture)
			c.breakIt(m)
			got := Check(m)
			var found bool
			for _, v := range got {
				found = found || v.ID == c.want
			}
			assert.True(t, found, "want %s, got %v", c.want, got)
		})
	}
}

// Strict decoding (PI-15): an unknown field, an unknown kind or a nameless object is an error.
func TestDecodeIsStrict(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		"unknown field": "apiVersion: v1\nkind: Service\nmetadata:\n  name: s\nspec:\n  portz: []\n",
		"unknown kind":  "apiVersion: v1\nkind: Potato\nmetadata:\n  name: p\n",
		"no name":       "apiVersion: v1\nkind: ConfigMap\nmetadata: {}\n",
		"duplicate key": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  a: x\n  a: y\n",
		"wrong type":    "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\nspec:\n  replicas: many\n",
		"probe typo":    "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: c\n    livenessProbe:\n      periodSecond: 3\n",
	}
	for name, doc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := Decode([]byte(doc))
			require.Error(t, err)
			assert.Contains(t, err.Error(), "PI-15")
			vs := CheckYAML([]byte(doc))
			require.Len(t, vs, 1)
			assert.Equal(t, "PI-15", vs[0].ID)
		})
	}
}

// httpRoute is a route of one path prefix to one Service.
func httpRoute(path, service string) gatewayv1.HTTPRoute {
	r := gatewayv1.HTTPRoute{}
	r.Name = "route"
	r.Spec.Rules = []gatewayv1.HTTPRouteRule{{
		Matches:     []gatewayv1.HTTPRouteMatch{{Path: &gatewayv1.HTTPPathMatch{Value: &path}}},
		BackendRefs: []gatewayv1.HTTPBackendRef{{BackendRef: gatewayv1.BackendRef{BackendObjectReference: gatewayv1.BackendObjectReference{Name: gatewayv1.ObjectName(service)}}}},
	}}
	return r
}
