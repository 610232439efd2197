package render

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"kotaemon-k8s/internal/config"
	"kotaemon-k8s/invariants"
	"kotaemon-k8s/test/chart"
)

// What users of comparable charts expect: every extension point lands where it belongs,
// in every health mode, and the release still holds every invariant.

// renderBody renders a values document in process (the same path as `helm template`) in
// the given health mode and decodes it strictly.
func renderBody(t *testing.T, body, mode string) *invariants.Manifest {
	t.Helper()
	out, err := renderInProcess(t, []string{writeValues(t, "values.yaml", body)}, map[string]string{"health.mode": mode})
	require.NoError(t, err)
	m, err := invariants.Decode([]byte(out))
	require.NoError(t, err)
	return m
}

func podSpec(t *testing.T, m *invariants.Manifest) *corev1.PodSpec {
	return &deployment(t, m).Spec.Template.Spec
}

func names[T any](items []T, name func(T) string) []string {
	var out []string
	for _, i := range items {
		out = append(out, name(i))
	}
	return out
}

func containerNames(cs []corev1.Container) []string {
	return names(cs, func(c corev1.Container) string { return c.Name })
}

func indexOf(items []string, want string) int {
	for i, s := range items {
		if s == want {
			return i
		}
	}
	return -1
}

func appService(t *testing.T, m *invariants.Manifest) *corev1.Service {
	t.Helper()
	for i := range m.Services {
		if m.Services[i].Labels["app.kubernetes.io/component"] == "app" {
			return &m.Services[i]
		}
	}
	require.FailNow(t, "no app Service")
	return nil
}

const extensions = `
kotaemon:
  flowsettingsConfigMap: my-flowsettings
  extraEnvFrom:
    - configMapRef: {name: app-settings}
    - secretRef: {name: more-keys}
      prefix: EXTRA_
  extraVolumeMounts:
    - {name: models, mountPath: /models, readOnly: true}
  lifecycle:
    postStart:
      exec: {command: ["/bin/true"]}
extraVolumes:
  - name: models
    persistentVolumeClaim: {claimName: models}
extraInitContainers:
  - {name: fetch-models, image: busybox:1.36, command: ["true"]}
extraContainers:
  - {name: log-shipper, image: busybox:1.36, command: ["sleep", "infinity"]}
`

func TestExtensionPointsLandWhereTheyBelongInEveryMode(t *testing.T) {
	t.Parallel()
	for _, mode := range chart.Modes {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			m := renderBody(t, extensions, mode)
			spec := podSpec(t, m)
			app := container(t, m, "kotaemon")

			assert.Equal(t, "fetch-models", spec.InitContainers[len(spec.InitContainers)-1].Name, "after the chart's own init containers")
			assert.Contains(t, containerNames(spec.Containers), "log-shipper")
			assert.Equal(t, "kotaemon", spec.Containers[0].Name, "Kotaemon stays the first container")

			require.Len(t, app.EnvFrom, 2, "no chart Secret here, so only the extra sources")
			assert.Equal(t, "app-settings", app.EnvFrom[0].ConfigMapRef.Name)
			assert.Equal(t, "more-keys", app.EnvFrom[1].SecretRef.Name)
			assert.Equal(t, "EXTRA_", app.EnvFrom[1].Prefix)
			require.NotNil(t, app.Lifecycle)
			assert.Equal(t, []string{"/bin/true"}, app.Lifecycle.PostStart.Exec.Command)

			mounts := map[string]corev1.VolumeMount{}
			for _, vm := range app.VolumeMounts {
				mounts[vm.Name] = vm
			}
			assert.Equal(t, "/models", mounts["models"].MountPath)
			assert.Equal(t, "/app/flowsettings.py", mounts["flowsettings"].MountPath)
			assert.Equal(t, "flowsettings.py", mounts["flowsettings"].SubPath)
			volumes := map[string]corev1.Volume{}
			for _, v := range spec.Volumes {
				volumes[v.Name] = v
			}
			assert.Equal(t, "models", volumes["models"].PersistentVolumeClaim.ClaimName)
			assert.Equal(t, "my-flowsettings", volumes["flowsettings"].ConfigMap.Name, "the user's ConfigMap")
			for _, cm := range m.ConfigMaps {
				assert.False(t, strings.HasSuffix(cm.Name, "-flowsettings"), "no chart ConfigMap when an existing one is named")
			}
			assert.Empty(t, invariants.Check(m))
		})
	}
}

