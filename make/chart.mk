# The chart and its render suite. ENV names a file of values/ (dev, staging, prod, ...).
CHART := charts/kotaemon
RELEASE ?= kotaemon
NAMESPACE ?= kotaemon
VALUES_FILE = values/$(ENV).yaml
GO_TEST ?= go test

.PHONY: test-render lint template install uninstall docs

test-render: $(HELM) ## render suite: every values file x every mode, invariants, bad values, property test (no cluster)
	$(GO_TEST) -count=1 ./test/invariants/... ./test/render/...

lint: $(HELM) ## helm lint --strict with every values file, and go vet
	@for f in values/*.yaml; do echo "lint $$f"; $(HELM) lint --strict $(CHART) -f $$f --kube-version v1.34.4 >/dev/null || { $(HELM) lint --strict $(CHART) -f $$f --kube-version v1.34.4; exit 1; }; done
	go vet ./...

template: $(HELM) ## render one environment: make template ENV=prod
	@test -f $(VALUES_FILE) || { echo "no values file $(VALUES_FILE) (ENV=$(ENV))" >&2; exit 2; }
	$(HELM) template $(RELEASE) $(CHART) -f $(VALUES_FILE) --namespace $(NAMESPACE) --kube-version v1.34.4
