package ociimage

import (
	"archive/tar"
	"compress/gzip"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func fakeBinaries(t *testing.T) map[string]string {
	t.Helper()
	dir := t.TempDir()
	out := map[string]string{}
	for _, arch := range []string{"amd64", "arm64"} {
		p := filepath.Join(dir, arch)
		require.NoError(t, os.WriteFile(p, []byte("binary for "+arch), 0o600))
		out[arch] = p
	}
	return out
}

func TestIndexHasOneStaticImagePerArchitecture(t *testing.T) {
	t.Parallel()
	spec := Binary("kotaemon-k8s/kotaemon-health:0.1.0", "/usr/local/bin/kotaemon-health", fakeBinaries(t))
	idx, err := spec.Index()
	require.NoError(t, err)
	im, err := idx.IndexManifest()
	require.NoError(t, err)
	require.Len(t, im.Manifests, 2)
	for _, d := range im.Manifests {
		img, err := idx.Image(d.Digest)
		require.NoError(t, err)
		cf, err := img.ConfigFile()
		require.NoError(t, err)
		assert.Equal(t, d.Platform.Architecture, cf.Architecture)
		assert.Equal(t, "linux", cf.OS)
		assert.Equal(t, []string{"/usr/local/bin/kotaemon-health"}, cf.Config.Entrypoint)
		assert.Equal(t, "65532:65532", cf.Config.User)

		layers, err := img.Layers()
		require.NoError(t, err)
		require.Len(t, layers, 1)
		rc, err := layers[0].Uncompressed()
		require.NoError(t, err)
		files := map[string]*tar.Header{}
		tr := tar.NewReader(rc)
		var content string
		for {
			h, err := tr.Next()
			if err == io.EOF {
				break
			}
			require.NoError(t, err)
			files[h.Name] = h
			if h.Name == "usr/local/bin/kotaemon-health" {
				b, _ := io.ReadAll(tr)
				content = string(b)
			}
		}
		rc.Close()
		bin := files["usr/local/bin/kotaemon-health"]
		require.NotNil(t, bin)
		assert.Equal(t, int64(0o755), bin.Mode)
		assert.Equal(t, 0, bin.Uid)
		assert.Equal(t, "binary for "+cf.Architecture, content)
		assert.NotContains(t, files, "bin/sh", "no shell")
		assert.Len(t, files, 4, "three directories and the binary, nothing else")
	}
}

func TestWriteOCITarNamesTheImage(t *testing.T) {
	t.Parallel()
	spec := Binary("kotaemon-k8s/kotaemon-health:0.1.0", "/usr/local/bin/kotaemon-health", fakeBinaries(t))
	idx, err := spec.Index()
	require.NoError(t, err)
	dir := t.TempDir()
	file := filepath.Join(dir, "agent.oci.tar")
	require.NoError(t, WriteOCITar(file, spec.Ref, idx))

	// Unpack and read it back as an OCI layout.
	unpacked := filepath.Join(dir, "unpacked")
	untar(t, file, unpacked)
	b, err := os.ReadFile(filepath.Join(unpacked, "index.json"))
	require.NoError(t, err)
	var index struct {
		Manifests []struct {
			MediaType   string            `json:"mediaType"`
			Annotations map[string]string `json:"annotations"`
		} `json:"manifests"`
	}
	require.NoError(t, json.Unmarshal(b, &index))
	require.Len(t, index.Manifests, 1)
	assert.Equal(t, "application/vnd.oci.image.index.v1+json", index.Manifests[0].MediaType)
	assert.Equal(t, "kotaemon-k8s/kotaemon-health:0.1.0", index.Manifests[0].Annotations["org.opencontainers.image.ref.name"])
	_, err = os.Stat(filepath.Join(unpacked, "oci-layout"))
	require.NoError(t, err)

	p, err := layout.FromPath(unpacked)
	require.NoError(t, err)
	outer, err := p.ImageIndex()
	require.NoError(t, err)
	om, err := outer.IndexManifest()
	require.NoError(t, err)
	inner, err := outer.ImageIndex(om.Manifests[0].Digest)
	require.NoError(t, err)
	want, _ := idx.Digest()
	got, _ := inner.Digest()
	assert.Equal(t, want, got, "the written index is the built one")
}

func TestWriteDockerTarIsLoadable(t *testing.T) {
	t.Parallel()
	spec := Binary("kotaemon-k8s/kotaemon-health:0.1.0", "/usr/local/bin/kotaemon-health", fakeBinaries(t))
	img, err := spec.Image(spec.Platforms[0])
	require.NoError(t, err)
	file := filepath.Join(t.TempDir(), "agent.tar")
	require.NoError(t, WriteDockerTar(file, spec.Ref, img))
	back, err := tarball.ImageFromPath(file, nil)
	require.NoError(t, err)
	// The docker archive uses docker media types, so compare the config, which is the
	// image's identity (ImageID).
	want, _ := img.ConfigName()
	got, _ := back.ConfigName()
	assert.Equal(t, want, got)
}

func TestUnsupportedArchitectureIsRefused(t *testing.T) {
	t.Parallel()
	_, err := Binary("a/b:1", "/b", map[string]string{"s390x": "/x"}).Index()
	assert.ErrorContains(t, err, "unsupported architecture")
}

func untar(t *testing.T, file, dir string) {
	t.Helper()
	f, err := os.Open(file)
	require.NoError(t, err)
	defer f.Close()
	var r io.Reader = f
	if gz, err := gzip.NewReader(f); err == nil {
		r = gz
	} else {
		_, _ = f.Seek(0, io.SeekStart)
	}
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return
		}
		require.NoError(t, err)
		p := filepath.Join(dir, filepath.FromSlash(h.Name))
		if h.Typeflag == tar.TypeDir {
			require.NoError(t, os.MkdirAll(p, 0o755))
			continue
		}
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		b, err := io.ReadAll(tr)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(p, b, 0o644))
	}
}

