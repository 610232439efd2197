package render

import (
	"context"
	"fmt"
	"github.com/gruntwork-io/terratest/modules/helm"
	"github.com/gruntwork-io/terratest/modules/logger"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

	"kotaemon-k8s/invariants"
	"kotaemon-k8s/test/chart"
)

// In wrapper mode the agent is PID 1 of the Kotaemon container: an init container copies
// it into an emptyDir and the container's command becomes `supervise -- <kotaemon>`.
func TestWrapperModeWrapsTheKotaemonCommandInTheAgent(t *testing.T) {
	t.Parallel()
	m := mustRender(t, nil, map[string]string{"kotaemon.command[0]": "python", "kotaemon.command[1]": "app.py"})
	app := container(t, m, "kotaemon")
	assert.Equal(t, []string{
		"/opt/kotaemon-health/bin/kotaemon-health", "supervise", "--config", "/etc/kotaemon-health/config.yaml",
		"--", "python", "app.py",
	}, app.Command)
	assert.Equal(t, "/app", app.WorkingDir)
	install := container(t, m, "install-health-agent")
	assert.Equal(t, []string{"/usr/local/bin/kotaemon-health", "install", "/opt/kotaemon-health/bin"}, install.Command)
	assert.Equal(t, publishedAgent(t).Ref(), install.Image, "the published registry, by the digest values.yaml pins")
	assert.Nil(t, install.RestartPolicy, "a plain init container that runs once")

	mounts := map[string]string{}
	for _, vm := range app.VolumeMounts {
		mounts[vm.Name] = vm.MountPath
	}
	assert.Equal(t, "/opt/kotaemon-health/bin", mounts["health-bin"])
	assert.Equal(t, "/app/ktem_app_data", mounts["data"])
	assert.Equal(t, "/tmp", mounts["tmp"])
}

// In sidecar and none modes Kotaemon runs its own command directly (python as PID 1, so
// SIGTERM reaches it), with both GRADIO variables set explicitly.
func TestSidecarAndNoneModesRunKotaemonDirectly(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{"sidecar", "none"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			m := mustRender(t, nil, map[string]string{"health.mode": mode})
			app := container(t, m, "kotaemon")
			assert.Equal(t, []string{"/app/.venv/bin/python", "app.py"}, app.Command)
			env := map[string]string{}
			for _, e := range app.Env {
				env[e.Name] = e.Value
			}
			assert.Equal(t, "0.0.0.0", env["GRADIO_SERVER_NAME"])
			assert.Equal(t, "7860", env["GRADIO_SERVER_PORT"])
			assert.Equal(t, mode == "sidecar", hasContainer(m, "health-agent"))
			// Sidecar mode installs the agent for Kotaemon's preStop hook, which stops it
			// cleanly (the kubelet's SIGTERM cannot: docs/kotaemon.md); none mode leaves
			// the stop to the image.
			assert.Equal(t, mode == "sidecar", hasContainer(m, "install-health-agent"))
			if mode == "none" {
				assert.Nil(t, app.Lifecycle)
				return
			}
			require.NotNil(t, app.Lifecycle)
			require.NotNil(t, app.Lifecycle.PreStop)
			require.NotNil(t, app.Lifecycle.PreStop.Exec)
			assert.Equal(t, []string{"/opt/kotaemon-health/bin/kotaemon-health", "stop", "--config", "/etc/kotaemon-health/config.yaml"},
				app.Lifecycle.PreStop.Exec.Command)
		})
	}
}

// In sidecar mode the chart's preStop (the agent's clean stop) stays beside the user's
// other hooks; a preStop of the user's is refused there (PI-14, the bad-values table).
func TestTheChartsPreStopIsKeptBesideTheUsersOtherHooks(t *testing.T) {
	t.Parallel()
	values := map[string]string{
		"health.mode": "sidecar",
		"kotaemon.lifecycle.postStart.exec.command[0]": "/bin/true",
	}
	app := container(t, mustRender(t, nil, values), "kotaemon")
	require.NotNil(t, app.Lifecycle.PostStart)
	require.NotNil(t, app.Lifecycle.PreStop, "the chart's preStop stays beside a postStart")
	assert.Equal(t, "stop", app.Lifecycle.PreStop.Exec.Command[1])
}

