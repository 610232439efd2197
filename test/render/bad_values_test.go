package render

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"kotaemon-k8s/test/chart"
)

// badValues is one configuration that must not render.
type badValues struct {
	name   string
	values string
	want   []string // every one must appear in the error
	only   []string // the health modes the rule applies in; nil: every mode
}

// asWritten runs a case with the health mode its values give (its subject is the mode).
var asWritten = []string{""}

// Bad values never render: each case fails, in every health mode it applies to, with a
// message naming the key (schema) or the invariant id and key (guards), and nothing is
// printed as a manifest. The table runs in process (the helm SDK, same code path as
// `helm template`); a sample of it also runs through the helm binary, which must exit
// non-zero with the same message.
func TestBadValuesAreRefusedWithAMessageNamingTheKeyOrInvariant(t *testing.T) {
	t.Parallel()
	cases := []badValues{
		// Wrong types.
		{"period as a string", "probes:\n  readiness:\n    periodSeconds: ten\n", []string{"/probes/readiness/periodSeconds"}, nil},
		{"timeout as a fraction", "probes:\n  liveness:\n    timeoutSeconds: 4.5\n", []string{"/probes/liveness/timeoutSeconds"}, nil},
		{"enabled as a string", "probes:\n  startup:\n    enabled: \"yes\"\n", []string{"/probes/startup/enabled"}, nil},
		{"command as a string", "kotaemon:\n  command: python app.py\n", []string{"/kotaemon/command"}, nil},
		{"checks as a map", "health:\n  checks:\n    llm: {}\n", []string{"/health/checks"}, nil},
		// Negatives and out-of-range numbers.
		{"negative initial delay", "probes:\n  readiness:\n    initialDelaySeconds: -1\n", []string{"/probes/readiness/initialDelaySeconds"}, nil},
		{"zero period", "probes:\n  startup:\n    periodSeconds: 0\n", []string{"/probes/startup/periodSeconds"}, nil},
		{"negative grace period", "terminationGracePeriodSeconds: -5\n", []string{"/terminationGracePeriodSeconds"}, nil},
		{"health port above 65535", "health:\n  port: 70000\n", []string{"/health/port"}, nil},
		{"expected start-up of zero", "probes:\n  startup:\n    expectedSeconds: 0\n", []string{"/probes/startup/expectedSeconds"}, nil},
		{"safety factor below 1.2", "probes:\n  startup:\n    safetyFactor: 1.1\n", []string{"/probes/startup/safetyFactor"}, nil},
		{"safety factor above 1.5", "probes:\n  startup:\n    safetyFactor: 2\n", []string{"/probes/startup/safetyFactor"}, nil},
		// Kubernetes API and PI-06 floors in the schema.
		{"liveness successThreshold 2", "probes:\n  liveness:\n    successThreshold: 2\n", []string{"/probes/liveness/successThreshold"}, nil},
		{"startup successThreshold 3", "probes:\n  startup:\n    successThreshold: 3\n", []string{"/probes/startup/successThreshold"}, nil},
		{"readiness timeout 2", "probes:\n  readiness:\n    timeoutSeconds: 2\n", []string{"/probes/readiness/timeoutSeconds"}, nil},
		{"liveness failureThreshold 1", "probes:\n  liveness:\n    failureThreshold: 1\n", []string{"/probes/liveness/failureThreshold"}, nil},
		{"grace period on readiness", "probes:\n  readiness:\n    terminationGracePeriodSeconds: 10\n", []string{"terminationGracePeriodSeconds"}, nil},
		// Unknown enums and keys.
		{"unknown health mode", "health:\n  mode: proxy\n", []string{"/health/mode"}, asWritten},
		{"unknown details level", "health:\n  details: everyone\n", []string{"/health/details"}, nil},
		{"unknown auth mode", "health:\n  auth:\n    mode: basic\n", []string{"/health/auth/mode"}, nil},
		{"unknown flavour", "image:\n  flavour: huge\n", []string{"/image/flavour"}, nil},
		{"unknown check type", "health:\n  checks:\n    - {name: db, type: postgres, critical: true, intervalSeconds: 10, timeoutSeconds: 2}\n", []string{"/health/checks/0/type"}, nil},
		{"unknown access mode", "persistence:\n  accessMode: Everything\n", []string{"/persistence/accessMode"}, nil},
		{"typo in a probe key", "probes:\n  liveness:\n    periodSecond: 10\n", []string{"periodSecond"}, nil},
		{"unknown top-level key", "replicas: 2\n", []string{"replicas"}, nil},
		{"health path without a slash", "health:\n  paths:\n    ready: health/ready\n", []string{"/health/paths/ready"}, nil},
		{"check url not http", "health:\n  checks:\n    - {name: llm, type: openai, url: \"ftp://llm\", critical: true, intervalSeconds: 10, timeoutSeconds: 2}\n", []string{"/health/checks/0/url"}, nil},
		{"check api key given inline", "health:\n  checks:\n    - {name: llm, type: openai, url: \"http://llm:8000/v1\", critical: true, intervalSeconds: 10, timeoutSeconds: 2, apiKey: {value: sk-123}}\n", []string{"/health/checks/0/apiKey"}, nil},
		// Missing required.
		{"check without a name", "health:\n  checks:\n    - {type: tcp, address: \"db:5432\", critical: true, intervalSeconds: 10, timeoutSeconds: 2}\n", []string{"/health/checks/0", "name"}, nil},
		{"kotaemon port removed", "kotaemon:\n  port: null\n", []string{"/kotaemon", "port"}, nil},
		{"tcp check without an address", "health:\n  checks:\n    - {name: db, type: tcp, critical: true, intervalSeconds: 10, timeoutSeconds: 2}\n", []string{"health.checks[0].address"}, nil},
		{"openai check without a url", "health:\n  checks:\n    - {name: llm, type: openai, critical: true, intervalSeconds: 10, timeoutSeconds: 2}\n", []string{"health.checks[0].url"}, nil},
		{"jwt without a secret", "health:\n  auth:\n    mode: jwt\n    jwt:\n      secretKey: hs\n", []string{"health.auth.existingSecret"}, nil},
		{"jwt with two keys", "health:\n  auth:\n    mode: jwt\n    existingSecret: s\n    jwt:\n      secretKey: hs\n      jwksKey: jwks\n", []string{"health.auth.jwt"}, nil},
		// Each guard broken.
		{"PI-01 liveness disabled", "probes:\n  liveness:\n    enabled: false\n", []string{"PI-01", "probes.liveness.enabled"}, nil},
		{"PI-02 live path equals ready path", "health:\n  paths:\n    live: /health/ready\n", []string{"PI-02", "/health/ready"}, nil},
		{"PI-03 startup on the ready endpoint", "probes:\n  startup:\n    custom:\n      httpGet: {path: /health/ready, port: health}\n      failureThreshold: 40\n      periodSeconds: 5\n", []string{"PI-03", "probes.startup"}, []string{"wrapper", "none"}},
		{"PI-05 startup budget too short", "probes:\n  startup:\n    expectedSeconds: 120\n    periodSeconds: 5\n    failureThreshold: 20\n", []string{"PI-05", "probes.startup.expectedSeconds", "120 x 1.2 = 144s", "failureThreshold to at least 29"}, nil},
		{"PI-05 liveness delay too short without startup", "probes:\n  startup:\n    enabled: false\n    expectedSeconds: 120\n  liveness:\n    initialDelaySeconds: 30\n", []string{"PI-05", "probes.liveness.initialDelaySeconds", "120 x 1.2 = 144s"}, nil},
		{"PI-05 liveness not after readiness without startup", "probes:\n  startup:\n    enabled: false\n    expectedSeconds: 100\n  readiness:\n    initialDelaySeconds: 200\n  liveness:\n    initialDelaySeconds: 200\n", []string{"PI-05", "probes.readiness.initialDelaySeconds"}, nil},
		{"PI-06 custom readiness timeout 1", "probes:\n  readiness:\n    custom:\n      httpGet: {path: /health/ready, port: health}\n      timeoutSeconds: 1\n", []string{"PI-06", "probes.readiness.timeoutSeconds"}, nil},
		{"PI-06 custom liveness successThreshold 2", "probes:\n  liveness:\n    custom:\n      httpGet: {path: /health/live, port: health}\n      successThreshold: 2\n      timeoutSeconds: 5\n", []string{"PI-06", "probes.liveness.successThreshold"}, []string{"wrapper", "none"}},
		{"PI-07 liveness faster than readiness", "probes:\n  liveness:\n    periodSeconds: 10\n  readiness:\n    periodSeconds: 20\n", []string{"PI-07", "probes.liveness.periodSeconds"}, nil},
		{"PI-08 health port equals app port", "health:\n  port: 7860\n", []string{"PI-08", "health.port"}, nil},
		{"PI-09 ready timeout not below the probe's", "health:\n  app:\n    readyTimeoutMs: 5000\n", []string{"PI-09", "health.app.readyTimeoutMs"}, []string{"wrapper", "sidecar"}},
		{"PI-09 live timeout not below startup's", "health:\n  app:\n    liveTimeoutMs: 3000\n", []string{"PI-09", "probes.startup.timeoutSeconds"}, []string{"wrapper"}},
		{"PI-10 ingress path on /health", "ingress:\n  enabled: true\n  hosts:\n    - host: k.example\n      paths:\n        - {path: /health, pathType: Prefix}\n", []string{"PI-10", "ingress.hosts[0].paths[0].path"}, nil},
		{"PI-13 replicas without external stores", "replicaCount: 2\n", []string{"PI-13", "kotaemon.externalStores"}, nil},
		{"PI-13 replicas on a ReadWriteOnce volume", "replicaCount: 2\nkotaemon:\n  externalStores: true\n", []string{"PI-13", "persistence.accessMode"}, nil},
		{"PI-14 grace period within the drain time", "terminationGracePeriodSeconds: 25\n", []string{"PI-14", "terminationGracePeriodSeconds", "health.shutdown"}, []string{"wrapper"}},
		// Kotaemon's entrypoint (_guards-entrypoint.tpl).
		{"KH_SSO_ENABLED given as a variable", "kotaemon:\n  env:\n    KH_SSO_ENABLED: \"true\"\n", []string{"KH_SSO_ENABLED", "kotaemon.sso.enabled"}, nil},
		{"KH_SSO_ENABLED given as an extra variable", "kotaemon:\n  extraEnv:\n    - {name: KH_SSO_ENABLED, value: \"false\"}\n", []string{"KH_SSO_ENABLED", "kotaemon.sso.enabled"}, nil},
		{"GR_FILE_ROOT_PATH beside SSO", "kotaemon:\n  sso:\n    enabled: true\n  env:\n    GR_FILE_ROOT_PATH: /kotaemon\n", []string{"GR_FILE_ROOT_PATH", "kotaemon.sso.enabled"}, nil},
		{"a route behind the SSO login", "kotaemon:\n  sso:\n    enabled: true\n  routes:\n    ready: /app/app_id\n", []string{"kotaemon.routes.ready", "/app/app_id", "307"}, nil},
		{"the queue-starting route under SSO", "kotaemon:\n  sso:\n    enabled: true\n  routes:\n    live: /app/startup-events\n", []string{"kotaemon.routes.live", "/app/startup-events"}, nil},
		{"uvicorn outwaits the agent's stop", "kotaemon:\n  sso:\n    enabled: true\n    gracefulShutdownSeconds: 20\n", []string{"kotaemon.sso.gracefulShutdownSeconds", "health.shutdown.stopTimeoutSeconds"}, []string{"wrapper", "sidecar"}},
		{"uvicorn outwaits the grace period", "kotaemon:\n  sso:\n    enabled: true\n    gracefulShutdownSeconds: 60\n", []string{"kotaemon.sso.gracefulShutdownSeconds", "terminationGracePeriodSeconds"}, []string{"none"}},
		{"an image tag that names no version", "image:\n  tag: main-lite\n", []string{"image.tag", "main-lite", "kotaemon.command"}, nil},
		{"an image newer than the version table", "image:\n  tag: 0.12.0-full\n", []string{"image.tag", "0.12.0", "kotaemon.command"}, nil},
		{"SSO on an image that names no version", "image:\n  tag: latest-lite\nkotaemon:\n  command: [/app/.venv/bin/python, app.py]\n  sso:\n    enabled: true\n", []string{"image.tag", "kotaemon.sso.command"}, nil},
		{"SSO on an image without sso_app.py", "image:\n  tag: 0.9.11-lite\nkotaemon:\n  sso:\n    enabled: true\n", []string{"kotaemon.sso.enabled", "0.9.11", "0.10.0"}, nil},
		{"secretEnv beside existingSecret", "kotaemon:\n  existingSecret: api-keys\n  secretEnv:\n    OPENAI_API_KEY: sk-x\n", []string{"kotaemon.secretEnv", "kotaemon.existingSecret", "OPENAI_API_KEY", "api-keys"}, nil},
		// Model providers (kotaemon.providers).
		{"openai without a key", "kotaemon:\n  providers:\n    openai:\n      enabled: true\n", []string{"kotaemon.providers.openai.existingSecret", "api.openai.com"}, nil},
		{"openai with credentials in the URL", "kotaemon:\n  providers:\n    openai:\n      enabled: true\n      baseUrl: \"http://u:p@llm:8000/v1\"\n", []string{"/kotaemon/providers/openai/baseUrl"}, nil},
		{"openai on a port out of range", "kotaemon:\n  providers:\n    openai:\n      enabled: true\n      baseUrl: \"http://llm:70000/v1\"\n", []string{"/kotaemon/providers/openai/baseUrl", "70000"}, nil},
		{"azure without an endpoint", "kotaemon:\n  providers:\n    azureOpenAI:\n      enabled: true\n      existingSecret: az\n      chatDeployment: gpt-4o\n", []string{"kotaemon.providers.azureOpenAI.endpoint"}, nil},
		{"azure on plain http", "kotaemon:\n  providers:\n    azureOpenAI:\n      enabled: true\n      endpoint: \"http://acme.openai.azure.com/\"\n", []string{"/kotaemon/providers/azureOpenAI/endpoint"}, nil},
		{"azure without a key", "kotaemon:\n  providers:\n    azureOpenAI:\n      enabled: true\n      endpoint: \"https://acme.openai.azure.com/\"\n      chatDeployment: gpt-4o\n", []string{"kotaemon.providers.azureOpenAI.existingSecret"}, nil},
		{"azure without a deployment", "kotaemon:\n  providers:\n    azureOpenAI:\n      enabled: true\n      endpoint: \"https://acme.openai.azure.com/\"\n      existingSecret: az\n", []string{"kotaemon.providers.azureOpenAI", "chatDeployment", "embeddingsDeployment"}, nil},
		{"ollama without a server", "kotaemon:\n  providers:\n    ollama:\n      enabled: true\n", []string{"kotaemon.providers.ollama.url", "image.flavour"}, nil},
		{"ollama's URL with /v1", "kotaemon:\n  providers:\n    ollama:\n      enabled: true\n      url: \"http://ollama.ai.svc:11434/v1\"\n", []string{"kotaemon.providers.ollama.url", "without a path"}, nil},
		{"ollama and openai both the default", "kotaemon:\n  providers:\n    openai:\n      enabled: true\n      existingSecret: k\n    ollama:\n      enabled: true\n      url: \"http://ollama.ai.svc:11434\"\n", []string{"kotaemon.providers.ollama.default", "kotaemon.providers.openai.enabled"}, nil},
		{"a provider check timeout not below its interval", "kotaemon:\n  providers:\n    ollama:\n      enabled: true\n      url: \"http://ollama.ai.svc:11434\"\n      check:\n        intervalSeconds: 3\n        timeoutSeconds: 3\n", []string{"kotaemon.providers.ollama.check.timeoutSeconds"}, nil},
		{"a check named like a provider's", "kotaemon:\n  providers:\n    ollama:\n      enabled: true\n      url: \"http://ollama.ai.svc:11434\"\nhealth:\n  checks:\n    - {name: provider-ollama-chat, type: tcp, address: \"db:5432\", critical: true, intervalSeconds: 10, timeoutSeconds: 2}\n", []string{"health.checks[0].name", "provider-ollama-chat", "kotaemon.providers"}, nil},
		{"a provider's variable in kotaemon.env", "kotaemon:\n  env:\n    LOCAL_MODEL: llama3\n  providers:\n    ollama:\n      enabled: true\n      url: \"http://ollama.ai.svc:11434\"\n", []string{"kotaemon.env", "LOCAL_MODEL", "kotaemon.providers"}, nil},
		{"a provider's variable in secretEnv", "kotaemon:\n  secretEnv:\n    OPENAI_API_KEY: sk-x\n  providers:\n    openai:\n      enabled: true\n      existingSecret: k\n", []string{"kotaemon.secretEnv", "OPENAI_API_KEY", "kotaemon.providers"}, nil},
		{"a hosted provider with egress restricted", "networkPolicy:\n  enabled: true\n  egress:\n    enabled: true\n    withoutInternet: true\nkotaemon:\n  providers:\n    openai:\n      enabled: true\n      existingSecret: k\n", []string{"kotaemon.providers.openai.baseUrl", "api.openai.com", "networkPolicy.egress.publicHTTPS"}, nil},
		{"GPUs asked for twice", "gpu:\n  enabled: true\nkotaemon:\n  resources:\n    limits:\n      nvidia.com/gpu: 1\n", []string{"kotaemon.resources.limits.nvidia.com/gpu", "gpu.enabled"}, nil},
		{"a GPU resource without a domain", "gpu:\n  enabled: true\n  resource: gpu\n", []string{"/gpu/resource"}, nil},
		{"a number in a preStop command", "kotaemon:\n  lifecycle:\n    preStop:\n      exec:\n        command: [/bin/sleep, 3]\n", []string{"/kotaemon/lifecycle/preStop/exec/command/1"}, nil},
		{"a metrics Service name over 63 characters", "fullnameOverride: kotaemon-for-the-research-department-of-the-north-region-x\nmetrics:\n  enabled: true\n", []string{"kotaemon-for-the-research-department-of-the-north-region-x-metrics", "63", "fullnameOverride"}, []string{"wrapper", "sidecar"}},
		{"a Service name starting with a digit", "fullnameOverride: 1kotaemon\n", []string{"1kotaemon", "start with a letter", "fullnameOverride"}, nil},
		{"an Ingress the policy cuts off", "networkPolicy:\n  enabled: true\ningress:\n  enabled: true\n  hosts:\n    - host: k.example\n      paths:\n        - {path: /, pathType: Prefix}\n", []string{"networkPolicy.appPeers", "ingress.enabled"}, nil},
		{"a LoadBalancer the policy cuts off", "networkPolicy:\n  enabled: true\nservice:\n  type: LoadBalancer\n", []string{"networkPolicy.appPeers", "service.type LoadBalancer"}, nil},
		{"a ServiceMonitor the policy cuts off", "networkPolicy:\n  enabled: true\nmetrics:\n  enabled: true\n  serviceMonitor:\n    enabled: true\n", []string{"networkPolicy.monitoringPeers", "metrics.serviceMonitor.enabled"}, []string{"wrapper", "sidecar"}},
		{"a custom readiness probe on the metrics endpoint", "probes:\n  readiness:\n    custom:\n      httpGet: {path: /metrics, port: health}\n      timeoutSeconds: 5\n", []string{"probes.readiness.custom.httpGet.path", "/metrics", "200"}, []string{"wrapper", "sidecar"}},
		{"a custom probe on a path the agent does not serve", "probes:\n  liveness:\n    custom:\n      httpGet: {path: /healthz, port: health}\n      timeoutSeconds: 5\n      periodSeconds: 30\n      failureThreshold: 3\n", []string{"probes.liveness.custom.httpGet.path", "/healthz", "404"}, []string{"wrapper"}},
		{"PI-03 a custom liveness probe on a Gradio sync route", "probes:\n  liveness:\n    custom:\n      httpGet: {path: /config, port: http}\n      timeoutSeconds: 5\n      periodSeconds: 30\n      failureThreshold: 3\n", []string{"PI-03", "probes.liveness.custom.httpGet.path", "/config"}, nil},
		{"a route with a query", "kotaemon:\n  routes:\n    ready: /app_id?x=1\n", []string{"/kotaemon/routes/ready"}, nil},
		{"SSO without a graceful bound", "kotaemon:\n  sso:\n    enabled: true\n    gracefulShutdownSeconds: 0\n", []string{"/kotaemon/sso/gracefulShutdownSeconds"}, nil},
		{"PI-14 grace period on a custom readiness probe", "probes:\n  readiness:\n    custom:\n      httpGet: {path: /health/ready, port: health}\n      timeoutSeconds: 5\n      terminationGracePeriodSeconds: 10\n", []string{"PI-14", "probes.readiness"}, nil},
		{"check timeout not below its interval", "health:\n  checks:\n    - {name: db, type: tcp, address: \"db:5432\", critical: true, intervalSeconds: 5, timeoutSeconds: 5}\n", []string{"health.checks[0].timeoutSeconds"}, nil},
		{"a key the check type does not read (url on tcp)", "health:\n  checks:\n    - {name: db, type: tcp, address: \"db:5432\", url: \"http://db\", critical: true, intervalSeconds: 10, timeoutSeconds: 2}\n", []string{"health.checks[0].url", "not used by type tcp"}, nil},
		{"a key the check type does not read (model on tei)", "health:\n  checks:\n    - {name: emb, type: tei, url: \"http://tei:8080\", model: bge, critical: true, intervalSeconds: 10, timeoutSeconds: 2}\n", []string{"health.checks[0].model", "not used by type tei"}, nil},
		{"generate without a model", "health:\n  checks:\n    - {name: gen, type: generate, url: \"http://llm:8000/v1\", provider: openai, critical: false, intervalSeconds: 300, timeoutSeconds: 20}\n", []string{"health.checks[0].model", "required for type generate"}, nil},
		// Configurations the API server accepts that could never work.
		{"a check named like an agent component", "health:\n  checks:\n    - {name: app, type: tcp, address: \"db:5432\", critical: true, intervalSeconds: 10, timeoutSeconds: 2}\n", []string{"health.checks[0].name", "reserved"}, nil},
		{"a relative disk path", "health:\n  checks:\n    - {name: d, type: disk, path: data, critical: true, intervalSeconds: 10, timeoutSeconds: 2}\n", []string{"health.checks[0].path", "absolute"}, nil},
		{"a relative http path", "health:\n  checks:\n    - {name: h, type: http, url: \"http://h:80\", path: ready, critical: true, intervalSeconds: 10, timeoutSeconds: 2}\n", []string{"health.checks[0].path", "absolute"}, nil},
		{"the metrics path on the live path", "health:\n  paths:\n    metrics: /health/live\n", []string{"health.paths.metrics", "health.paths.live"}, nil},
		{"two replicas on a ReadWriteOncePod claim", "replicaCount: 2\nkotaemon:\n  externalStores: true\npersistence:\n  accessMode: ReadWriteOncePod\n", []string{"PI-13", "ReadWriteOncePod"}, nil},
		{"a number in the pod annotations", "podAnnotations:\n  replicas: 1\n", []string{"/podAnnotations/replicas"}, nil},
		{"a boolean in the node selector", "nodeSelector:\n  gpu: true\n", []string{"/nodeSelector/gpu"}, nil},
		{"a pod label that is a selector label", "podLabels:\n  app.kubernetes.io/component: web\n", []string{"podLabels.app.kubernetes.io/component", "selects"}, nil},
		{"an invalid node CIDR", "networkPolicy:\n  enabled: true\n  nodeCIDRs: [\"10.0.0.0/33\"]\n", []string{"/networkPolicy/nodeCIDRs/0"}, nil},
		{"a node CIDR that is an address", "networkPolicy:\n  enabled: true\n  nodeCIDRs: [\"10.0.0.1\"]\n", []string{"/networkPolicy/nodeCIDRs/0"}, nil},
		{"an Ingress with no hosts", "ingress:\n  enabled: true\n  hosts: []\n", []string{"ingress.hosts"}, nil},
		{"PI-06 readiness timeout above its period", "probes:\n  readiness:\n    periodSeconds: 3\n    timeoutSeconds: 4\n", []string{"PI-06", "probes.readiness.timeoutSeconds", "periodSeconds"}, nil},
		{"PI-06 startup timeout above its period", "probes:\n  startup:\n    periodSeconds: 2\n    timeoutSeconds: 3\n", []string{"PI-06", "probes.startup.timeoutSeconds"}, nil},
		{"a ServiceMonitor without metrics", "metrics:\n  enabled: false\n  serviceMonitor:\n    enabled: true\n", []string{"metrics.serviceMonitor.enabled", "metrics.enabled"}, nil},
		{"a PrometheusRule without metrics", "metrics:\n  enabled: false\n  prometheusRule:\n    enabled: true\n", []string{"metrics.prometheusRule.enabled", "metrics.enabled"}, nil},
		{"a ServiceMonitor without the agent", "health:\n  mode: none\nmetrics:\n  enabled: true\n  serviceMonitor:\n    enabled: true\n", []string{"metrics.serviceMonitor.enabled", "health.mode"}, []string{"none"}},
		{"PI-08 a custom probe on an undeclared port", "probes:\n  liveness:\n    custom:\n      httpGet: {path: /health/live, port: 9999}\n      timeoutSeconds: 5\n      periodSeconds: 30\n      failureThreshold: 3\n", []string{"PI-08", "probes.liveness", "9999"}, nil},
		{"PI-08 a custom probe on a port name its container lacks", "probes:\n  readiness:\n    custom:\n      httpGet: {path: /health/ready, port: metrics}\n      timeoutSeconds: 5\n", []string{"PI-08", "probes.readiness", "metrics"}, nil},
		// Pod lifecycle arithmetic (PI-14, PI-16..PI-19).
		{"PI-14 a preStop sleep and the drain past the grace period", "terminationGracePeriodSeconds: 60\nhealth:\n  shutdown:\n    drainDelaySeconds: 0\nkotaemon:\n  lifecycle:\n    preStop:\n      sleep:\n        seconds: 30\n", []string{"PI-14", "kotaemon.lifecycle.preStop", "terminationGracePeriodSeconds (60)", "= 80s"}, []string{"wrapper"}},
		{"PI-14 a shell's sleep past the grace period", "terminationGracePeriodSeconds: 60\nkotaemon:\n  lifecycle:\n    preStop:\n      exec:\n        command: [sh, -c, \"sleep 70\"]\n", []string{"PI-14", "kotaemon.lifecycle.preStop (70s)"}, []string{"none"}},
		{"PI-14 a preStop of the user's replacing the clean stop", "kotaemon:\n  lifecycle:\n    preStop:\n      exec:\n        command: [/bin/sleep, \"3\"]\n", []string{"PI-14", "kotaemon.lifecycle.preStop", "sidecar mode"}, []string{"sidecar"}},
		{"PI-16 a startup budget past the progress deadline", "probes:\n  startup:\n    expectedSeconds: 450\n", []string{"PI-16", "progressDeadlineSeconds (600)", "startup budget 675s"}, nil},
		{"PI-16 a check's first pass past the progress deadline", "health:\n  checks:\n    - {name: slow, type: tcp, address: \"db:5432\", critical: true, intervalSeconds: 700, timeoutSeconds: 5, successThreshold: 2}\n", []string{"PI-16", "progressDeadlineSeconds (600)", "check slow's first pass 775s"}, []string{"wrapper", "sidecar"}},
		{"PI-17 runAsNonRoot on the root image", "kotaemon:\n  securityContext:\n    runAsNonRoot: true\n", []string{"PI-17", "kotaemon.securityContext.runAsUser"}, nil},
		{"PI-17 runAsNonRoot for the pod on the root image", "podSecurityContext:\n  runAsNonRoot: true\n", []string{"PI-17", "podSecurityContext.runAsNonRoot"}, nil},
		{"PI-18 the sidecar agent without the pod's fsGroup", "podSecurityContext:\n  fsGroup: null\nhealth:\n  auth:\n    mode: token\n", []string{"PI-18", "podSecurityContext.fsGroup", "user 65532"}, []string{"sidecar"}},
		{"PI-18 a non-root agent group without the pod's fsGroup", "podSecurityContext:\n  fsGroup: null\nkotaemon:\n  securityContext:\n    runAsUser: 1000\n    runAsGroup: 1000\nhealth:\n  auth:\n    mode: token\n", []string{"PI-18", "podSecurityContext.fsGroup"}, []string{"wrapper", "sidecar"}},
		{"PI-19 a disk check on no volume", "health:\n  checks:\n    - {name: disk, type: disk, path: /srv, minFreeBytes: 1, critical: false, intervalSeconds: 30, timeoutSeconds: 5}\n", []string{"PI-19", "health.checks[0].path", "/srv"}, []string{"wrapper", "sidecar"}},
		{"PI-19 a sidecar disk check on the app's /tmp", "health:\n  checks:\n    - {name: disk, type: disk, path: /tmp, minFreeBytes: 1, critical: false, intervalSeconds: 30, timeoutSeconds: 5}\n", []string{"PI-19", "health.checks[0].path", "sidecar mode"}, []string{"sidecar"}},
		{"PI-12 a check on an address no ipBlock holds", "networkPolicy:\n  enabled: true\n  egress:\n    enabled: true\n    withoutInternet: true\nhealth:\n  checks:\n    - {name: llm, type: http, url: \"http://10.9.8.7:8080/h\", critical: true, intervalSeconds: 10, timeoutSeconds: 2}\n", []string{"health.checks[0]", "10.9.8.7", "networkPolicy.egress.extraRules", "10.9.8.7/32"}, nil},
		{"a probe path on the agent's history", "health:\n  paths:\n    ready: /health/history\n", []string{"health.paths.ready", "/health/history"}, nil},
		{"PI-10 an Ingress path under a custom metrics path", "health:\n  paths:\n    metrics: /stats\ningress:\n  enabled: true\n  hosts:\n    - host: k.example\n      paths:\n        - {path: /stats/x, pathType: Prefix}\n", []string{"PI-10", "ingress.hosts[0].paths[0].path", "/stats"}, nil},
		{"jwt with no key at all", "health:\n  auth:\n    mode: jwt\n    existingSecret: s\n", []string{"health.auth.jwt", "secretKey", "jwksKey"}, nil},
		{"PI-10 an Ingress path under /metrics", "ingress:\n  enabled: true\n  hosts:\n    - host: k.example\n      paths:\n        - {path: /metrics/x, pathType: Prefix}\n", []string{"PI-10", "ingress.hosts[0].paths[0].path"}, nil},
		{"egress restricted with no way out for Kotaemon's own calls", "networkPolicy:\n  enabled: true\n  egress:\n    enabled: true\n", []string{"networkPolicy.egress.publicHTTPS.enabled", "networkPolicy.egress.withoutInternet", "tiktoken"}, nil},
		{"a plain-http check outside the cluster with public HTTPS open", "networkPolicy:\n  enabled: true\n  egress:\n    enabled: true\n    publicHTTPS:\n      enabled: true\nhealth:\n  checks:\n    - {name: llm, type: openai, url: \"http://llm.example.com/v1\", critical: true, intervalSeconds: 30, timeoutSeconds: 5}\n", []string{"health.checks[0]", "llm.example.com"}, nil},
		{"a check outside the cluster with egress restricted", "networkPolicy:\n  enabled: true\n  egress:\n    enabled: true\nhealth:\n  checks:\n    - {name: llm, type: openai, url: \"https://api.openai.com/v1\", critical: true, intervalSeconds: 30, timeoutSeconds: 5}\n", []string{"health.checks[0]", "api.openai.com", "networkPolicy.egress.extraRules"}, nil},
		{"a sidecar disk check off the data volume", "health:\n  checks:\n    - {name: d, type: disk, path: /var/lib/x, critical: true, intervalSeconds: 10, timeoutSeconds: 2}\n", []string{"health.checks[0].path", "sidecar"}, []string{"sidecar"}},
		{"PI-02 equal live and ready paths", "health:\n  paths:\n    live: /health\n    ready: /health\n", []string{"PI-02"}, nil},
		{"jwt HS256 without a secret key", "health:\n  auth:\n    mode: jwt\n    existingSecret: s\n    jwt:\n      algorithms: [HS256]\n      jwksKey: jwks\n", []string{"health.auth.jwt"}, nil},
		{"an unknown key under probes.startup", "probes:\n  startup:\n    perodSeconds: 5\n", []string{"/probes/startup", "perodSeconds"}, nil},
		{"an unknown key under probes.readiness", "probes:\n  readiness:\n    timeout: 5\n", []string{"/probes/readiness", "timeout"}, nil},
		{"a critical check that one blip takes out of traffic", "health:\n  checks:\n    - {name: db, type: tcp, address: \"db:5432\", critical: true, intervalSeconds: 60, timeoutSeconds: 2, failureThreshold: 1}\n", []string{"health.checks[0].failureThreshold", "readiness window"}, nil},
		{"a check threshold of 0", "health:\n  checks:\n    - {name: db, type: tcp, address: \"db:5432\", critical: true, intervalSeconds: 10, timeoutSeconds: 2, successThreshold: 0}\n", []string{"/health/checks/0/successThreshold"}, nil},
		{"a check interval of more than a day", "health:\n  checks:\n    - {name: db, type: tcp, address: \"db:5432\", critical: true, intervalSeconds: 90000, timeoutSeconds: 2}\n", []string{"/health/checks/0/intervalSeconds"}, nil},
		{"a drain delay of an hour", "terminationGracePeriodSeconds: 4000\nhealth:\n  shutdown:\n    drainDelaySeconds: 3600\n", []string{"/health/shutdown/drainDelaySeconds"}, nil},
		{"an app timeout above a minute", "health:\n  app:\n    readyTimeoutMs: 90000\n", []string{"/health/app/readyTimeoutMs"}, nil},
		{"duplicate check names", "health:\n  checks:\n    - {name: db, type: tcp, address: \"db:5432\", critical: true, intervalSeconds: 10, timeoutSeconds: 2}\n    - {name: db, type: tcp, address: \"db2:5432\", critical: true, intervalSeconds: 10, timeoutSeconds: 2}\n", []string{"health.checks[1].name"}, nil},
		// Options of comparable charts, refused where they cannot work.
		{"PI-13 a rolling update of one replica on a ReadWriteOnce volume", "strategy:\n  type: RollingUpdate\n", []string{"PI-13", "strategy.type RollingUpdate", "persistence.accessMode ReadWriteOnce"}, nil},
		{"PI-13 a rolling update of one replica on an existing claim", "persistence:\n  existingClaim: data\nstrategy:\n  type: RollingUpdate\n", []string{"PI-13", "existingClaim data"}, nil},
		{"PI-13 a surging update of one replica with local stores on a shared volume", "persistence:\n  accessMode: ReadWriteMany\nstrategy:\n  type: RollingUpdate\n", []string{"PI-13", "kotaemon.externalStores", "maxSurge 0"}, nil},
		{"a rolling update that can never move", "replicaCount: 2\nkotaemon:\n  externalStores: true\npersistence:\n  enabled: false\nstrategy:\n  rollingUpdate:\n    maxSurge: 0%\n", []string{"strategy.rollingUpdate.maxSurge", "both 0"}, nil},
		{"a surge that is neither a number nor a percentage", "strategy:\n  type: RollingUpdate\n  rollingUpdate:\n    maxSurge: \"2\"\n", []string{"/strategy/rollingUpdate/maxSurge"}, nil},
		{"a budget of 60 percent of two replicas", "replicaCount: 2\nkotaemon:\n  externalStores: true\npersistence:\n  enabled: false\npdb:\n  minAvailable: 60%\n", []string{"pdb", "minAvailable 60%", "no eviction"}, nil},
		{"protected metrics scraped without a JWT", "metrics:\n  enabled: true\n  serviceMonitor:\n    enabled: true\nhealth:\n  auth:\n    mode: jwt\n    existingSecret: jwt\n    protectMetrics: true\n    jwt:\n      secretKey: hs\n", []string{"metrics.serviceMonitor.credentials", "jwt"}, []string{"wrapper", "sidecar"}},
		{"scrape credentials without a key", "metrics:\n  serviceMonitor:\n    credentials: {name: prom-token}\n", []string{"metrics.serviceMonitor.credentials", "both name and key"}, nil},
		{"PI-13 Recreate for more replicas", "replicaCount: 2\nkotaemon:\n  externalStores: true\npersistence:\n  enabled: false\nstrategy:\n  type: Recreate\n", []string{"PI-13", "strategy.type Recreate"}, nil},
		{"PI-13 maxUnavailable above 0 for more replicas", "replicaCount: 2\nkotaemon:\n  externalStores: true\npersistence:\n  enabled: false\nstrategy:\n  rollingUpdate:\n    maxUnavailable: 25%\n", []string{"PI-13", "strategy.rollingUpdate.maxUnavailable 25%"}, nil},
		{"rollingUpdate fields with Recreate", "strategy:\n  rollingUpdate:\n    maxSurge: 2\n", []string{"strategy.rollingUpdate", "strategy.type RollingUpdate"}, nil},
		{"an unknown strategy type", "strategy:\n  type: BlueGreen\n", []string{"/strategy/type"}, nil},
		{"a budget that allows no eviction", "replicaCount: 2\nkotaemon:\n  externalStores: true\npersistence:\n  enabled: false\npdb:\n  minAvailable: 2\n", []string{"pdb", "minAvailable 2", "no eviction"}, nil},
		{"a budget of 0 unavailable", "replicaCount: 2\nkotaemon:\n  externalStores: true\npersistence:\n  enabled: false\npdb:\n  minAvailable: null\n  maxUnavailable: 0\n", []string{"pdb", "maxUnavailable 0", "no eviction"}, nil},
		{"a budget with both bounds", "replicaCount: 2\nkotaemon:\n  externalStores: true\npersistence:\n  enabled: false\npdb:\n  maxUnavailable: 1\n", []string{"pdb.minAvailable and pdb.maxUnavailable"}, nil},
		{"an extra volume named like the chart's", "extraVolumes:\n  - {name: data, emptyDir: {}}\n", []string{"extraVolumes[0].name", "data"}, nil},
		{"an extra container named like the chart's", "extraContainers:\n  - {name: health-agent, image: busybox}\n", []string{"extraContainers[0].name", "health-agent"}, nil},
		{"an extra init container named like the chart's", "extraInitContainers:\n  - {name: install-health-agent, image: busybox}\n", []string{"extraInitContainers[0].name", "install-health-agent"}, nil},
		{"an extra mount of a chart volume", "kotaemon:\n  extraVolumeMounts:\n    - {name: tmp, mountPath: /scratch}\n", []string{"kotaemon.extraVolumeMounts[0].name", "tmp"}, nil},
		{"an extra volume without a name", "extraVolumes:\n  - {emptyDir: {}}\n", []string{"/extraVolumes/0", "name"}, nil},
		{"an envFrom source that is neither a Secret nor a ConfigMap", "kotaemon:\n  extraEnvFrom:\n    - {prefix: X_}\n", []string{"/kotaemon/extraEnvFrom/0"}, nil},
		{"flowsettings given twice", "kotaemon:\n  flowsettings: \"x = 1\"\n  flowsettingsConfigMap: mine\n", []string{"kotaemon.flowsettings", "kotaemon.flowsettingsConfigMap"}, nil},
		{"a generated token under GitOps", "health:\n  auth:\n    mode: token\n    requireExistingSecret: true\n", []string{"health.auth.requireExistingSecret", "health.auth.existingSecret"}, []string{"wrapper", "sidecar"}},
		{"a node port on a ClusterIP Service", "service:\n  nodePort: 30080\n", []string{"service.nodePort", "ClusterIP"}, nil},
		{"a node port out of range", "service:\n  type: NodePort\n  nodePort: 70000\n", []string{"/service/nodePort"}, nil},
		{"a traffic policy on a ClusterIP Service", "service:\n  externalTrafficPolicy: Local\n", []string{"service.externalTrafficPolicy", "ClusterIP"}, nil},
		{"load balancer ranges on a NodePort Service", "service:\n  type: NodePort\n  loadBalancerSourceRanges: [10.0.0.0/8]\n", []string{"service.loadBalancerSourceRanges", "LoadBalancer"}, nil},
		{"an unknown session affinity", "service:\n  sessionAffinity: Cookie\n", []string{"/service/sessionAffinity"}, nil},
		{"an HTTPRoute without a gateway", "httpRoute:\n  enabled: true\n", []string{"httpRoute.parentRefs"}, nil},
		{"an HTTPRoute without paths", "httpRoute:\n  enabled: true\n  parentRefs: [{name: gw}]\n  paths: []\n", []string{"httpRoute.paths"}, nil},
		{"PI-10 an HTTPRoute path on /metrics", "httpRoute:\n  enabled: true\n  parentRefs: [{name: gw}]\n  paths:\n    - {path: /metrics}\n", []string{"PI-10", "httpRoute.paths[0].path"}, nil},
		{"PI-10 an HTTPRoute path under the ready path", "httpRoute:\n  enabled: true\n  parentRefs: [{name: gw}]\n  paths:\n    - {path: /x}\n    - {path: /health/ready/}\n", []string{"PI-10", "httpRoute.paths[1].path"}, nil},
		{"a check named like the bundled Ollama's", "image:\n  flavour: ollama\nhealth:\n  checks:\n    - {name: bundled-ollama, type: tcp, address: \"db:5432\", critical: true, intervalSeconds: 10, timeoutSeconds: 2}\n", []string{"health.checks[0].name", "bundled Ollama"}, nil},
		{"an empty Ollama command", "kotaemon:\n  ollama:\n    command: []\n", []string{"/kotaemon/ollama/command"}, nil},
		{"a mirror with a space", "global:\n  imageRegistry: \"my mirror\"\n", []string{"/global/imageRegistry"}, nil},
		{"an agent image without a digest", "health:\n  image:\n    digest: \"\"\n", []string{"/health/image/digest"}, nil},
		{"an agent digest that is not sha256", "health:\n  image:\n    digest: \"md5:0123\"\n", []string{"/health/image/digest"}, nil},
		{"an agent registry with a scheme", "health:\n  image:\n    registry: \"https://ghcr.io/acme\"\n", []string{"/health/image/registry"}, nil},
		{"an agent tag with a digest in it", "health:\n  image:\n    tag: \"0.1.0@sha256:00\"\n", []string{"/health/image/tag"}, nil},
		{"a namespace override that is no name", "namespaceOverride: AI_Team\n", []string{"/namespaceOverride"}, nil},
	}
	require.GreaterOrEqual(t, len(cases), 60)
	dir := t.TempDir()
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			file := filepath.Join(dir, filepath.Base(t.Name())+".yaml")
			require.NoError(t, os.WriteFile(file, []byte(c.values), 0o644), "case %d", i)
			modes := c.only
			if modes == nil {
				modes = chart.Modes
			}
			for _, mode := range modes {
				renders := map[string]func(*testing.T, []string, map[string]string) (string, error){"in process": renderInProcess}
				if i%8 == 0 {
					renders["helm binary"] = render
				}
				for how, renderWith := range renders {
					set := map[string]string{"health.mode": mode}
					if mode == "" {
						set = nil
					}
					out, err := renderWith(t, []string{file}, set)
					if !assert.Error(t, err, "%s, %s mode, must refuse:\n%s", how, mode, c.values) {
						continue
					}
					for _, w := range c.want {
						assert.Contains(t, err.Error(), w, "%s, %s mode", how, mode)
					}
					assert.Empty(t, out, "%s, %s mode: nothing is rendered", how, mode)
				}
			}
		})
	}
}
