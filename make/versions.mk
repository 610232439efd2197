# The pinned versions: the one file to change. make includes it, and Go reads the same
# values as the constants of package versions (versions/versions.go, written from this
# file by `make generate`; a test fails when the two drift, and when a build module's
# go.mod pins another version). The agent image's name and tag live in the chart's
# values.yaml (health.image), where users override them.
KUBE_VERSION        := v1.34.4
HELM_VERSION        := v3.22.0
ETCD_VERSION        := v3.6.4
COREDNS_VERSION     := v1.12.1
KUBE_ROUTER_VERSION := v2.1.0
KUBE_SCORE_VERSION  := v1.20.0
GREMLINS_VERSION    := v0.6.0
