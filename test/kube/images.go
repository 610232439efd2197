package kube

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"kotaemon-k8s/cluster/localcluster"
	"kotaemon-k8s/ociimage"
)

// RegistryEnv names a registry the cluster's nodes pull from; when set, images are
// pushed there instead of loaded into the nodes.
const RegistryEnv = "KOTAEMON_IMAGE_REGISTRY"

// LoadImages builds each program of this repository into an image and puts it where
// the cluster's nodes find it: pushed to $KOTAEMON_IMAGE_REGISTRY when set, imported
// into containerd on the embedded cluster, or `kind load`ed on a kind cluster. It
// returns the reference pods must use for each program (keyed by Program.Ref), and
// builds and loads each image once per test process.
func (c *Cluster) LoadImages(t testing.TB, progs ...ociimage.Program) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, p := range progs {
		ref, err := c.loadOnce(p)
		if err != nil {
			t.Fatalf("image %s: %v", p.Ref, err)
		}
		out[p.Ref] = ref
	}
	return out
}

var (
	loadedMu sync.Mutex
	loaded   = map[string]string{}
)

func (c *Cluster) loadOnce(p ociimage.Program) (string, error) {
	loadedMu.Lock()
	defer loadedMu.Unlock()
	if ref, ok := loaded[p.Ref]; ok {
		return ref, nil
	}
	dir, err := os.MkdirTemp("", "kube-images-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(dir)
	ref, err := c.load(p, dir)
	if err == nil {
		loaded[p.Ref] = ref
	}
	return ref, err
}

func (c *Cluster) load(p ociimage.Program, dir string) (string, error) {
	if registry := os.Getenv(RegistryEnv); registry != "" {
		spec, err := p.Spec(".", dir)
		if err != nil {
			return "", err
		}
		idx, err := spec.Index()
		if err != nil {
			return "", err
		}
		ref := registry + "/" + p.Ref
		return ref, ociimage.Push(ref, idx)
	}
	tar := filepath.Join(dir, "image.tar")
	if err := ociimage.WriteProgramTar(".", p, tar); err != nil {
		return "", err
	}
	if c.Embedded {
		_, err := localcluster.ImportImages([]string{tar})
		return p.Ref, err
	}
	if kind, ok := c.KindName(); ok {
		out, err := exec.Command("kind", "load", "image-archive", tar, "--name", kind).CombinedOutput()
		if err != nil {
			return "", fmt.Errorf("kind load image-archive: %w: %s", err, out)
		}
		return p.Ref, nil
	}
	return "", fmt.Errorf("cannot put images into the cluster of context %q: set %s to a registry its nodes pull from (images are pushed there), or use the embedded cluster or kind", c.Context, RegistryEnv)
}
