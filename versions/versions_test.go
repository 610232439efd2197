package versions

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// root is the repository root, seen from this package's directory.
const root = ".."

// constants maps each variable of make/versions.mk to its generated constant.
var constants = map[string]string{
	"KUBE_VERSION":                Kubernetes,
	"HELM_VERSION":                Helm,
	"ETCD_VERSION":                Etcd,
	"COREDNS_VERSION":             CoreDNS,
	"KUBE_ROUTER_VERSION":         KubeRouter,
	"KUBE_SCORE_VERSION":          KubeScore,
	"GREMLINS_VERSION":            Gremlins,
	"PROMETHEUS_VERSION":          Prometheus,
	"PROMETHEUS_OPERATOR_VERSION": PrometheusOperator,
	"HELM4_VERSION":               Helm4,
	"HELM_DOCS_VERSION":           HelmDocs,
	"AGENT_GO_VERSION":            AgentGo,
}

// makeVersions reads the `NAME := value` lines of make/versions.mk.
func makeVersions(t *testing.T) map[string]string {
	t.Helper()
	f, err := os.Open(filepath.Join(root, "make", "versions.mk"))
	require.NoError(t, err)
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, value, ok := strings.Cut(line, ":=")
		require.True(t, ok, "make/versions.mk: %q is not a NAME := value line", line)
		out[strings.TrimSpace(name)] = strings.TrimSpace(value)
	}
	require.NoError(t, sc.Err())
	return out
}

func TestTheGeneratedConstantsAreMakeVersionsMk(t *testing.T) {
	pinned := makeVersions(t)
	for name, value := range pinned {
		c, ok := constants[name]
		if assert.True(t, ok, "make/versions.mk sets %s, which has no constant: add it to `make generate` and to this test", name) {
			assert.Equal(t, value, c, "%s: versions/versions.go is stale: run `make generate`", name)
		}
	}
	assert.Len(t, pinned, len(constants), "a constant has no line in make/versions.mk")
}

// requiredVersion is the version a go.mod gives module (require or tool line).
func requiredVersion(t *testing.T, gomod, module string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, gomod))
	require.NoError(t, err)
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(strings.TrimPrefix(strings.TrimSpace(line), "require "))
		if len(f) >= 2 && f[0] == module && strings.HasPrefix(f[1], "v") {
			return f[1]
		}
	}
	t.Fatalf("%s does not require %s", gomod, module)
	return ""
}

// Every build module pins the version make/versions.mk names, so a version is changed
// in one file and a module that was not updated (`go get module@version` in its
// directory) fails here instead of building something else.
func TestBuildModulesPinTheVersionsOfMakeVersionsMk(t *testing.T) {
	cases := []struct{ gomod, module, want string }{
		{"go.mod", "helm.sh/helm/v3", Helm},
		{"cluster/build/kubernetes/go.mod", "k8s.io/kubernetes", Kubernetes},
		{"test/apivalidation/go.mod", "k8s.io/kubernetes", Kubernetes},
		{"cluster/build/etcd/go.mod", "go.etcd.io/etcd/server/v3", Etcd},
		{"cluster/build/coredns/go.mod", "github.com/coredns/coredns", CoreDNS},
		{"cluster/build/kube-router/go.mod", "github.com/cloudnativelabs/kube-router/v2", KubeRouter},
	}
	for _, c := range cases {
		t.Run(c.gomod+" "+c.module, func(t *testing.T) {
			assert.Equal(t, c.want, requiredVersion(t, c.gomod, c.module))
		})
	}
}

// Kubernetes' staging modules (k8s.io/api, ...) are replaced by their releases of the
// same version: v0.<minor>.<patch> for v1.<minor>.<patch>, in every module that builds
// from k8s.io/kubernetes (the cluster's components, the render suite's API validation).
func TestKubernetesStagingModulesFollowTheKubernetesVersion(t *testing.T) {
	for _, gomod := range []string{"cluster/build/kubernetes/go.mod", "test/apivalidation/go.mod"} {
		t.Run(gomod, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(gomod)))
			require.NoError(t, err)
			want := "v0." + strings.TrimPrefix(Kubernetes, "v1.")
			n := 0
			for _, line := range strings.Split(string(b), "\n") {
				f := strings.Fields(line)
				if len(f) == 4 && f[1] == "=>" && strings.HasPrefix(f[0], "k8s.io/") {
					n++
					assert.Equal(t, want, f[3], "replace of %s", f[0])
				}
			}
			assert.Positive(t, n, "no staging replace lines found")
		})
	}
}