// existingSecret comes first and the extra sources follow it, so an extra source wins
// for a variable both define (Kubernetes: the last source wins).
func TestExtraEnvFromFollowsTheChartsSecret(t *testing.T) {
	t.Parallel()
	m := renderBody(t, "kotaemon:\n  existingSecret: api-keys\n  extraEnvFrom:\n    - configMapRef: {name: app-settings}\n", "wrapper")
	app := container(t, m, "kotaemon")
	require.Len(t, app.EnvFrom, 2)
	assert.Equal(t, "api-keys", app.EnvFrom[0].SecretRef.Name)
	assert.Equal(t, "app-settings", app.EnvFrom[1].ConfigMapRef.Name)
}

func TestExtraObjectsAreRenderedThroughTpl(t *testing.T) {
	t.Parallel()
	body := `
extraObjects:
  - apiVersion: v1
    kind: ConfigMap
    metadata:
      name: '{{ include "kotaemon.fullname" . }}-extra'
    data: {release: '{{ .Release.Name }}'}
  - |
    apiVersion: v1
    kind: ConfigMap
    metadata:
      name: {{ .Release.Name }}-as-text
`
	m := renderBody(t, body, "wrapper")
	got := map[string]corev1.ConfigMap{}
	for _, cm := range m.ConfigMaps {
		got[cm.Name] = cm
	}
	release := strings.TrimSuffix(deployment(t, m).Name, "-kotaemon")
	require.Contains(t, got, release+"-kotaemon-extra", "names: %v", names(m.ConfigMaps, func(c corev1.ConfigMap) string { return c.Name }))
	assert.Equal(t, release, got[release+"-kotaemon-extra"].Data["release"])
	assert.Contains(t, got, release+"-as-text")
}

func TestSchedulingOptions(t *testing.T) {
	t.Parallel()
	d := deployment(t, renderBody(t, "", "wrapper"))
	require.NotNil(t, d.Spec.RevisionHistoryLimit)
	assert.Equal(t, int32(10), *d.Spec.RevisionHistoryLimit)
	assert.Empty(t, d.Spec.Template.Spec.TopologySpreadConstraints)
	assert.Nil(t, d.Spec.Template.Spec.RuntimeClassName)

	body := `
revisionHistoryLimit: 0
runtimeClassName: nvidia
hostAliases:
  - {ip: 10.0.0.9, hostnames: [llm.internal]}
dnsConfig:
  options: [{name: ndots, value: "2"}]
topologySpreadConstraints:
  - {maxSkew: 1, topologyKey: topology.kubernetes.io/zone, whenUnsatisfiable: ScheduleAnyway}
  - maxSkew: 1
    topologyKey: kubernetes.io/hostname
    whenUnsatisfiable: DoNotSchedule
    labelSelector: {matchLabels: {team: ai}}
`
	d = deployment(t, renderBody(t, body, "wrapper"))
	spec := d.Spec.Template.Spec
	assert.Equal(t, int32(0), *d.Spec.RevisionHistoryLimit, "0 renders as 0")
	assert.Equal(t, "nvidia", *spec.RuntimeClassName)
	assert.Equal(t, []string{"llm.internal"}, spec.HostAliases[0].Hostnames)
	assert.Equal(t, "ndots", spec.DNSConfig.Options[0].Name)
	require.Len(t, spec.TopologySpreadConstraints, 2)
	assert.Equal(t, d.Spec.Selector.MatchLabels, spec.TopologySpreadConstraints[0].LabelSelector.MatchLabels,
		"a constraint without a selector spreads the chart's own pods")
	assert.Equal(t, map[string]string{"team": "ai"}, spec.TopologySpreadConstraints[1].LabelSelector.MatchLabels, "a given selector is kept")
}

