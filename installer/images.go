package installer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"kotaemon-k8s/nodeimages"
)

// NeedsImageError is a release whose image the nodes cannot get: installing it would
// leave a pod that can never start, so nothing is installed.
type NeedsImageError struct {
	Ref  string
	Why  string
	Next []string
}

func (e *NeedsImageError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "cannot install: the image %s cannot reach the cluster's nodes: %s.\n", e.Ref, e.Why)
	if len(e.Next) > 0 {
		b.WriteString("Ways on:\n")
		for _, n := range e.Next {
			b.WriteString("  - " + n + "\n")
		}
	}
	b.WriteString("Nothing was installed.")
	return b.String()
}

// EnsureImages makes every image of the plan findable by the nodes before anything is
// installed: the agent image this install delivers is loaded into the nodes of the
// embedded cluster or kind under its digest (or was pushed by `make push`); on the
// embedded cluster every other missing image is pulled on the host's network through
// the cache and imported. Elsewhere the nodes pull what the values name.
func (c *Cluster) EnsureImages(ctx context.Context, p *Plan, o Options, puller *nodeimages.Puller, out io.Writer) error {
	for _, ref := range p.Images {
		isAgent := p.Agent != nil && ref == p.Agent.Ref()
		switch {
		case isAgent && o.Registry != "":
			fmt.Fprintf(out, "image %s: pulled by the nodes from the registry %s\n", ref, o.Registry)
		case isAgent:
			loaded, err := c.Nodes.LoadPinned(p.AgentArchive, *p.Agent)
			if err != nil {
				return err
			}
			if loaded {
				fmt.Fprintf(out, "image %s: loaded from %s into the nodes\n", ref, p.AgentArchive)
			} else {
				fmt.Fprintf(out, "image %s: already in the cluster\n", ref)
			}
		case c.Embedded:
			if err := c.importEmbedded(ctx, ref, puller, out); err != nil {
				return err
			}
		default:
			fmt.Fprintf(out, "image %s: pulled by the nodes\n", ref)
		}
	}
	return nil
}

func (c *Cluster) importEmbedded(ctx context.Context, ref string, puller *nodeimages.Puller, out io.Writer) error {
	has, err := c.Nodes.Has(ref)
	if err != nil {
		return fmt.Errorf("asking the embedded cluster for %s: %w", ref, err)
	}
	if has {
		fmt.Fprintf(out, "image %s: already in the cluster\n", ref)
		return nil
	}
	tar, err := puller.Fetch(ctx, ref)
	var unreachable *nodeimages.UnreachableError
	if errors.As(err, &unreachable) {
		return unreachableImage(ref, unreachable)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "image %s: importing into the cluster\n", ref)
	return c.Nodes.Load(tar)
}

// unreachableImage is an image the embedded cluster does not hold and this machine
// cannot pull.
func unreachableImage(ref string, err *nodeimages.UnreachableError) *NeedsImageError {
	return &NeedsImageError{Ref: ref, Why: fmt.Sprintf("it is not in the embedded cluster nor in the image cache, and pulling it on this machine failed (%v)", err.Err),
		Next: []string{
			"import an image tarball made where the registry is reachable (a docker archive or an OCI layout, e.g. `docker save " + ref + " -o kotaemon.tar`): make load-images IMAGES=kotaemon.tar, then make install again",
			"or see the chart at work offline with the Kotaemon stand-in: make demo",
		}}
}
