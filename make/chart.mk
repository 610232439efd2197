# The chart and its render suite. ENV names a file of values/ (dev, staging, prod, ...).
CHART := charts/kotaemon
RELEASE ?= kotaemon
NAMESPACE ?= kotaemon
VALUES_FILE = values/$(ENV).yaml
GO_TEST ?= go test
# Test binaries here link helm, client-go and terratest: without DWARF they link in half
# the time (stack traces keep file:line). Suites take the helm make built from HELM.
SUITE_ENV = HELM=$(HELM) HELM4=$(HELM4) HELM_DOCS=$(HELM_DOCS) KUBE_SCORE=$(KUBE_SCORE) PROMTOOL=$(PROMTOOL) APIVALIDATE=$(APIVALIDATE) KOTAEMON_REQUIRE_CLUSTER=1

.PHONY: test-render test-deploy test-deploy-mutants test-deploy-loaded lint template install uninstall docs golden package publish bump

# The chart archive `make package` writes; the deploy suite installs exactly this file.
CHART_VERSION = $(shell sed -n 's/^version: //p' $(CHART)/Chart.yaml)
CHART_ARCHIVE = $(CURDIR)/dist/kotaemon-$(CHART_VERSION).tgz

package: $(HELM) ## write the chart archive dist/kotaemon-<version>.tgz (what the deploy suite installs)
	$(HELM) package $(CHART) --destination dist

# Publishing is for a release (the forge's workflow runs exactly this on a version tag),
# never CI; the deploy suite runs it against a registry on the embedded cluster's network
# and installs the chart from there. The agent image is pushed first, then the archive
# that names it (dist/publish/: values.yaml's health.image names REGISTRY and the digest).
PUBLISH_ARCHIVE = $(CURDIR)/dist/publish/kotaemon-$(CHART_VERSION).tgz
publish: $(HELM) ## push the agent image and the chart that names it to REGISTRY=<host>/<path> (helm registry login and docker config credentials; PLAIN_HTTP=true for a registry without TLS)
	@test -n "$(REGISTRY)" || { echo "publish: set REGISTRY=<host>/<path>, e.g. your forge's container registry" >&2; exit 2; }
	rm -f $(PUBLISH_ARCHIVE)
	go run ./cmd/chartrelease publish -chart $(CHART) -registry $(REGISTRY) -out $(dir $(PUBLISH_ARCHIVE))
	$(HELM) push $(PUBLISH_ARCHIVE) oci://$(REGISTRY)$(if $(filter true,$(PLAIN_HTTP)), --plain-http)

bump: ## set the chart's version (and the agent image tag, which moves with it) to VERSION, APP_VERSION optional; CHANGELOG.md needs a "## VERSION" section first
	@test -n "$(VERSION)" || { echo "bump: set VERSION=x.y.z" >&2; exit 2; }
	go run ./cmd/chartrelease bump -chart $(CHART) -changelog CHANGELOG.md -version $(VERSION) $(if $(APP_VERSION),-app-version $(APP_VERSION))
	$(MAKE) --no-print-directory pin-agent

test-render: $(HELM) $(HELM4) $(HELM_DOCS) $(KUBE_SCORE) $(PROMTOOL) $(APIVALIDATE) ## render suite: every values file x every mode, invariants, bad values, property test (no cluster)
	$(SUITE_ENV) $(GO_TEST) -count=1 -ldflags='-s -w' ./test/render/...

# The chart from source names no registry for the agent image (the published one does):
# lint and template as if published to a registry that cannot exist (.test is reserved).
AS_PUBLISHED = --set health.image.registry=registry.test/kotaemon