// namespaceOverride moves every object, the helm test hook included.
func TestNamespaceOverrideMovesEveryObject(t *testing.T) {
	t.Parallel()
	body := `
namespaceOverride: ai
replicaCount: 2
kotaemon:
  externalStores: true
  flowsettings: "x = 1"
  secretEnv: {A: b}
persistence:
  enabled: false
health:
  auth:
    mode: token
metrics:
  enabled: true
  serviceMonitor: {enabled: true}
  prometheusRule: {enabled: true}
networkPolicy:
  enabled: true
  appPeers: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: ingress-nginx}}}]
  monitoringPeers: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: monitoring}}}]
ingress:
  enabled: true
httpRoute:
  enabled: true
  parentRefs: [{name: gw}]
`
	out, err := renderInProcess(t, []string{writeValues(t, "values.yaml", body)}, nil)
	require.NoError(t, err)
	kinds := map[string]bool{}
	for _, doc := range strings.Split(out, "\n---") {
		kind := ""
		for _, line := range strings.Split(doc, "\n") {
			if strings.HasPrefix(line, "kind: ") {
				kind = strings.TrimPrefix(line, "kind: ")
			}
		}
		if kind == "" {
			continue
		}
		kinds[kind] = true
		assert.Contains(t, doc, "\n  namespace: ai\n", "every object is in the override namespace:\n%s", doc)
	}
	for _, k := range []string{"Deployment", "Service", "ConfigMap", "Secret", "ServiceAccount", "Ingress", "HTTPRoute",
		"NetworkPolicy", "PodDisruptionBudget", "ServiceMonitor", "PrometheusRule", "Pod"} {
		assert.True(t, kinds[k], "the render has a %s to check", k)
	}
}

func TestAStrategyOverrideIsUsedWhereItIsSafe(t *testing.T) {
	t.Parallel()
	// More replicas: a faster rollout through maxSurge.
	m := renderBody(t, "replicaCount: 3\nkotaemon:\n  externalStores: true\npersistence:\n  enabled: false\nstrategy:\n  rollingUpdate:\n    maxSurge: 2\n", "wrapper")
	s := deployment(t, m).Spec.Strategy
	assert.Equal(t, appsv1.RollingUpdateDeploymentStrategyType, s.Type)
	assert.Equal(t, intstr.FromInt32(2), *s.RollingUpdate.MaxSurge)
	assert.Equal(t, intstr.FromInt32(0), *s.RollingUpdate.MaxUnavailable)
	assert.Empty(t, invariants.Check(m))
	// One replica with no volume to share: a rolling update keeps it serving.
	m = renderBody(t, "persistence:\n  enabled: false\nstrategy:\n  type: RollingUpdate\n", "wrapper")
	s = deployment(t, m).Spec.Strategy
	assert.Equal(t, appsv1.RollingUpdateDeploymentStrategyType, s.Type)
	assert.Equal(t, intstr.FromInt32(1), *s.RollingUpdate.MaxSurge)
	assert.Empty(t, invariants.Check(m))
	// One replica, stores outside, on a volume every node can mount: a surge is safe.
	m = renderBody(t, "kotaemon:\n  externalStores: true\npersistence:\n  accessMode: ReadWriteMany\nstrategy:\n  type: RollingUpdate\n", "wrapper")
	assert.Equal(t, appsv1.RollingUpdateDeploymentStrategyType, deployment(t, m).Spec.Strategy.Type)
	assert.Empty(t, invariants.Check(m))
	// One replica on its ReadWriteOnce volume without a surge: the old pod goes first.
	m = renderBody(t, "strategy:\n  type: RollingUpdate\n  rollingUpdate: {maxSurge: 0, maxUnavailable: 1}\n", "wrapper")
	s = deployment(t, m).Spec.Strategy
	assert.Equal(t, intstr.FromInt32(0), *s.RollingUpdate.MaxSurge)
	assert.Empty(t, invariants.Check(m))
	// Percentages: 0% is zero, and 50% of two pods leaves one free for a drain.
	m = renderBody(t, "replicaCount: 2\nkotaemon:\n  externalStores: true\npersistence:\n  enabled: false\nstrategy:\n  rollingUpdate: {maxUnavailable: 0%, maxSurge: 50%}\npdb:\n  minAvailable: 50%\n", "wrapper")
	assert.Equal(t, intstr.FromString("0%"), *deployment(t, m).Spec.Strategy.RollingUpdate.MaxUnavailable)
	assert.Equal(t, intstr.FromString("50%"), *m.Budgets[0].Spec.MinAvailable)
	assert.Empty(t, invariants.Check(m))
}