// The app Service carries the app port only, in every mode and with metrics on; metrics
// go through a dedicated Service that carries the health port only.
func TestTheAppServiceNeverCarriesTheHealthPort(t *testing.T) {
	t.Parallel()
	for _, mode := range chart.Modes {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			m := mustRender(t, nil, map[string]string{"health.mode": mode, "metrics.enabled": "true", "service.type": "NodePort"})
			var app, metrics *corev1.Service
			for i := range m.Services {
				switch m.Services[i].Name {
				case "kh-kotaemon":
					app = &m.Services[i]
				case "kh-kotaemon-metrics":
					metrics = &m.Services[i]
				}
			}
			require.NotNil(t, app)
			require.Len(t, app.Spec.Ports, 1)
			assert.Equal(t, "http", app.Spec.Ports[0].TargetPort.String())
			if mode == "none" {
				assert.Nil(t, metrics, "no agent, no agent metrics")
			} else {
				require.NotNil(t, metrics)
				require.Len(t, metrics.Spec.Ports, 1)
				assert.Equal(t, "health", metrics.Spec.Ports[0].TargetPort.String())
			}
			assert.Empty(t, invariants.Check(m))
		})
	}
}

// One replica on a ReadWriteOnce volume is replaced with Recreate; more replicas need
// the external-stores opt-in and then roll with maxUnavailable 0.
func TestUpdateStrategyFollowsTheStateModel(t *testing.T) {
	t.Parallel()
	d := deployment(t, mustRender(t, nil, nil))
	assert.Equal(t, int32(1), *d.Spec.Replicas)
	assert.Equal(t, appsv1.RecreateDeploymentStrategyType, d.Spec.Strategy.Type)
	assert.Nil(t, d.Spec.Strategy.RollingUpdate)

	m := mustRender(t, nil, map[string]string{"replicaCount": "3", "kotaemon.externalStores": "true", "persistence.enabled": "false"})
	d = deployment(t, m)
	assert.Equal(t, appsv1.RollingUpdateDeploymentStrategyType, d.Spec.Strategy.Type)
	require.NotNil(t, d.Spec.Strategy.RollingUpdate)
	assert.Equal(t, "0", d.Spec.Strategy.RollingUpdate.MaxUnavailable.String())
	assert.Empty(t, invariants.Check(m))
}

// Secrets are never written into a ConfigMap: API keys go to a Secret (or stay in an
// existing one) and the agent's config names an environment variable fed by secretKeyRef.
func TestSecretsNeverAppearInAConfigMap(t *testing.T) {
	t.Parallel()
	const secret = "sk-do-not-leak-4711"
	m := mustRender(t, []string{valuesFile("prod.yaml")}, map[string]string{
		"kotaemon.existingSecret":           "",
		"kotaemon.secretEnv.OPENAI_API_KEY": secret,
	})
	for _, cm := range m.ConfigMaps {
		for k, v := range cm.Data {
			assert.NotContains(t, v, secret, "ConfigMap %s key %s", cm.Name, k)
		}
	}
	found := false
	for _, s := range m.Secrets {
		if s.StringData["OPENAI_API_KEY"] == secret {
			found = true
		}
	}
	assert.True(t, found, "the key lives in a Secret")

	cfg := configMap(t, m, "-health").Data["config.yaml"]
	assert.Contains(t, cfg, "env: KH_CHECK_LLM_API_KEY")
	var ref *corev1.SecretKeySelector
	for _, e := range container(t, m, "kotaemon").Env {
		if e.Name == "KH_CHECK_LLM_API_KEY" && e.ValueFrom != nil {
			ref = e.ValueFrom.SecretKeyRef
		}
	}
	require.NotNil(t, ref, "the check's key comes from a secretKeyRef")
	assert.Equal(t, "kotaemon-api-keys", ref.Name)
	assert.Equal(t, "OPENAI_API_KEY", ref.Key)
}

