# The pinned helm (a `tool` in go.mod) built into bin/ and put first on PATH, so neither
# make nor terratest (which shells out to `helm`) ever needs a helm installed by hand.
# The ldflags are the ones helm's release build sets: without them a helm built from
# source reports itself as a dev build and templates against Kubernetes v1.20.
BIN := $(CURDIR)/bin
export PATH := $(BIN):$(PATH)
HELM := $(BIN)/helm
HELM_VERSION := v3.22.0
# The Kubernetes version renders and lint target (the embedded cluster's; test/chart has the same).
KUBE_VERSION := v1.34.4
HELM_KUBE_MINOR := $(word 2,$(subst ., ,$(KUBE_VERSION)))
HELM_LDFLAGS := -X helm.sh/helm/v3/internal/version.version=$(HELM_VERSION) \
	-X helm.sh/helm/v3/internal/version.gitTreeState=clean \
	-X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1 \
	-X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=$(HELM_KUBE_MINOR) \
	-X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=1 \
	-X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=$(HELM_KUBE_MINOR)

$(HELM): go.mod go.sum make/tools.mk
	@mkdir -p $(BIN)
	go build -ldflags '$(HELM_LDFLAGS)' -o $(HELM) helm.sh/helm/v3/cmd/helm

.PHONY: tools
tools: $(HELM) ## build the pinned helm into bin/