func TestAPodDisruptionBudgetOnlyWithMoreThanOneReplica(t *testing.T) {
	t.Parallel()
	assert.Empty(t, renderBody(t, "", "wrapper").Budgets, "one replica: a budget would only block drains")
	ha := "replicaCount: 3\nkotaemon:\n  externalStores: true\npersistence:\n  enabled: false\n"
	m := renderBody(t, ha, "wrapper")
	require.Len(t, m.Budgets, 1)
	b := m.Budgets[0]
	assert.Equal(t, intstr.FromInt32(1), *b.Spec.MinAvailable)
	assert.Nil(t, b.Spec.MaxUnavailable)
	assert.Equal(t, deployment(t, m).Spec.Selector.MatchLabels, b.Spec.Selector.MatchLabels, "it selects exactly the Kotaemon pods")

	m = renderBody(t, ha+"pdb:\n  minAvailable: null\n  maxUnavailable: 34%\n  unhealthyPodEvictionPolicy: AlwaysAllow\n", "wrapper")
	b = m.Budgets[0]
	assert.Nil(t, b.Spec.MinAvailable)
	assert.Equal(t, intstr.FromString("34%"), *b.Spec.MaxUnavailable)
	assert.Equal(t, "AlwaysAllow", string(*b.Spec.UnhealthyPodEvictionPolicy))

	assert.Empty(t, renderBody(t, ha+"pdb:\n  enabled: false\n", "wrapper").Budgets)
}

// Gradio's queue and uploads are per replica: with more than one, a session sticks.
func TestSessionAffinityFollowsTheReplicaCount(t *testing.T) {
	t.Parallel()
	ingress := "ingress:\n  enabled: true\n"
	m := renderBody(t, ingress, "wrapper")
	assert.Equal(t, corev1.ServiceAffinityNone, appService(t, m).Spec.SessionAffinity)
	assert.NotContains(t, m.Ingresses[0].Annotations, "nginx.ingress.kubernetes.io/affinity")

	ha := "replicaCount: 2\nkotaemon:\n  externalStores: true\npersistence:\n  enabled: false\n"
	m = renderBody(t, ingress+ha, "wrapper")
	svc := appService(t, m)
	assert.Equal(t, corev1.ServiceAffinityClientIP, svc.Spec.SessionAffinity)
	assert.Equal(t, int32(10800), *svc.Spec.SessionAffinityConfig.ClientIP.TimeoutSeconds)
	assert.Equal(t, "cookie", m.Ingresses[0].Annotations["nginx.ingress.kubernetes.io/affinity"])

	m = renderBody(t, ha+"service:\n  sessionAffinity: None\ningress:\n  enabled: true\n  sessionCookie: false\n", "wrapper")
	assert.Equal(t, corev1.ServiceAffinityNone, appService(t, m).Spec.SessionAffinity, "an explicit choice wins")
	assert.NotContains(t, m.Ingresses[0].Annotations, "nginx.ingress.kubernetes.io/affinity")
}

