package installer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"

	"helm.sh/helm/v3/pkg/chartutil"

	"kotaemon-k8s/nodeimages"
	"kotaemon-k8s/ociimage"
)

// agentImage is the agent's image as the chart renders it (registry/repository:tag),
// and its tag, from the merged values.
func (p *Plan) agentImage() (ref, tag string) {
	all, err := chartutil.CoalesceValues(p.Chart, p.Values) // the chart's defaults under the user's
	if err != nil {
		return "", ""
	}
	h, _ := all["health"].(map[string]any)
	img, _ := h["image"].(map[string]any)
	repo, _ := img["repository"].(string)
	tag = fmt.Sprint(img["tag"])
	for _, r := range p.Images {
		if strings.HasSuffix(r, repo+":"+tag) {
			return r, tag
		}
	}
	return "", tag
}

// chartAgentRepository is the agent's repository in the chart's own values.yaml (the
// image this repository builds).
func (p *Plan) chartAgentRepository() string {
	h, _ := p.Chart.Values["health"].(map[string]any)
	img, _ := h["image"].(map[string]any)
	repo, _ := img["repository"].(string)
	return repo
}

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
// installed: on the embedded cluster each missing image is imported (the agent's from
// `make image`'s archive, others pulled on the host's network through the cache); on
// kind the agent's archive is loaded; elsewhere the agent image must come from a
// registry (Options.Registry). Kotaemon's own image is pulled by nodes that have a
// network.
func (c *Cluster) EnsureImages(ctx context.Context, p *Plan, o Options, puller *nodeimages.Puller, out io.Writer) error {
	agent, tag := p.agentImage()
	archive := ociimage.AgentArchive(o.Images, tag, runtime.GOARCH)
	if o.Registry == "" && agent != "" && agent != p.chartAgentRepository()+":"+tag {
		// health.image.registry or a repository of their own in the values: the user
		// publishes the agent image, the nodes pull it.
		o.Registry = strings.TrimSuffix(agent, ":"+tag)
	}
	for _, ref := range p.Images {
		isAgent := ref == agent
		switch {
		case c.Embedded:
			if err := c.importEmbedded(ctx, ref, isAgent, archive, puller, out); err != nil {
				return err
			}
		case isAgent && o.Registry != "":
			fmt.Fprintf(out, "image %s: pulled by the nodes from the registry %s\n", ref, o.Registry)
		case isAgent && c.Nodes.Kind != "":
			if err := c.loadArchive(ref, archive, out); err != nil {
				return err
			}
		case isAgent:
			return &NeedsImageError{Ref: ref, Why: "the agent image is built by this repository (make image), not published, and this cluster is neither the embedded one nor kind",
				Next: []string{
					"push it to a registry your nodes pull from: REGISTRY=<registry host>/<path> make install (it runs make push and sets health.image.registry)",
					"or use a kind cluster (KUBECONFIG with a kind-* context): make install loads the image into its nodes",
					"or leave KUBECONFIG unset: make install uses the embedded cluster",
				}}
		}
	}
	return nil
}

func (c *Cluster) importEmbedded(ctx context.Context, ref string, isAgent bool, archive string, puller *nodeimages.Puller, out io.Writer) error {
	has, err := c.Nodes.Has(ref)
	if err != nil {
		return fmt.Errorf("asking the embedded cluster for %s: %w", ref, err)
	}
	if has {
		fmt.Fprintf(out, "image %s: already in the cluster\n", ref)
		return nil
	}
	if isAgent {
		return c.loadArchive(ref, archive, out)
	}
	tar, err := puller.Fetch(ctx, ref)
	var unreachable *nodeimages.UnreachableError
	if errors.As(err, &unreachable) {
		return &NeedsImageError{Ref: ref, Why: fmt.Sprintf("it is not in the embedded cluster, and pulling it on this machine failed (%v)", unreachable.Err),
			Next: []string{
				"import an image tarball made where the registry is reachable (a docker archive or an OCI layout, e.g. `docker save " + ref + " -o kotaemon.tar`): make load-images IMAGES=kotaemon.tar, then make install again",
				"or see the chart at work offline with the Kotaemon stand-in: make demo",
			}}
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "image %s: importing into the cluster\n", ref)
	return c.Nodes.Load(tar)
}

func (c *Cluster) loadArchive(ref, archive string, out io.Writer) error {
	if archive == "" || !exists(archive) {
		return &NeedsImageError{Ref: ref, Why: "its archive " + archive + " is missing", Next: []string{"build it: make image"}}
	}
	fmt.Fprintf(out, "image %s: loading %s into the nodes\n", ref, archive)
	return c.Nodes.Load(archive)
}