func TestDirsAreInTheLayer(t *testing.T) {
	t.Parallel()
	spec := Binary("kotaemon-k8s/stand-in:1", "/stand-in", fakeBinaries(t))
	spec.Dirs = []string{"/app/ktem_app_data"}
	img, err := spec.Image(spec.Platforms[0])
	require.NoError(t, err)
	layers, err := img.Layers()
	require.NoError(t, err)
	rc, err := layers[0].Uncompressed()
	require.NoError(t, err)
	defer rc.Close()
	var names []string
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		names = append(names, h.Name)
	}
	assert.Equal(t, []string{"app/", "app/ktem_app_data/", "stand-in"}, names)

	spec.Dirs = []string{"relative"}
	_, err = spec.Image(spec.Platforms[0])
	assert.ErrorContains(t, err, "must be absolute")
}

// A link lands in the layer as a symbolic link to its target, with its parent directories.
func TestLinksAreSymbolicLinksInTheLayer(t *testing.T) {
	t.Parallel()
	spec := Binary("x:1", "/usr/local/bin/standin", fakeBinaries(t))
	spec.Links = map[string]string{"/app/.venv/bin/python": "/usr/local/bin/standin"}
	img, err := spec.Image(spec.Platforms[0])
	require.NoError(t, err)
	layers, err := img.Layers()
	require.NoError(t, err)
	rc, err := layers[0].Uncompressed()
	require.NoError(t, err)
	defer rc.Close()
	headers := map[string]*tar.Header{}
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		headers[h.Name] = h
	}
	link := headers["app/.venv/bin/python"]
	require.NotNil(t, link, "the link: %v", headers)
	assert.Equal(t, byte(tar.TypeSymlink), link.Typeflag)
	assert.Equal(t, "/usr/local/bin/standin", link.Linkname)
	assert.Contains(t, headers, "app/.venv/bin/", "its parent directories")
}