func TestServiceOptions(t *testing.T) {
	t.Parallel()
	m := renderBody(t, "service:\n  type: NodePort\n  nodePort: 30080\n  externalTrafficPolicy: Local\n", "wrapper")
	svc := appService(t, m)
	assert.Equal(t, int32(30080), svc.Spec.Ports[0].NodePort)
	assert.Equal(t, corev1.ServiceExternalTrafficPolicyLocal, svc.Spec.ExternalTrafficPolicy)

	m = renderBody(t, "service:\n  type: LoadBalancer\n  loadBalancerIP: 10.1.2.3\n  loadBalancerSourceRanges: [192.168.0.0/16]\n  annotations: {a: b}\n", "wrapper")
	svc = appService(t, m)
	assert.Equal(t, "10.1.2.3", svc.Spec.LoadBalancerIP)
	assert.Equal(t, []string{"192.168.0.0/16"}, svc.Spec.LoadBalancerSourceRanges)
	assert.Equal(t, "b", svc.Annotations["a"])
	assert.Zero(t, svc.Spec.Ports[0].NodePort, "allocated when not given")
	assert.Empty(t, invariants.Check(m), "still only the app port")
}

func TestTheHTTPRouteRoutesToTheAppServiceOnly(t *testing.T) {
	t.Parallel()
	body := `
metrics:
  enabled: true
httpRoute:
  enabled: true
  parentRefs: [{name: public, namespace: gateways, sectionName: https}]
  hostnames: [kotaemon.example.com]
  paths:
    - {path: /}
    - {path: /app, type: Exact}
  timeouts: {request: 3600s}
  labels: {team: ai}
`
	for _, mode := range chart.Modes {
		m := renderBody(t, body, mode)
		require.Len(t, m.HTTPRoutes, 1)
		r := m.HTTPRoutes[0]
		assert.Equal(t, "ai", r.Labels["team"])
		assert.Equal(t, "public", string(r.Spec.ParentRefs[0].Name))
		assert.Equal(t, "kotaemon.example.com", string(r.Spec.Hostnames[0]))
		require.Len(t, r.Spec.Rules, 1)
		rule := r.Spec.Rules[0]
		require.Len(t, rule.Matches, 2)
		assert.Equal(t, "PathPrefix", string(*rule.Matches[0].Path.Type))
		assert.Equal(t, "Exact", string(*rule.Matches[1].Path.Type))
		require.Len(t, rule.BackendRefs, 1)
		svc := appService(t, m)
		assert.Equal(t, svc.Name, string(rule.BackendRefs[0].Name))
		assert.Equal(t, svc.Spec.Ports[0].Port, int32(*rule.BackendRefs[0].Port))
		assert.Equal(t, "3600s", string(*rule.Timeouts.Request))
		assert.Empty(t, invariants.Check(m), mode)
	}
}