lint: $(HELM) ## helm lint --strict with every values file in every health mode, and go vet
	@for f in values/*.yaml; do for m in wrapper sidecar none; do echo "lint $$f ($$m)"; \
		$(HELM) lint --strict $(CHART) -f $$f --set health.mode=$$m $(AS_PUBLISHED) --kube-version $(KUBE_VERSION) >/dev/null \
		|| { $(HELM) lint --strict $(CHART) -f $$f --set health.mode=$$m $(AS_PUBLISHED) --kube-version $(KUBE_VERSION); exit 1; }; done; done
	$(MAKE) --no-print-directory vet

template: $(HELM) ## render one environment: make template ENV=prod
	@test -f $(VALUES_FILE) || { echo "no values file $(VALUES_FILE) (ENV=$(ENV))" >&2; exit 2; }
	$(HELM) template $(RELEASE) $(CHART) -f $(VALUES_FILE) $(AS_PUBLISHED) --namespace $(NAMESPACE) --kube-version $(KUBE_VERSION)

# The main job, in Go (cmd/kotaemonctl, package release): render the chart, put the
# images it needs where the nodes find them, install or upgrade, and wait until Ready
# with a line per change (or stop with the cause and the next step). First, in seconds,
# the preflight: without KUBECONFIG every image but the agent's must be cached or
# reachable, or nothing is built. Without KUBECONFIG it brings the embedded cluster up
# and imports the images there: the agent's from `make image` (by its digest),
# Kotaemon's pulled on this machine's network into a cache outside the clone. With
# KUBECONFIG: a kind cluster gets the agent image loaded; REGISTRY=host/path pushes it
# there (make push) and the release pulls it from there.
KOTAEMONCTL := $(BIN)/kotaemonctl
INSTALL_ARGS ?=
TIMEOUT ?= 5m
CTL_FLAGS = -repo $(CURDIR) -release $(RELEASE) -namespace $(NAMESPACE)

.PHONY: $(KOTAEMONCTL) status demo advise
$(KOTAEMONCTL):
	@mkdir -p $(BIN)
	go build -o $@ ./cmd/kotaemonctl

install: $(KOTAEMONCTL) ## install ENV (default dev) into the cluster in KUBECONFIG, or the embedded local cluster, and wait until Ready
	@test -f $(VALUES_FILE) || { echo "no values file $(VALUES_FILE) (ENV=$(ENV))" >&2; exit 2; }
	$(KOTAEMONCTL) preflight $(CTL_FLAGS) -f $(VALUES_FILE) $(INSTALL_ARGS)
	$(MAKE) --no-print-directory image
	$(if $(strip $(KUBECONFIG)),,$(MAKE) --no-print-directory cluster-up)
	$(if $(REGISTRY),$(MAKE) --no-print-directory push REGISTRY=$(REGISTRY))
	$(KOTAEMONCTL) install $(CTL_FLAGS) -f $(VALUES_FILE) -timeout $(TIMEOUT) $(if $(REGISTRY),-registry $(REGISTRY)) $(INSTALL_ARGS)

status: $(KOTAEMONCTL) ## the release, its pods, their probes and the health agent's last state changes
	$(KOTAEMONCTL) status $(CTL_FLAGS)

advise: $(KOTAEMONCTL) ## write values/ENV.advised.yaml: probe values from how the release ENV runs really starts and stalls
	@test -f $(VALUES_FILE) || { echo "no values file $(VALUES_FILE) (ENV=$(ENV))" >&2; exit 2; }
	$(KOTAEMONCTL) advise $(CTL_FLAGS) -f $(VALUES_FILE) $(ADVISE_ARGS)

uninstall: $(KOTAEMONCTL) ## remove the release (the data PVC is kept: helm.sh/resource-policy keep)
	$(KOTAEMONCTL) uninstall $(CTL_FLAGS)

# The probes at work, offline: the chart with the Kotaemon stand-in (package demo).
demo: $(KOTAEMONCTL) ## install the chart with the Kotaemon stand-in and play slow start, outage, deadlock, crash (FAULT=deadlock plays one)
	$(MAKE) --no-print-directory image
	$(if $(strip $(KUBECONFIG)),,$(MAKE) --no-print-directory cluster-up)
	$(KOTAEMONCTL) demo -repo $(CURDIR) $(if $(FAULT),-fault $(FAULT))

docs: $(HELM_DOCS) ## write the chart README (README.md.gotmpl + the values table from values.yaml's `# --` comments)
	$(HELM_DOCS) --chart-search-root $(CHART) --template-files README.md.gotmpl --sort-values-order file

# The suite builds its images (the agent for both architectures, the stand-ins') and runs `make publish` inside the cluster's network namespace, where there is
# no network: DEPLOY_PREFETCH (also run by bench-cluster) fetches their modules (and the
# agent's pinned toolchain, when this machine's Go is another) and warms the cache first.
# Scenarios mostly wait on the kubelet, so many run at once.
DEPLOY_PARALLEL ?= 16
DEPLOY_PREFETCH = $(AGENT_IMAGEBUILD) -out $(AGENT_DIST) >/dev/null && go build -o /dev/null ./cmd/standin \
	&& go build -o /dev/null ./cmd/chartrelease
DEPLOY_RUN ?= .

test-deploy: cluster-ensure $(HELM) package ## deploy suite: installs the chart and proves PB-01..PB-10 in a real cluster (KUBECONFIG, or the embedded one); DEPLOY_RUN=regexp picks scenarios
	$(GO_TEST) -c -ldflags='-s -w' -o $(BIN)/deploy.test ./test/deploy
	$(DEPLOY_PREFETCH)
	# The CRDs the suite installs come from these modules' files (test/kube/crds.go).
	go mod download sigs.k8s.io/gateway-api github.com/prometheus-operator/prometheus-operator@$(PROMETHEUS_OPERATOR_VERSION)
	cd test/deploy && $(SUITE_ENV) KOTAEMON_CHART_ARCHIVE=$(CHART_ARCHIVE) $(KUBE_EXEC) $(BIN)/deploy.test -test.v -test.count=1 -test.timeout=30m \
		-test.parallel=$(DEPLOY_PARALLEL) -test.run='$(DEPLOY_RUN)'

# The mutation run: each PB test against the broken chart variants it exists to catch
# (test/mutants), every release installed through cmd/chartmutant. About 6 min on 2
# cores; CI runs it after `make test` (docs/invariants.md, "The deploy suite's mutation
# run"). MUTANTS=a,b picks variants.
MUTANTS ?=
test-deploy-mutants: cluster-ensure $(HELM) package ## run every PB test against the chart bugs it exists to catch and print the table (MUTANTS=a,b picks variants)
	$(GO_TEST) -c -ldflags='-s -w' -o $(BIN)/deploy.test ./test/deploy
	go build -o $(BIN)/chartmutant ./cmd/chartmutant
	go build -o $(BIN)/deploymutants ./cmd/deploymutants
	$(DEPLOY_PREFETCH)
	go mod download sigs.k8s.io/gateway-api github.com/prometheus-operator/prometheus-operator@$(PROMETHEUS_OPERATOR_VERSION)
	cd test/deploy && $(SUITE_ENV) KOTAEMON_CHART_ARCHIVE=$(CHART_ARCHIVE) $(KUBE_EXEC) $(BIN)/deploymutants \
		-deploy $(BIN)/deploy.test -renderer $(BIN)/chartmutant -logs $(CURDIR)/.cache/artifacts/mutants \
		-parallel $(DEPLOY_PARALLEL) -variants '$(MUTANTS)'

# The deploy suite on a busy machine: RUNS runs in a row while a CPU hog keeps every core
# busy, and the table of failures per test (flakes: the goal is none).
RUNS ?= 5
test-deploy-loaded: cluster-ensure $(HELM) package ## run the deploy suite RUNS times (5) with every core kept busy, and print failures per test
	$(GO_TEST) -c -ldflags='-s -w' -o $(BIN)/deploy.test ./test/deploy
	go build -o $(BIN)/deployloaded ./cmd/deployloaded
	$(DEPLOY_PREFETCH)
	go mod download sigs.k8s.io/gateway-api github.com/prometheus-operator/prometheus-operator@$(PROMETHEUS_OPERATOR_VERSION)
	cd test/deploy && $(SUITE_ENV) KOTAEMON_CHART_ARCHIVE=$(CHART_ARCHIVE) $(KUBE_EXEC) $(BIN)/deployloaded \
		-deploy $(BIN)/deploy.test -logs $(CURDIR)/.cache/artifacts/loaded -runs $(RUNS) -parallel $(DEPLOY_PARALLEL) -run '$(DEPLOY_RUN)'

golden: $(HELM) $(APIVALIDATE) ## rewrite the render suite's golden renders (test/render/testdata/golden) after a deliberate chart change; review the diff
	UPDATE_GOLDEN=1 $(SUITE_ENV) $(GO_TEST) -count=1 -ldflags='-s -w' -run '^TestEveryValuesFileInEveryModeRendersAsItsGoldenFile$$' ./test/render
