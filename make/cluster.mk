# The embedded local cluster (cluster/README.md): real Kubernetes (make/versions.mk) built from the
# Go module proxy, containerd/runc/CNI from Debian, inside the network namespace
# `kotaemon-k8s` with no route off the machine. The logic is Go (cluster/localcluster);
# these targets are its front door. Needs root on Linux; anywhere else, point KUBECONFIG
# at any cluster (kind, minikube, a real one) instead.
#
# For the other suites:
#   $(CLUSTER_EXEC) <cmd>   runs <cmd> inside the embedded cluster's network namespace with
#                           KUBECONFIG (and CONTAINERD_ADDRESS for ctr) set, e.g.
#                           $(CLUSTER_EXEC) go test ./test/deploy/...
#   $(KUBE_EXEC) <cmd>      the same, except that when KUBECONFIG is already set it runs
#                           <cmd> as is, against that cluster.
#   cluster-ensure          a prerequisite: nothing when KUBECONFIG is set, else cluster-up.
# A target that uses $(CLUSTER_EXEC) depends on cluster-up (or cluster-ensure), which also
# builds $(LOCALCLUSTER). The command keeps its working directory and environment; PATH
# gains the cluster's kubectl (after any other), bin/ (helm) is already on it.
# Commands run inside the namespace cannot reach the Go module proxy: build test binaries
# (and anything they `go build`) before, as test-deploy does.

LOCALCLUSTER       := $(BIN)/localcluster
CLUSTER_KUBECONFIG := $(CURDIR)/.cache/cluster/kubeconfig
CLUSTER_EXEC       := $(LOCALCLUSTER) --repo $(CURDIR) exec --
KUBE_EXEC           = $(if $(KUBECONFIG),,$(CLUSTER_EXEC))

LOCALCLUSTER_SRC := $(shell find cluster cmd/localcluster cmd/pause ociimage versions -name '*.go' -not -path 'cluster/build/*' -not -name '*_test.go' 2>/dev/null)

$(LOCALCLUSTER): $(LOCALCLUSTER_SRC) go.mod go.sum
	@mkdir -p $(BIN)
	go build -o $@ ./cmd/localcluster

.PHONY: cluster-build cluster-up cluster-down cluster-status load-images test-cluster cluster-ensure cluster-exec

cluster-build: $(LOCALCLUSTER) ## build the cluster's components into the cache without starting them
	$(LOCALCLUSTER) --repo $(CURDIR) build

cluster-up: $(LOCALCLUSTER) ## start the embedded cluster (builds components once into a cache, loads dist/*.tar)
	$(LOCALCLUSTER) --repo $(CURDIR) up

cluster-down: $(LOCALCLUSTER) ## stop the embedded cluster and remove everything cluster-up made
	$(LOCALCLUSTER) --repo $(CURDIR) down

cluster-status: $(LOCALCLUSTER) ## show the embedded cluster's components and readiness
	$(LOCALCLUSTER) --repo $(CURDIR) status

load-images: $(LOCALCLUSTER) ## import dist/*.tar (or IMAGES='a.tar b.tar') into the embedded cluster
	$(LOCALCLUSTER) --repo $(CURDIR) load-images $(IMAGES)

# The smoke test proves the embedded cluster itself (it imports its images with ctr), so
# it always runs there, whatever KUBECONFIG says.
test-cluster: cluster-up ## run the embedded cluster's smoke test inside its network namespace
	go test -c -o $(BIN)/cluster-smoke.test ./test/smoke
	cd test/smoke && KOTAEMON_REQUIRE_CLUSTER=1 $(CLUSTER_EXEC) $(BIN)/cluster-smoke.test -test.v -test.count=1 -test.timeout=10m

cluster-ensure: ## use KUBECONFIG when set, else bring the embedded cluster up
	$(if $(KUBECONFIG),@echo "using the cluster in KUBECONFIG=$(KUBECONFIG)",$(MAKE) --no-print-directory cluster-up)

cluster-exec: $(LOCALCLUSTER) ## run CMD inside the embedded cluster's namespace, e.g. make cluster-exec CMD='kubectl get pods -A'
	$(CLUSTER_EXEC) $(CMD)