// image.flavour ollama: the bundled server runs in the pod, supervised beside Kotaemon
// in wrapper mode and as a container of its own elsewhere, and gates readiness through a
// critical check the agent accepts.
func TestTheOllamaFlavourStartsTheBundledServer(t *testing.T) {
	t.Parallel()
	for _, mode := range chart.Modes {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			m := renderBody(t, "image:\n  flavour: ollama\n", mode)
			app := container(t, m, "kotaemon")
			env := map[string]string{}
			for _, e := range app.Env {
				env[e.Name] = e.Value
			}
			assert.Equal(t, "127.0.0.1:11434", env["OLLAMA_HOST"])
			assert.Equal(t, "http://127.0.0.1:11434/v1/", env["KH_OLLAMA_URL"])
			if mode == "wrapper" {
				cmd := app.Command
				i := indexOf(cmd, "--companion")
				require.NotEqual(t, -1, i, "wrapper: Ollama is a companion of Kotaemon: %q", cmd)
				var companion []string
				require.NoError(t, json.Unmarshal([]byte(cmd[i+1]), &companion))
				assert.Equal(t, []string{"ollama", "serve"}, companion)
				assert.Less(t, i, indexOf(cmd, "--"), "before the app's command")
				assert.False(t, hasContainer(m, "ollama"))
			} else {
				o := container(t, m, "ollama")
				assert.Equal(t, []string{"ollama", "serve"}, o.Command)
				assert.Equal(t, app.Image, o.Image, "the same image: the flavour that carries Ollama")
				assert.False(t, o.Resources.Limits.Memory().IsZero())
			}
			if mode == "none" {
				return
			}
			cfg, err := config.Parse([]byte(configMap(t, m, "-health").Data["config.yaml"]))
			require.NoError(t, err, "the agent accepts the config")
			found := false
			for _, c := range cfg.Checks {
				if c.Name == "bundled-ollama" {
					found = true
					assert.Equal(t, "ollama", string(c.Type))
					require.NotNil(t, c.Critical)
					assert.True(t, *c.Critical, "it gates readiness")
					assert.Equal(t, "http://127.0.0.1:11434", c.URL)
				}
			}
			assert.True(t, found, "the bundled server's check is in the agent's config")
			assert.Empty(t, invariants.Check(m))
		})
	}
	// Other flavours, or serve off, start nothing.
	for _, body := range []string{"", "image:\n  flavour: ollama\nkotaemon:\n  ollama:\n    serve: false\n"} {
		m := renderBody(t, body, "wrapper")
		assert.NotContains(t, container(t, m, "kotaemon").Command, "--companion")
		assert.NotContains(t, configMap(t, m, "-health").Data["config.yaml"], "bundled-ollama")
	}
	// A user's own KH_OLLAMA_URL is kept.
	m := renderBody(t, "image:\n  flavour: ollama\nkotaemon:\n  env:\n    KH_OLLAMA_URL: http://gpu-ollama:11434/v1/\n", "wrapper")
	var urls []string
	for _, e := range container(t, m, "kotaemon").Env {
		if e.Name == "KH_OLLAMA_URL" {
			urls = append(urls, e.Value)
		}
	}
	assert.Equal(t, []string{"http://gpu-ollama:11434/v1/"}, urls)
}

// global.imageRegistry sends every image through the mirror; global.imagePullSecrets
// reaches every pod, the helm test pod too.
func TestAMirrorAndPullSecretsReachEveryPod(t *testing.T) {
	t.Parallel()
	body := "global:\n  imageRegistry: mirror.internal:5000\n  imagePullSecrets: [mirror-pull, {name: shared}]\nimagePullSecrets: [{name: shared}]\n"
	m := renderBody(t, body, "sidecar")
	spec := podSpec(t, m)
	for _, c := range append(append([]corev1.Container{}, spec.InitContainers...), spec.Containers...) {
		assert.True(t, strings.HasPrefix(c.Image, "mirror.internal:5000/"), "%s: %s", c.Name, c.Image)
	}
	assert.Equal(t, "mirror.internal:5000/cinnamon/kotaemon:0.11.3-lite", container(t, m, "kotaemon").Image, "the registry is replaced, the path kept")
	agent := publishedAgent(t)
	assert.Equal(t, "mirror.internal:5000/kotaemon/kotaemon-health:"+agent.Tag+"@"+agent.Digest, container(t, m, "health-agent").Image,
		"the agent's registry (registry.test/kotaemon) is replaced, the path kept, the digest still pins it")
	pull := names(spec.ImagePullSecrets, func(r corev1.LocalObjectReference) string { return r.Name })
	assert.Equal(t, []string{"shared", "mirror-pull"}, pull, "each once")
	require.Len(t, m.Pods, 1, "the helm test pod")
	assert.Equal(t, pull, names(m.Pods[0].Spec.ImagePullSecrets, func(r corev1.LocalObjectReference) string { return r.Name }))
	assert.True(t, strings.HasPrefix(m.Pods[0].Spec.Containers[0].Image, "mirror.internal:5000/"))

	// The mirror serves the agent whatever registry the values name: an air-gapped
	// cluster installs the published chart with one value.
	m = renderBody(t, body+"health:\n  image:\n    registry: agents.internal\n", "sidecar")
	assert.Equal(t, "mirror.internal:5000/kotaemon-health:"+agent.Tag+"@"+agent.Digest, container(t, m, "health-agent").Image)
}

