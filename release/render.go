package release

import (
	"fmt"
	"strings"

	"helm.sh/helm/v3/pkg/action"
	helmchart "helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/cli/values"
	"helm.sh/helm/v3/pkg/getter"
)

// Chart is a loaded chart (a directory or an archive) and the Kubernetes version it is
// rendered for. One Chart renders from one goroutine at a time.
type Chart struct {
	Chart *helmchart.Chart
	kube  *chartutil.KubeVersion
}

// Load loads the chart at path for kubeVersion (e.g. v1.34.4).
func Load(path, kubeVersion string) (*Chart, error) {
	c, err := loader.Load(path)
	if err != nil {
		return nil, fmt.Errorf("loading the chart %s: %w", path, err)
	}
	kv, err := chartutil.ParseKubeVersion(kubeVersion)
	if err != nil {
		return nil, err
	}
	return &Chart{Chart: c, kube: kv}, nil
}

// unguarded replaces the guards with a no-op: of two definitions of a template the one
// parsed last wins (helm parses a directory's files in reverse name order), unless it is
// empty, hence the assignment.
const unguarded = `{{- define "kotaemon.guards" -}}{{- $refuseNothing := true -}}{{- end -}}`

// Unguarded is the chart as it would render if it refused nothing: no schema, no
// guards. Only for tests that compare the chart's refusals with another judge's (the
// agent's loader): never a way to install.
func (c *Chart) Unguarded() *Chart {
	u := *c.Chart
	u.Schema = nil
	u.Templates = append(append([]*helmchart.File{}, c.Chart.Templates...), &helmchart.File{Name: "templates/_0_unguarded.tpl", Data: []byte(unguarded)})
	return &Chart{Chart: &u, kube: c.kube}
}

// Rendered is one render: what helm would install.
type Rendered struct {
	Chart  *helmchart.Chart
	Values map[string]any // the user's values, merged (the chart's defaults under them)
	// Manifest is every document, hooks included, as one YAML stream.
	Manifest string
	Notes    string
}

// Render renders the chart client-side (nothing reaches a cluster) as release name in
// namespace, with values already merged (MergeValues), through the same schema, guards
// and templates as `helm template`.
func (c *Chart) Render(name, namespace string, vals map[string]any) (*Rendered, error) {
	install := action.NewInstall(&action.Configuration{Log: func(string, ...any) {}})
	install.ClientOnly, install.DryRun, install.Replace = true, true, true
	install.ReleaseName, install.Namespace = name, namespace
	install.KubeVersion = c.kube
	rel, err := install.Run(c.Chart, vals)
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	b.WriteString(rel.Manifest)
	for _, h := range rel.Hooks {
		b.WriteString("\n---\n")
		b.WriteString(h.Manifest)
	}
	return &Rendered{Chart: c.Chart, Values: vals, Manifest: b.String(), Notes: rel.Info.Notes}, nil
}

// MergeValues merges values files and key=value pairs (strings as helm's --set takes
// them) exactly as the helm command line does, with the same code.
func MergeValues(files, set []string) (map[string]any, error) {
	return (&values.Options{ValueFiles: files, Values: set}).MergeValues(getter.Providers{})
}

// Defaults are vals with the chart's defaults under them: what the templates read.
func (c *Chart) Defaults(vals map[string]any) (map[string]any, error) {
	all, err := chartutil.CoalesceValues(c.Chart, vals)
	if err != nil {
		return nil, err
	}
	return all.AsMap(), nil
}

// AgentRegistryNamed reports whether values with the chart's defaults (Defaults) say
// where the agent image is pulled from: health.image.registry or global.imageRegistry.
// Without either the chart refuses to render.
func AgentRegistryNamed(all map[string]any) bool {
	health, _ := all["health"].(map[string]any)
	image, _ := health["image"].(map[string]any)
	global, _ := all["global"].(map[string]any)
	registry, _ := image["registry"].(string)
	mirror, _ := global["imageRegistry"].(string)
	return registry != "" || mirror != ""
}

// Decode reads the render's objects (Decode).
func (r *Rendered) Decode() (*Manifest, error) { return Decode([]byte(r.Manifest)) }
