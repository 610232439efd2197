package publish

import (
	"io"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"helm.sh/helm/v3/pkg/chart/loader"

	"kotaemon-k8s/agentimage"
	"kotaemon-k8s/installer"
	"kotaemon-k8s/versions"
)

// root is the module's root, seen from this package.
const root = ".."

var chartDir = filepath.Join(root, "charts", "kotaemon")

// renderedAgent is the agent image the chart (a directory or an archive) renders with
// opts, through the installer's renderer (helm's SDK, client side).
func renderedAgent(t *testing.T, o installer.Options) string {
	t.Helper()
	o.Release, o.Namespace = "kotaemon", "kotaemon"
	p, err := installer.Render(o, nil, versions.Kubernetes)
	require.NoError(t, err)
	for _, ref := range p.Images {
		if strings.Contains(ref, "/"+agentimage.Repository+":") {
			return ref
		}
	}
	t.Fatalf("no agent image among %v", p.Images)
	return ""
}

// servedAs asserts that the registry serves ref's tag as ref's digest, and the digest.
func servedAs(t *testing.T, ref string) {
	t.Helper()
	tagged, digest, ok := strings.Cut(ref, "@")
	require.True(t, ok, "%s is not pinned by digest", ref)
	tag, err := name.NewTag(tagged)
	require.NoError(t, err)
	d, err := remote.Head(tag)
	require.NoError(t, err, "the registry has no %s", tagged)
	assert.Equal(t, digest, d.Digest.String(), "the registry serves %s as another image than the chart renders", tagged)
	_, err = remote.Head(tag.Context().Digest(digest))
	assert.NoError(t, err, "the registry does not serve the digest %s renders", ref)
}

// Every way the READMEs give to publish the agent image ends with a chart that renders
// exactly the image that was pushed, by a digest the registry serves under that tag:
// `make publish` (the archive names its registry), `make push REGISTRY=R` then
// health.image.registry=R, and `REGISTRY=R make install` (the installer sets it).
func TestEveryDocumentedPushPathRendersTheImageItPushed(t *testing.T) {
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	pin, err := agentimage.ReadPin(filepath.Join(chartDir, "values.yaml"))
	require.NoError(t, err)
	im, err := agentimage.Build(root, t.TempDir(), pin.Tag)
	require.NoError(t, err)

	t.Run("make publish REGISTRY=R, then helm install oci://R/kotaemon", func(t *testing.T) {
		registry := host + "/published"
		archive, err := Publish(chartDir, registry, t.TempDir())
		require.NoError(t, err)
		ref := renderedAgent(t, installer.Options{Chart: archive})
		assert.Equal(t, registry+"/kotaemon-health:"+pin.Tag+"@"+pin.Digest, ref, "default values of the published chart")
		servedAs(t, ref)
	})
	t.Run("make push REGISTRY=R, then health.image.registry=R", func(t *testing.T) {
		registry := host + "/pushed"
		pushed, err := im.Push(registry)
		require.NoError(t, err)
		ref := renderedAgent(t, installer.Options{Chart: chartDir, Set: []string{"health.image.registry=" + registry}})
		assert.Equal(t, pushed.Ref(), ref)
		servedAs(t, ref)
	})
	t.Run("REGISTRY=R make install", func(t *testing.T) {
		registry := host + "/installed"
		_, err := im.Push(registry)
		require.NoError(t, err)
		images := t.TempDir()
		_, err = im.WriteArchive(images) // what `make image` left for the installer
		require.NoError(t, err)
		ref := renderedAgent(t, installer.Options{Chart: chartDir, Registry: registry, Images: images})
		servedAs(t, ref)
	})
}

// A tree whose agent is not the one values.yaml pins is never published: the chart
// would name an image that is not what its source builds.
func TestPublishRefusesAnAgentTheChartDoesNotPin(t *testing.T) {
	dir := t.TempDir()
	values := filepath.Join(dir, "values.yaml")
	b, err := os.ReadFile(filepath.Join(chartDir, "values.yaml"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(values, b, 0o644))
	pin, err := agentimage.ReadPin(values)
	require.NoError(t, err)
	pin.Digest = "sha256:" + strings.Repeat("0", 64)
	writePin(t, values, pin)
	_, err = Publish(dir, "127.0.0.1:1/nowhere", t.TempDir())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "make pin-agent")
}

// The stamped archive differs from the chart only where it names its image.
func TestStampWritesTheRegistryAndTheDigestIntoTheArchive(t *testing.T) {
	pin, err := agentimage.ReadPin(filepath.Join(chartDir, "values.yaml"))
	require.NoError(t, err)
	pin.Registry = "ghcr.io/acme"
	archive, err := Stamp(chartDir, pin, t.TempDir())
	require.NoError(t, err)
	assert.Equal(t, "kotaemon-"+chartVersionOf(t)+".tgz", filepath.Base(archive))
	p, err := installer.Render(installer.Options{Chart: archive, Release: "kotaemon", Namespace: "kotaemon"}, nil, versions.Kubernetes)
	require.NoError(t, err)
	assert.Contains(t, p.Images, "ghcr.io/acme/kotaemon-health:"+pin.Tag+"@"+pin.Digest)
	assert.Contains(t, p.Chart.Chart.Metadata.Annotations["artifacthub.io/images"], "image: ghcr.io/acme/kotaemon-health:"+pin.Tag+"@"+pin.Digest)
}

func writePin(t *testing.T, file string, pin agentimage.Pin) {
	t.Helper()
	b, err := os.ReadFile(file)
	require.NoError(t, err)
	b, err = agentimage.SetPin(b, pin)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(file, b, 0o644))
}

func chartVersionOf(t *testing.T) string {
	t.Helper()
	ch, err := loader.Load(chartDir)
	require.NoError(t, err)
	return ch.Metadata.Version
}
