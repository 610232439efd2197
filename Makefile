# Front door. Each area owns one fragment under make/: chart.mk (chart, render suite),
# agent.mk (the health agent, its image and benchmarks), cluster.mk (the embedded cluster),
# bench.mk (docs/BENCHMARKS.md).
SHELL := bash
.DEFAULT_GOAL := help
ENV ?= dev

include make/versions.mk make/tools.mk
include $(filter-out make/versions.mk make/tools.mk,$(wildcard make/*.mk))

.PHONY: help
help: ## list the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | sort | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

# With KUBECONFIG set the deploy suite runs against that cluster; without it the embedded
# cluster is started, smoke-tested, and used.
.PHONY: test test-unit vet
test: vet test-unit test-render $(if $(strip $(KUBECONFIG)),,test-cluster) test-deploy ## run every suite: vet, unit, render, and the cluster suites (KUBECONFIG or the embedded cluster)

# Every package with tests that needs neither helm nor a cluster: the agent, the
# stand-ins, the invariants package, the image builder, the cluster's own code, the tools.
# (Packages without tests are left out: test/chart links terratest, whose dependencies
# would only be compiled again with -race.)
UNIT_PKGS = $(shell go list -f '{{if or .TestGoFiles .XTestGoFiles}}{{.ImportPath}}{{end}}' ./... | grep -v -e /test/render -e /test/deploy -e /test/smoke)

test-unit: ## unit tests of every package that needs neither helm nor a cluster, with the race detector
	go test -race -count=1 $(UNIT_PKGS)

vet: ## go vet over every package, the benchmarks' build-tagged files included
	go vet ./...
	go vet -tags bench ./test/deploy
