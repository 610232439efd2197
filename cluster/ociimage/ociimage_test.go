package ociimage

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/stretchr/testify/require"
)

func TestWrittenTarballCarriesTheBinaryTagAndEntrypoint(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "tool")
	require.NoError(t, os.WriteFile(bin, []byte("#!binary"), 0o755))
	out := filepath.Join(dir, "tool.tar")
	require.NoError(t, Write(Spec{Binary: bin, PathInImage: "/tool", Tag: "kotaemon-k8s.local/tool:1"}, out))

	tag, err := name.NewTag("kotaemon-k8s.local/tool:1")
	require.NoError(t, err)
	img, err := tarball.ImageFromPath(out, &tag)
	require.NoError(t, err)
	cf, err := img.ConfigFile()
	require.NoError(t, err)
	require.Equal(t, []string{"/tool"}, cf.Config.Entrypoint)
	require.Equal(t, "linux", cf.OS)
	layers, err := img.Layers()
	require.NoError(t, err)
	require.Len(t, layers, 1)
	require.Len(t, cf.RootFS.DiffIDs, 1)
}