// The token Secret the chart generates and the pod template change together: the pod
// carries the token's checksum, so a new token restarts the pods that read it.
func TestAGeneratedTokenRestartsThePodsThatReadIt(t *testing.T) {
	t.Parallel()
	m := renderBody(t, "health:\n  auth:\n    mode: token\n", "wrapper")
	var token []byte
	for _, s := range m.Secrets {
		if strings.HasSuffix(s.Name, "-health-auth") {
			token = s.Data["token"]
		}
	}
	require.Len(t, token, 40)
	sum := sha256.Sum256([]byte(base64.StdEncoding.EncodeToString(token)))
	assert.Equal(t, hex.EncodeToString(sum[:]), deployment(t, m).Spec.Template.Annotations["checksum/health-auth"],
		"the checksum is of the token in the Secret of the same render")

	// With an existing Secret the chart manages no token and adds no checksum.
	m = renderBody(t, "health:\n  auth:\n    mode: token\n    existingSecret: my-token\n    requireExistingSecret: true\n", "wrapper")
	assert.NotContains(t, deployment(t, m).Spec.Template.Annotations, "checksum/health-auth")
}

// Protected metrics are scraped with credentials the agent accepts: the agent's own
// token in token mode, a Secret the user names in either mode.
func TestTheServiceMonitorAuthenticatesWhereMetricsAreProtected(t *testing.T) {
	t.Parallel()
	auth := func(m *invariants.Manifest) map[string]any {
		for _, u := range m.Custom {
			if u.GetKind() == "ServiceMonitor" {
				ep := u.Object["spec"].(map[string]any)["endpoints"].([]any)[0].(map[string]any)
				a, _ := ep["authorization"].(map[string]any)
				return a
			}
		}
		require.FailNow(t, "no ServiceMonitor")
		return nil
	}
	monitored := "metrics:\n  enabled: true\n  serviceMonitor:\n    enabled: true\n"
	assert.Nil(t, auth(renderBody(t, monitored, "wrapper")), "open metrics: no credentials")

	m := renderBody(t, monitored+"health:\n  auth:\n    mode: token\n    protectMetrics: true\n", "wrapper")
	creds := auth(m)["credentials"].(map[string]any)
	var tokenSecret string
	for _, s := range m.Secrets {
		if strings.HasSuffix(s.Name, "-health-auth") {
			tokenSecret = s.Name
		}
	}
	assert.Equal(t, map[string]any{"name": tokenSecret, "key": "token"}, creds, "token mode: the agent's own token")

	jwt := "metrics:\n  enabled: true\n  serviceMonitor:\n    enabled: true\n    credentials: {name: prom-jwt, key: jwt}\nhealth:\n  auth:\n    mode: jwt\n    existingSecret: jwt-keys\n    protectMetrics: true\n    jwt:\n      secretKey: hs\n"
	creds = auth(renderBody(t, jwt, "sidecar"))["credentials"].(map[string]any)
	assert.Equal(t, map[string]any{"name": "prom-jwt", "key": "jwt"}, creds)
}
