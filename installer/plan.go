package installer

import (
	"errors"
	"fmt"
	"time"

	"helm.sh/helm/v3/pkg/strvals"

	"kotaemon-k8s/agentimage"
	"kotaemon-k8s/release"
)

// Options say what to install where.
type Options struct {
	Chart       string   // the chart's directory
	Release     string   // release name
	Namespace   string   // created when absent
	ValuesFiles []string // in order, later ones winning
	Set         []string // key=value, after the files (helm --set)
	// Images is the directory of `make image`'s archive of the agent image, for clusters
	// whose nodes are loaded rather than pulled from, and for its digest.
	Images string
	// Registry, when set, is where the agent image was pushed (`make push`): the
	// release pulls it from there (health.image.registry, and that build's digest).
	Registry string
	// Timeout bounds the wait for Ready beyond the start-up budget (0: 5 minutes).
	Timeout time.Duration
}

// Plan is what the chart renders for these options: the objects, the workload and the
// images.
type Plan struct {
	Chart    *release.Chart
	Values   map[string]any
	Manifest *release.Manifest
	Workload *release.Workload
	Target   Target
	// Images are every image the release's pods use (the workload's and the test
	// hooks'), each once, in order of appearance.
	Images []string
	// Agent is the agent image this install delivers (loaded into the nodes, or pushed
	// by `make push`), and AgentArchive its archive; nil when the values name where the
	// nodes pull it from (the published chart, or a registry of the user's).
	Agent        *agentimage.Pin
	AgentArchive string
}

// Target is what the wait watches: the Deployment running Kotaemon (the only workload
// the chart renders) and the startup probe whose budget the progress lines count.
type Target struct {
	Kind, Name string
	Namespace  string // as rendered (namespaceOverride); empty: the release's
	Selector   map[string]string
	Startup    *release.Probe // nil without a startup probe
}

// targetOf is the wait's view of the rendered workload.
func targetOf(w *release.Workload) Target {
	d := w.Deployment
	return Target{Kind: "Deployment", Name: d.Name, Namespace: d.Namespace, Selector: d.Spec.Selector.MatchLabels, Startup: w.Probes[release.Startup]}
}

// Budget is the start-up budget (0 without a startup probe).
func (t Target) Budget() time.Duration {
	if t.Startup == nil {
		return 0
	}
	return t.Startup.Window()
}

// probed is the container the startup probe sits on ("" without one).
func (t Target) probed() string {
	if t.Startup == nil {
		return ""
	}
	return t.Startup.Container.Name
}

// values merges the files and --set pairs, then what the target cluster needs.
func (o Options) values(c *Cluster) (map[string]any, error) {
	vals, err := release.MergeValues(o.ValuesFiles, o.Set)
	if err != nil {
		return nil, err
	}
	if c != nil && c.Embedded {
		// Nothing is pulled by the embedded cluster's nodes: images are imported first.
		for _, kv := range []string{"image.pullPolicy=Never", "health.image.pullPolicy=Never"} {
			if err := strvals.ParseInto(kv, vals); err != nil {
				return nil, fmt.Errorf("%s: %w", kv, err)
			}
		}
	}
	return vals, nil
}

// agentSource decides where the nodes get the agent image: the registry `make push`
// wrote it to (o.Registry), the nodes' own stores on the embedded cluster and kind
// (loaded from `make image`'s archive), or, when neither applies, wherever the values
// say (a published chart names its registry). It sets the values for the first two.
func (o Options) agentSource(p *Plan, c *Cluster) error {
	all, err := p.Chart.Defaults(p.Values)
	if err != nil {
		return err
	}
	img := all["health"].(map[string]any)["image"].(map[string]any)
	tag := fmt.Sprint(img["tag"])
	local := c != nil && (c.Embedded || c.Nodes.Kind != "")
	if o.Registry == "" && !local {
		if !release.AgentRegistryNamed(all) {
			return &NeedsImageError{Ref: fmt.Sprintf("%s:%s@%v", img["repository"], tag, img["digest"]),
				Why: "the chart names no registry for it (health.image.registry), and this cluster is neither the embedded one nor kind",
				Next: []string{
					"push it to a registry your nodes pull from: REGISTRY=<registry host>/<path> make install (it runs make push and sets health.image.registry)",
					"or install the published chart, which names its registry",
					"or use a kind cluster (KUBECONFIG with a kind-* context): make install loads the image into its nodes",
					"or leave KUBECONFIG unset: make install uses the embedded cluster",
				}}
		}
		return nil
	}
	archive, pin, err := agentimage.ReadArchive(o.Images, tag)
	if err != nil {
		return &NeedsImageError{Ref: agentimage.Repository + ":" + tag, Why: err.Error(), Next: []string{"build it: make image"}}
	}
	if o.Registry != "" {
		pin.Registry = o.Registry
	}
	for _, kv := range []string{"health.image.registry=" + pin.Registry, "health.image.digest=" + pin.Digest} {
		if err := strvals.ParseInto(kv, p.Values); err != nil {
			return fmt.Errorf("%s: %w", kv, err)
		}
	}
	p.Agent, p.AgentArchive = &pin, archive
	return nil
}

// Render renders the chart client-side (nothing reaches the cluster) for kubeVersion.
func Render(o Options, c *Cluster, kubeVersion string) (*Plan, error) {
	ch, err := release.Load(o.Chart, kubeVersion)
	if err != nil {
		return nil, err
	}
	vals, err := o.values(c)
	if err != nil {
		return nil, err
	}
	p := &Plan{Chart: ch, Values: vals}
	if err := o.agentSource(p, c); err != nil {
		return nil, err
	}
	r, err := ch.Render(o.Release, o.Namespace, p.Values)
	if err != nil {
		return nil, fmt.Errorf("rendering the chart: %w", err)
	}
	if p.Manifest, err = r.Decode(); err != nil {
		return nil, fmt.Errorf("reading the rendered chart: %w", err)
	}
	p.Workload, _ = release.FindWorkload(p.Manifest)
	if p.Workload == nil {
		return nil, errors.New("the chart rendered no Kotaemon Deployment")
	}
	p.Target = targetOf(p.Workload)
	p.Images = p.Manifest.Images()
	return p, nil
}
