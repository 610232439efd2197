package installer

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"time"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/cli/values"
	"helm.sh/helm/v3/pkg/getter"
	"helm.sh/helm/v3/pkg/strvals"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/yaml"
	sigsyaml "sigs.k8s.io/yaml"

	"kotaemon-k8s/agentimage"
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

// Plan is what the chart renders for these options: the workload and the images.
type Plan struct {
	Chart    *chart.Chart
	Values   map[string]any
	Workload Workload
	// Images are every image the release's pods use (the workload's and the test
	// hooks'), each once, in order of appearance.
	Images []string
	// Agent is the agent image this install delivers (loaded into the nodes, or pushed
	// by `make push`), and AgentArchive its archive; nil when the values name where the
	// nodes pull it from (the published chart, or a registry of the user's).
	Agent        *agentimage.Pin
	AgentArchive string
	// Docs are the rendered objects (hooks included), one YAML document each.
	Docs [][]byte
}

// Workload is the Deployment running Kotaemon (the only workload the chart renders).
type Workload struct {
	Kind, Name string
	Namespace  string // as rendered (namespaceOverride); empty: the release's
	Selector   map[string]string
	Pod        corev1.PodSpec
	// Startup is the start-up budget of the probed container: initialDelay +
	// failureThreshold x period of its startupProbe (0 without one).
	Startup          time.Duration
	ProbedContainer  string
	StartupThreshold int32
	StartupPeriod    int32
}

// values merges the files and --set pairs, then what the target cluster needs.
func (o Options) values(c *Cluster) (map[string]any, error) {
	vals, err := (&values.Options{ValueFiles: o.ValuesFiles, Values: o.Set}).MergeValues(getter.Providers{})
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
	all, err := chartutil.CoalesceValues(p.Chart, p.Values) // the chart's defaults under the user's
	if err != nil {
		return err
	}
	img := all.AsMap()["health"].(map[string]any)["image"].(map[string]any)
	tag := fmt.Sprint(img["tag"])
	local := c != nil && (c.Embedded || c.Nodes.Kind != "")
	if o.Registry == "" && !local {
		registry, _ := img["registry"].(string)
		mirror, _ := all.AsMap()["global"].(map[string]any)["imageRegistry"].(string)
		if registry == "" && mirror == "" {
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
	ch, err := loader.Load(o.Chart)
	if err != nil {
		return nil, fmt.Errorf("loading the chart %s: %w", o.Chart, err)
	}
	vals, err := o.values(c)
	if err != nil {
		return nil, err
	}
	p := &Plan{Chart: ch, Values: vals}
	if err := o.agentSource(p, c); err != nil {
		return nil, err
	}
	inst := action.NewInstall(&action.Configuration{})
	inst.ClientOnly, inst.DryRun, inst.Replace = true, true, true
	inst.ReleaseName, inst.Namespace = o.Release, o.Namespace
	if kubeVersion != "" {
		kv, err := chartutil.ParseKubeVersion(kubeVersion)
		if err != nil {
			return nil, err
		}
		inst.KubeVersion = kv
	}
	rel, err := inst.Run(ch, p.Values)
	if err != nil {
		return nil, fmt.Errorf("rendering the chart: %w", err)
	}
	docs := []string{rel.Manifest}
	for _, h := range rel.Hooks {
		docs = append(docs, h.Manifest)
	}
	for _, d := range docs {
		if err := p.read(d); err != nil {
			return nil, err
		}
	}
	if p.Workload.Kind == "" {
		return nil, errors.New("the chart rendered no Deployment")
	}
	return p, nil
}

// read takes the workload and the images out of a multi-document manifest.
func (p *Plan) read(manifest string) error {
	r := yaml.NewYAMLReader(bufio.NewReader(bytes.NewBufferString(manifest)))
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		var head struct{ Kind string }
		if err := sigsyaml.Unmarshal(doc, &head); err != nil || head.Kind == "" {
			continue
		}
		p.Docs = append(p.Docs, doc)
		var spec *corev1.PodSpec
		switch head.Kind {
		case "Deployment":
			var d appsv1.Deployment
			if err := sigsyaml.Unmarshal(doc, &d); err != nil {
				return err
			}
			p.setWorkload(&d)
			spec = &d.Spec.Template.Spec
		case "Pod":
			var pod corev1.Pod
			if err := sigsyaml.Unmarshal(doc, &pod); err != nil {
				return err
			}
			spec = &pod.Spec
		default:
			continue
		}
		for _, c := range append(append([]corev1.Container{}, spec.InitContainers...), spec.Containers...) {
			p.addImage(c.Image)
		}
	}
}

func (p *Plan) addImage(ref string) {
	for _, r := range p.Images {
		if r == ref {
			return
		}
	}
	p.Images = append(p.Images, ref)
}

func (p *Plan) setWorkload(d *appsv1.Deployment) {
	w := Workload{Kind: "Deployment", Name: d.Name, Namespace: d.Namespace, Selector: d.Spec.Selector.MatchLabels, Pod: d.Spec.Template.Spec}
	for _, c := range w.Pod.Containers {
		if sp := c.StartupProbe; sp != nil {
			w.ProbedContainer = c.Name
			w.StartupThreshold, w.StartupPeriod = max(sp.FailureThreshold, 1), max(sp.PeriodSeconds, 1)
			w.Startup = time.Duration(sp.InitialDelaySeconds+w.StartupThreshold*w.StartupPeriod) * time.Second
		}
	}
	p.Workload = w
}
