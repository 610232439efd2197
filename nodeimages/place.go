package nodeimages

import (
	"fmt"
	"os/exec"
	"strings"

	"kotaemon-k8s/agentimage"
	"kotaemon-k8s/cluster/localcluster"
)

// Target is where a cluster's nodes find images.
type Target struct {
	// Embedded: the embedded cluster, whose containerd imports docker archives.
	Embedded bool
	// Kind is the kind cluster's name when the cluster is one (nodes load archives).
	Kind string
}

// Load puts an image archive (a docker archive or an OCI layout) into the nodes' image stores.
func (t Target) Load(tar string) error {
	switch {
	case t.Embedded:
		_, err := localcluster.ImportImages([]string{tar})
		return err
	case t.Kind != "":
		out, err := exec.Command("kind", "load", "image-archive", tar, "--name", t.Kind).CombinedOutput()
		if err != nil {
			return fmt.Errorf("kind load image-archive %s: %w: %s", tar, err, strings.TrimSpace(string(out)))
		}
		return nil
	}
	return fmt.Errorf("the cluster's nodes cannot be loaded with %s: it is neither the embedded cluster nor kind", tar)
}

// Has reports whether the nodes already hold ref; only the embedded cluster can tell
// (elsewhere false: load again, which kind makes cheap).
func (t Target) Has(ref string) (bool, error) {
	if !t.Embedded {
		return false, nil
	}
	return localcluster.HasImage(ref)
}

// LoadPinned puts an OCI layout archive into the nodes' image stores under pin's names:
// the name:tag the archive carries and name@digest, the name under which the kubelet's
// runtime finds a name:tag@digest reference (it drops the tag and matches names only).
// The archive's index is the one a registry serves under that digest, so what the nodes
// run is what the chart pins. loaded is false when the nodes held it already.
func (t Target) LoadPinned(archive string, pin agentimage.Pin) (loaded bool, err error) {
	if has, err := t.Has(pin.DigestRef()); err == nil && has {
		return false, nil
	}
	return true, t.loadPinned(archive, pin)
}

func (t Target) loadPinned(archive string, pin agentimage.Pin) error {
	if err := t.Load(archive); err != nil {
		return err
	}
	switch {
	case t.Embedded:
		return localcluster.TagImage(pin.Tagged(), pin.DigestRef())
	case t.Kind != "":
		// kind's own load names an archive by its tag only; each node's containerd
		// learns the digest name the same way as the embedded cluster's.
		nodes, err := exec.Command("kind", "get", "nodes", "--name", t.Kind).Output()
		if err != nil {
			return fmt.Errorf("kind get nodes --name %s: %w", t.Kind, err)
		}
		for _, node := range strings.Fields(string(nodes)) {
			out, err := exec.Command("docker", "exec", node, "ctr", "-n", "k8s.io", "images", "tag", "--force", pin.Tagged(), pin.DigestRef()).CombinedOutput()
			if err != nil {
				return fmt.Errorf("naming %s on the kind node %s: %w: %s", pin.DigestRef(), node, err, strings.TrimSpace(string(out)))
			}
		}
		return nil
	}
	return fmt.Errorf("the cluster's nodes cannot be loaded with %s: it is neither the embedded cluster nor kind", archive)
}