// The NetworkPolicy selects exactly the Kotaemon pods, opens the app port to the
// configured peers (and the release's helm test pod), the health port to the monitoring
// peers and node CIDRs, and with egress on keeps DNS and every check's port reachable.
func TestNetworkPolicyShape(t *testing.T) {
	t.Parallel()
	m := mustRender(t, []string{valuesFile("prod.yaml")}, map[string]string{"networkPolicy.nodeCIDRs[0]": "10.0.0.0/16"})
	require.Len(t, m.NetworkPolicies, 2, "the app's and the helm test pod's")
	np := *networkPolicy(t, m, "")
	test := networkPolicy(t, m, "-test")
	assert.Equal(t, map[string]string{"app.kubernetes.io/instance": "kh", "app.kubernetes.io/component": "helm-test"}, test.Spec.PodSelector.MatchLabels)
	assert.Empty(t, test.Spec.Ingress, "nothing may reach the test pod")
	d := deployment(t, m)
	assert.Equal(t, d.Spec.Selector.MatchLabels, np.Spec.PodSelector.MatchLabels)
	require.Len(t, np.Spec.Ingress, 2)

	appRule, healthRule := np.Spec.Ingress[0], np.Spec.Ingress[1]
	require.Len(t, appRule.Ports, 1)
	assert.Equal(t, "7860", appRule.Ports[0].Port.String())
	require.Len(t, appRule.From, 2)
	assert.Equal(t, "ingress-nginx", appRule.From[0].NamespaceSelector.MatchLabels["kubernetes.io/metadata.name"])
	assert.Equal(t, "helm-test", appRule.From[1].PodSelector.MatchLabels["app.kubernetes.io/component"])

	require.Len(t, healthRule.Ports, 1)
	assert.Equal(t, "8000", healthRule.Ports[0].Port.String())
	require.Len(t, healthRule.From, 2)
	assert.Equal(t, "monitoring", healthRule.From[0].NamespaceSelector.MatchLabels["kubernetes.io/metadata.name"])
	require.NotNil(t, healthRule.From[1].IPBlock)
	assert.Equal(t, "10.0.0.0/16", healthRule.From[1].IPBlock.CIDR)

	var egressPorts []string
	for _, r := range np.Spec.Egress {
		for _, p := range r.Ports {
			egressPorts = append(egressPorts, string(*p.Protocol)+"/"+p.Port.String())
		}
	}
	assert.ElementsMatch(t, []string{"UDP/53", "TCP/53", "TCP/4000", "TCP/8080", "TCP/443"}, egressPorts)
	public := np.Spec.Egress[len(np.Spec.Egress)-1]
	require.Len(t, public.To, 1)
	require.NotNil(t, public.To[0].IPBlock, "Kotaemon's own calls: an address block, since a policy cannot name hosts")
	assert.Equal(t, "0.0.0.0/0", public.To[0].IPBlock.CIDR)
	assert.Equal(t, []string{"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10"}, public.To[0].IPBlock.Except, "private ranges stay closed")
	assert.Empty(t, invariants.Check(m))

	// Off by default.
	assert.Empty(t, mustRender(t, nil, nil).NetworkPolicies)
}

// The Ingress routes to the app Service only, with the annotations Server-Sent Events need.
func TestIngressIsSSEFriendlyAndRoutesToTheAppPortOnly(t *testing.T) {
	t.Parallel()
	m := mustRender(t, []string{valuesFile("prod.yaml")}, nil)
	require.Len(t, m.Ingresses, 1)
	ing := m.Ingresses[0]
	assert.Equal(t, "off", ing.Annotations["nginx.ingress.kubernetes.io/proxy-buffering"])
	assert.Equal(t, "3600", ing.Annotations["nginx.ingress.kubernetes.io/proxy-read-timeout"])
	assert.NotEmpty(t, ing.Annotations["nginx.ingress.kubernetes.io/proxy-body-size"])
	for _, r := range ing.Spec.Rules {
		for _, p := range r.HTTP.Paths {
			assert.Equal(t, "kh-kotaemon", p.Backend.Service.Name)
			assert.Equal(t, "http", p.Backend.Service.Port.Name)
		}
	}
}

// The Kotaemon image is pinned to the chart's appVersion plus flavour; a digest wins.
func TestKotaemonImageIsPinnedToAppVersionAndFlavour(t *testing.T) {
	t.Parallel()
	cases := map[string]struct {
		set  map[string]string
		want string
	}{
		"default lite": {nil, "ghcr.io/cinnamon/kotaemon:0.11.3-lite"},
		"full flavour": {map[string]string{"image.flavour": "full"}, "ghcr.io/cinnamon/kotaemon:0.11.3-full"},
		"explicit tag": {map[string]string{"image.tag": "0.11.1-lite"}, "ghcr.io/cinnamon/kotaemon:0.11.1-lite"},
		"digest wins":  {map[string]string{"image.digest": "sha256:" + strings.Repeat("ab", 32)}, "ghcr.io/cinnamon/kotaemon@sha256:" + strings.Repeat("ab", 32)},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, c.want, container(t, mustRender(t, nil, c.set), "kotaemon").Image)
		})
	}
}

