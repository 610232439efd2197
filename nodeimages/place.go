package nodeimages

import (
	"fmt"
	"os/exec"
	"strings"

	"kotaemon-k8s/cluster/localcluster"
)

// Target is where a cluster's nodes find images.
type Target struct {
	// Embedded: the embedded cluster, whose containerd imports docker archives.
	Embedded bool
	// Kind is the kind cluster's name when the cluster is one (nodes load archives).
	Kind string
}

// Load puts the docker archive tar into the nodes' image stores.
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
