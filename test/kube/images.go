package kube

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"kotaemon-k8s/agentimage"
	"kotaemon-k8s/cluster/localcluster"
	"kotaemon-k8s/nodeimages"
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

var (
	agentOnce    sync.Once
	agentPin     agentimage.Pin
	agentArchive string
	agentErr     error
)

// LoadAgent builds the agent's release image from this tree (as `make image` does, both
// architectures, its digest that of any build of the tree) and puts it where the nodes
// find it by that digest: pushed to $KOTAEMON_IMAGE_REGISTRY when set, else loaded into
// the embedded cluster's or kind's nodes under the name nobody publishes. It returns the
// pin to render the chart with and the directory that holds the image's archive where
// `make image` writes it (for the installer), once per test process (RemoveTemp removes
// the directory).
func (c *Cluster) LoadAgent(t testing.TB, tag string) (agentimage.Pin, string) {
	t.Helper()
	agentOnce.Do(func() { agentPin, agentErr = c.loadAgent(tag) })
	if agentErr != nil {
		t.Fatalf("the agent image: %v", agentErr)
	}
	return agentPin, filepath.Dir(agentArchive)
}

func (c *Cluster) loadAgent(tag string) (agentimage.Pin, error) {
	dir, err := os.MkdirTemp("", "kube-agent-")
	if err != nil {
		return agentimage.Pin{}, err
	}
	im, err := agentimage.Build(".", filepath.Join(dir, "bin"), tag)
	if err != nil {
		return agentimage.Pin{}, err
	}
	if agentArchive, err = im.WriteArchive(filepath.Join(dir, "dist")); err != nil {
		return agentimage.Pin{}, err
	}
	if registry := os.Getenv(RegistryEnv); registry != "" {
		return im.Push(registry)
	}
	nodes := nodeimages.Target{Embedded: c.Embedded}
	if kind, ok := c.KindName(); ok && !c.Embedded {
		nodes.Kind = kind
	}
	pin := im.Pin(agentimage.LocalRegistry)
	_, err = nodes.LoadPinned(agentArchive, pin)
	return pin, err
}

// RemoveTemp removes what LoadAgent kept for the test process; TestMain calls it last.
func RemoveTemp() {
	if agentArchive != "" {
		os.RemoveAll(filepath.Dir(filepath.Dir(agentArchive)))
	}
}
