# The pinned versions: the one file to change. make includes it, and Go reads the same
# values as the constants of package versions (versions/versions.go, written from this
# file by `make generate`; a test fails when the two drift, and when a build module's
# go.mod pins another version). The agent image's name, tag and digest live in the
# chart's values.yaml (health.image), where users override them.
KUBE_VERSION        := v1.34.4
HELM_VERSION        := v3.22.0
ETCD_VERSION        := v3.6.4
COREDNS_VERSION     := v1.12.1
KUBE_ROUTER_VERSION := v2.1.0
KUBE_SCORE_VERSION  := v1.20.0
GREMLINS_VERSION    := v0.6.0
# Prometheus 3.16's Go module version: promtool checks and unit-tests the chart's alerts.
PROMETHEUS_VERSION  := v0.316.0
# helm v4: the render suite renders every values file with it too, and compares.
HELM4_VERSION       := v4.3.1
# helm-docs: writes the chart README's values table from values.yaml's `# --` comments.
HELM_DOCS_VERSION   := v1.14.2
# prometheus-operator: its CRDs (ServiceMonitor, PrometheusRule) in the deploy suite.
PROMETHEUS_OPERATOR_VERSION := v0.85.0
# The Go toolchain that builds the agent's release image (GOTOOLCHAIN): another Go
# release compiles other bytes, so the image's digest, pinned in values.yaml, needs it.
AGENT_GO_VERSION    := go1.26.8