// Defaults a production pod needs: 2Gi/8Gi memory, no service account token, a persistent
// data volume, /tmp as an emptyDir, and the sidecar as a plain container when asked.
func TestProductionDefaults(t *testing.T) {
	t.Parallel()
	m := mustRender(t, nil, nil)
	d := deployment(t, m)
	app := container(t, m, "kotaemon")
	assert.Equal(t, "2Gi", app.Resources.Requests.Memory().String())
	assert.Equal(t, "8Gi", app.Resources.Limits.Memory().String())
	require.NotNil(t, d.Spec.Template.Spec.AutomountServiceAccountToken)
	assert.False(t, *d.Spec.Template.Spec.AutomountServiceAccountToken)
	require.Len(t, m.ServiceAccounts, 1)
	assert.False(t, *m.ServiceAccounts[0].AutomountServiceAccountToken)
	require.Len(t, m.Claims, 1)
	assert.Equal(t, []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce}, m.Claims[0].Spec.AccessModes)
	require.Len(t, m.Pods, 1, "the helm test hook")

	m = mustRender(t, nil, map[string]string{"health.mode": "sidecar", "health.sidecar.native": "false"})
	assert.Len(t, deployment(t, m).Spec.Template.Spec.Containers, 2, "kotaemon and the agent as plain containers")
	assert.Equal(t, []string{"install-health-agent"}, initNames(deployment(t, m)), "only the installer of the preStop's agent")
	assert.Empty(t, invariants.Check(m))
}

// Token auth without an existing Secret gets a generated one, mounted where the agent's
// config says; the probes still carry no credentials (PI-11).
func TestTokenAuthMountsItsSecretWhereTheConfigPoints(t *testing.T) {
	t.Parallel()
	m := mustRender(t, nil, map[string]string{"health.auth.mode": "token"})
	require.Len(t, m.Secrets, 1)
	assert.Equal(t, "kh-kotaemon-health-auth", m.Secrets[0].Name)
	assert.NotEmpty(t, m.Secrets[0].Data["token"])
	cfg := configMap(t, m, "-health").Data["config.yaml"]
	assert.Contains(t, cfg, `tokenFile: "/etc/kotaemon-health/auth/token"`)
	var mounted bool
	for _, vm := range container(t, m, "kotaemon").VolumeMounts {
		mounted = mounted || (vm.Name == "health-auth" && vm.MountPath == "/etc/kotaemon-health/auth")
	}
	assert.True(t, mounted)
	assert.Empty(t, invariants.Check(m))
}

// With metrics, the ServiceMonitor scrapes the metrics Service only, with the token when
// /metrics is protected, and the PrometheusRule alerts on the agent's own series.
func TestServiceMonitorAndPrometheusRuleScrapeTheMetricsServiceOnly(t *testing.T) {
	t.Parallel()
	m := mustRender(t, []string{valuesFile("prod.yaml")}, map[string]string{
		"metrics.serviceMonitor.enabled": "true", "metrics.prometheusRule.enabled": "true", "health.auth.protectMetrics": "true",
	})
	require.Len(t, m.Custom, 2)
	kinds := map[string]map[string]any{}
	for _, u := range m.Custom {
		kinds[u.GetKind()] = u.Object
	}
	sm := kinds["ServiceMonitor"]
	require.NotNil(t, sm)
	spec := sm["spec"].(map[string]any)
	assert.Equal(t, "metrics", spec["selector"].(map[string]any)["matchLabels"].(map[string]any)["app.kubernetes.io/component"])
	ep := spec["endpoints"].([]any)[0].(map[string]any)
	assert.Equal(t, "metrics", ep["port"])
	assert.Equal(t, "/metrics", ep["path"])
	assert.NotNil(t, ep["authorization"], "protected metrics are scraped with the token")

	rule := kinds["PrometheusRule"]
	require.NotNil(t, rule)
	groups := rule["spec"].(map[string]any)["groups"].([]any)
	alerts := map[string]map[string]any{}
	for _, r := range groups[0].(map[string]any)["rules"].([]any) {
		rule := r.(map[string]any)
		alerts[fmt.Sprint(rule["alert"])] = rule
	}
	require.Len(t, alerts, 8)
	require.Contains(t, alerts, "KotaemonNotReady")
	// Longer than prod's liveness window (30 s x 5) plus a minute.
	assert.Equal(t, "210s", alerts["KotaemonNotReady"]["for"])
	// prod: a start-up within 10% of the startup budget of 10 s x 27, and one beyond the
	// expected P99 of 180 s.
	require.Contains(t, alerts, "KotaemonStartupNearBudget")
	assert.Contains(t, alerts["KotaemonStartupNearBudget"]["expr"], `kotaemon_health_app_startup_last_seconds{namespace="default", service="kh-kotaemon-metrics", phase="answered"}[1h])) >= 243`)
	require.Contains(t, alerts, "KotaemonStartupBeyondExpected")
	assert.Contains(t, alerts["KotaemonStartupBeyondExpected"]["expr"], `phase="answered"}[1h])) > 180`)
	// The agent's own metrics, or kube-state-metrics' and the kubelet's for this
	// release's pods and claim only.
	for name, a := range alerts {
		expr := fmt.Sprint(a["expr"])
		assert.True(t, strings.Contains(expr, "kotaemon_health_") || strings.Contains(expr, `pod=~"kh-kotaemon-`) ||
			strings.Contains(expr, `persistentvolumeclaim="kh-kotaemon-data"`), "%s: %s", name, expr)
	}
	assert.Empty(t, invariants.Check(m))
}

