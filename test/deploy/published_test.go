package deploy

import (
	"context"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/gruntwork-io/terratest/modules/helm"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"kotaemon-k8s/agentimage"
	"kotaemon-k8s/cluster/localcluster"
	"kotaemon-k8s/ociimage"
	"kotaemon-k8s/standin"
	"kotaemon-k8s/test/chart"
	"kotaemon-k8s/test/kube"
)

// A user installs the published chart.
// Created: an OCI registry on the cluster's own network, which the cluster's containerd
// is told to pull from; `make publish` (what the release workflow runs) pushes the agent
// image and the chart that names it there; the Kotaemon stand-in is pushed there too, in
// place of Kotaemon's image.
// Happens: `helm install oci://<registry>/kotaemon` with the chart's default values and
// only what a user must set (the Kotaemon image: this cluster cannot reach Kotaemon's;
// and, since its tag names no Kotaemon version, the command).
// Must hold: the release becomes Ready and `helm test` passes; the pods run the agent
// image the chart pins, <registry>/kotaemon-health:<tag>@<digest of values.yaml>, and the
// kubelet pulled it from the registry by that digest (it was not loaded into the node).
func TestAUserInstallsThePublishedChartFromARegistry(t *testing.T) {
	t.Parallel()
	c := kube.Connect(t, "make test-deploy")
	reg := startRegistry(t, c)
	r := releaseIn(t, c, c.Namespace(t, "published"))
	registry := reg.host + "/" + r.ns // a path of its own: runs never share a name

	publish := exec.Command("make", "--no-print-directory", "-C", chart.Root(), "publish", "REGISTRY="+registry, "PLAIN_HTTP=true")
	out, err := publish.CombinedOutput()
	require.NoError(t, err, "make publish:\n%s", out)
	t.Logf("make publish:\n%s", out)
	standinRef := pushProgram(t, registry, standin.Image)
	pin, err := agentimage.ReadPin(filepath.Join(chart.Dir(), "values.yaml"))
	require.NoError(t, err)
	pin.Registry = registry

	r.tl.Mark("helm-install", "oci://"+registry+"/kotaemon")
	repo, tag := splitRef(standinRef)
	install, err := helm.RunHelmCommandAndGetOutputE(t, r.opts, "install", releaseName, "oci://"+registry+"/kotaemon",
		"--version", chartVersion(t), "--plain-http", "--set", "image.repository="+repo, "--set", "image.tag="+tag,
		// The stand-in's tag names no Kotaemon version, so the chart needs the command
		// (docs/kotaemon.md, "Image versions"); it is where 0.11.2 and later keep Python.
		"--set", "kotaemon.command={"+standin.Python+",app.py}")
	require.NoError(t, err, "helm install from the registry:\n%s", install)
	pod := r.onePod()
	r.awaitReady(pod, "with the published chart's defaults", 5*time.Minute)
	test, err := r.helmTest()
	require.NoError(t, err, "helm test:\n%s", test)
	assert.Contains(t, test, "Phase:          Succeeded")

	d := r.deployment()
	agentContainer := d.Spec.Template.Spec.InitContainers[0]
	assert.Equal(t, pin.Ref(), agentContainer.Image, "the published chart names its registry and the digest values.yaml pins")
	p, why := r.pod(context.Background(), pod)
	require.NotNil(t, p, why)
	for _, s := range p.Status.InitContainerStatuses {
		if s.Name == agentContainer.Name {
			assert.True(t, strings.HasSuffix(s.ImageID, "@"+pin.Digest), "the container runs the pinned content: %s", s.ImageID)
		}
	}
	manifest := "/v2/" + r.ns + "/" + agentimage.Repository + "/manifests/" + pin.Digest
	assert.True(t, slices.ContainsFunc(reg.requests(), func(req string) bool { return strings.HasSuffix(req, " "+manifest) }),
		"the kubelet resolved the agent image at the registry by its digest (%s): %v", manifest, reg.requests())
}

// testRegistry is an in-memory OCI registry serving the cluster's network, with the
// requests it answered.
type testRegistry struct {
	host string // host:port
	mu   sync.Mutex
	log  []string
}

func (r *testRegistry) requests() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.log)
}

// startRegistry serves a registry on the node's address (the cluster's containerd pulls
// from there without TLS, TrustRegistry) until the test ends. Elsewhere than the embedded
// cluster the registry in $KOTAEMON_IMAGE_REGISTRY would be the one to use, and this
// test says so.
func startRegistry(t *testing.T, c *kube.Cluster) *testRegistry {
	t.Helper()
	if !c.Embedded {
		t.Skipf("needs a registry the nodes pull from without TLS: the embedded cluster starts one on its own network; on the cluster of context %q run `make publish REGISTRY=<your registry>` and install from it by hand", c.Context)
	}
	l, err := net.Listen("tcp", net.JoinHostPort(localcluster.NodeIP, "0"))
	require.NoError(t, err)
	reg := &testRegistry{host: l.Addr().String()}
	handler := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	srv := &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		reg.mu.Lock()
		reg.log = append(reg.log, req.Method+" "+req.URL.Path)
		reg.mu.Unlock()
		handler.ServeHTTP(w, req)
	})}
	go srv.Serve(l)
	remove, err := localcluster.TrustRegistry(reg.host)
	require.NoError(t, err)
	t.Cleanup(func() {
		assert.NoError(t, remove())
		srv.Close()
	})
	return reg
}

// pushProgram builds a program of this repository into an image and pushes it under
// registry; it returns the reference.
func pushProgram(t *testing.T, registry string, p ociimage.Program) string {
	t.Helper()
	spec, err := p.Spec(".", t.TempDir())
	require.NoError(t, err)
	idx, err := spec.Index()
	require.NoError(t, err)
	ref := registry + "/" + filepath.Base(strings.Split(p.Ref, ":")[0]) + ":test"
	require.NoError(t, ociimage.Push(ref, idx))
	return ref
}

// chartVersion is the chart's version (Chart.yaml), the one `make publish` pushed.
func chartVersion(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(chart.Dir(), "Chart.yaml"))
	require.NoError(t, err)
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "version: "); ok {
			return strings.TrimSpace(v)
		}
	}
	t.Fatal("Chart.yaml has no version")
	return ""
}
