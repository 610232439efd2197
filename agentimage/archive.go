package agentimage

import (
	"archive/tar"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/google/go-containerregistry/pkg/v1/remote"

	"kotaemon-k8s/ociimage"
)

// ArchivePath is where `make image` writes the image for tag under dir: an OCI layout
// tar of the whole index, which registries take and nodes import under its digest.
func ArchivePath(dir, tag string) string {
	return filepath.Join(dir, "kotaemon-health-"+tag+".oci.tar")
}

// WriteArchive writes the image under dir (ArchivePath), named for the nodes that load
// it by hand (LocalRegistry), and returns the file.
func (im *Image) WriteArchive(dir string) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	file := ArchivePath(dir, im.Tag)
	return file, ociimage.WriteOCITar(file, im.Pin(LocalRegistry).Tagged(), im.Index)
}

// ReadArchive is the pin of the image `make image` wrote under dir for tag, under
// LocalRegistry: its digest as the archive's index.json records it.
func ReadArchive(dir, tag string) (file string, pin Pin, err error) {
	file = ArchivePath(dir, tag)
	f, err := os.Open(file)
	if err != nil {
		return "", Pin{}, fmt.Errorf("the agent image's archive: %w (make image writes it)", err)
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return "", Pin{}, fmt.Errorf("%s has no index.json", file)
		}
		if err != nil {
			return "", Pin{}, fmt.Errorf("%s: %w", file, err)
		}
		if h.Name != "index.json" {
			continue
		}
		var index struct {
			Manifests []struct {
				Digest string `json:"digest"`
			} `json:"manifests"`
		}
		if err := json.NewDecoder(tr).Decode(&index); err != nil {
			return "", Pin{}, fmt.Errorf("%s index.json: %w", file, err)
		}
		if len(index.Manifests) != 1 {
			return "", Pin{}, fmt.Errorf("%s index.json lists %d images, want 1", file, len(index.Manifests))
		}
		pin = Pin{Registry: LocalRegistry, Repository: Repository, Tag: tag, Digest: index.Manifests[0].Digest}
		return file, pin, pin.Check()
	}
}

// Push writes the image to registry under its tag and returns where the chart finds it.
// The registry's own answer for the tag must be this build's digest.
func (im *Image) Push(registry string, opts ...remote.Option) (Pin, error) {
	pin := im.Pin(registry)
	if err := ociimage.Push(pin.Tagged(), im.Index, opts...); err != nil {
		return Pin{}, fmt.Errorf("pushing %s: %w", pin.Tagged(), err)
	}
	got, err := ociimage.RemoteDigest(pin.Tagged(), opts...)
	if err != nil {
		return Pin{}, err
	}
	if got != im.Digest {
		return Pin{}, fmt.Errorf("%s: the registry serves %s after the push of %s", pin.Tagged(), got, im.Digest)
	}
	return pin, nil
}