// In sidecar mode the agent runs in its own container: a disk check can only judge the
// data volume, so the chart mounts it there (writable: the check writes a probe file),
// and refuses a disk check on any other path instead of rendering a pod that never
// becomes Ready. (The data volume is mounted there in any case: the agent's history.)
func TestASidecarDiskCheckSeesTheDataVolumeAndNothingElse(t *testing.T) {
	t.Parallel()
	check := func(path string) string {
		return "health:\n  mode: sidecar\n  checks:\n    - {name: data, type: disk, path: " + path + ", critical: true, intervalSeconds: 30, timeoutSeconds: 5}\n"
	}
	m := mustRender(t, []string{writeValues(t, "disk.yaml", check("/app/ktem_app_data/uploads"))}, nil)
	agent := container(t, m, "health-agent")
	var mounted *corev1.VolumeMount
	for i := range agent.VolumeMounts {
		if agent.VolumeMounts[i].Name == "data" {
			mounted = &agent.VolumeMounts[i]
		}
	}
	require.NotNil(t, mounted, "the data volume is not mounted in the agent's container")
	assert.Equal(t, "/app/ktem_app_data", mounted.MountPath)
	assert.False(t, mounted.ReadOnly)

	_, err := renderInProcess(t, []string{writeValues(t, "elsewhere.yaml", check("/var/lib/other"))}, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "health.checks[0].path")

	// Without a disk check too: the agent keeps its history there.
	noDisk := mustRender(t, nil, map[string]string{"health.mode": "sidecar"})
	var names []string
	for _, vm := range container(t, noDisk, "health-agent").VolumeMounts {
		names = append(names, vm.Name)
	}
	assert.Contains(t, names, "data", "the agent's history lives on the data volume")
}

// Native sidecars need Kubernetes 1.29: rendered for an older cluster, the agent runs
// as a plain container beside Kotaemon (still carrying readiness), and NOTES say so.
func TestNativeSidecarsFallBackToAPlainContainerBefore129(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), renderTimeout)
	defer cancel()
	opts := &helm.Options{SetValues: map[string]string{"health.mode": "sidecar"}, Logger: logger.Discard}
	out, err := helm.RenderTemplateContextE(t, ctx, opts, published(t), chart.Release, nil, "--kube-version", "v1.28.9")
	require.NoError(t, err)
	m, err := invariants.Decode([]byte(out))
	require.NoError(t, err)
	assert.Equal(t, []string{"install-health-agent"}, initNames(deployment(t, m)), "no native sidecar on 1.28")
	agent := container(t, m, "health-agent")
	assert.Nil(t, agent.RestartPolicy)
	assert.NotNil(t, agent.ReadinessProbe)
	assert.Empty(t, invariants.Check(m))

	native := container(t, mustRender(t, nil, map[string]string{"health.mode": "sidecar"}), "health-agent")
	require.NotNil(t, native.RestartPolicy, "a native sidecar on the pinned version")
	assert.Equal(t, corev1.ContainerRestartPolicyAlways, *native.RestartPolicy)
}

// initNames are the names of the pod's init containers, in order.
func initNames(d *appsv1.Deployment) []string {
	var names []string
	for _, c := range d.Spec.Template.Spec.InitContainers {
		names = append(names, c.Name)
	}
	return names
}

// With public HTTPS open for Kotaemon's own calls, a check of a hosted API on 443 is
// reachable and renders; the same check without it is refused (bad_values_test.go).
func TestAHostedCheckOn443RendersWhenPublicHTTPSIsOpen(t *testing.T) {
	t.Parallel()
	m := mustRender(t, nil, map[string]string{
		"networkPolicy.enabled": "true", "networkPolicy.egress.enabled": "true", "networkPolicy.egress.publicHTTPS.enabled": "true",
		"health.checks[0].name": "llm", "health.checks[0].type": "openai", "health.checks[0].url": "https://api.openai.com/v1",
		"health.checks[0].critical": "true", "health.checks[0].intervalSeconds": "30", "health.checks[0].timeoutSeconds": "5",
	})
	require.Len(t, m.NetworkPolicies, 2)
	assert.Empty(t, invariants.Check(m))
}
