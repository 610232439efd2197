// Package ociimage packages one static binary as a single-layer image tarball that
// `ctr images import` accepts, with no registry and no container engine involved.
package ociimage

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// Spec says what goes into the image.
type Spec struct {
	Binary      string   // path of the static binary on this machine
	PathInImage string   // where it lands, e.g. /pause
	Entrypoint  []string // defaults to []string{PathInImage}
	Tag         string   // e.g. kotaemon-k8s.local/pause:1
	Env         []string
}

// epoch keeps layer bytes, and so digests, independent of when an image was built.
var epoch = time.Unix(0, 0).UTC()

// Write builds the image described by spec and writes it as a tarball to out.
func Write(spec Spec, out string) error {
	bin, err := os.ReadFile(spec.Binary)
	if err != nil {
		return fmt.Errorf("reading binary for image %s: %w", spec.Tag, err)
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	if err := tw.WriteHeader(&tar.Header{
		Name: filepath.Clean(spec.PathInImage)[1:], Mode: 0o755, Size: int64(len(bin)),
		Typeflag: tar.TypeReg, ModTime: epoch, Format: tar.FormatPAX,
	}); err != nil {
		return err
	}
	if _, err := tw.Write(bin); err != nil {
		return err
	}
	if err := tw.Close(); err != nil {
		return err
	}
	layerBytes := buf.Bytes()
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(layerBytes)), nil
	})
	if err != nil {
		return fmt.Errorf("making layer for %s: %w", spec.Tag, err)
	}
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		return err
	}
	entry := spec.Entrypoint
	if len(entry) == 0 {
		entry = []string{spec.PathInImage}
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return err
	}
	cf = cf.DeepCopy()
	cf.Architecture, cf.OS, cf.Created = "amd64", "linux", v1.Time{Time: epoch}
	cf.Config = v1.Config{Entrypoint: entry, Env: spec.Env}
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		return err
	}
	tag, err := name.NewTag(spec.Tag)
	if err != nil {
		return fmt.Errorf("image tag %q: %w", spec.Tag, err)
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	tmp := out + ".tmp"
	if err := tarball.WriteToFile(tmp, tag, img); err != nil {
		return fmt.Errorf("writing image %s: %w", spec.Tag, err)
	}
	return os.Rename(tmp, out)
}

// BuildStatic compiles a Go main package (CGO off, stripped) into out; dir is the
// directory go runs in (the module that holds pkg).
func BuildStatic(dir, pkg, out string) error {
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", out, pkg)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build %s: %w", pkg, err)
	}
	return nil
}
