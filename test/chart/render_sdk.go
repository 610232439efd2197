package chart

import (
	"fmt"
	"strings"

	"helm.sh/helm/v3/pkg/action"
	helmchart "helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/cli/values"
	"helm.sh/helm/v3/pkg/getter"
	"helm.sh/helm/v3/pkg/release"
)

// Renderer renders the chart in process with the helm SDK: the same schema validation,
// guards and templates as `helm template`, without a process per render. One Renderer
// is not safe for concurrent use; make one per goroutine.
type Renderer struct {
	chart *helmchart.Chart
	kube  *chartutil.KubeVersion
}

// NewRenderer loads the published chart (Published) once.
func NewRenderer() (*Renderer, error) {
	c, err := loadPublished()
	if err != nil {
		return nil, fmt.Errorf("loading the chart: %w", err)
	}
	return newRenderer(c)
}

// unguarded replaces the guards with a no-op: of two definitions of a template the one
// parsed last wins (helm parses a directory's files in reverse name order), unless it is
// empty, hence the assignment.
const unguarded = `{{- define "kotaemon.guards" -}}{{- $refuseNothing := true -}}{{- end -}}`

// NewUnguardedRenderer renders what the chart would render if it refused nothing: no
// schema, no guards. Only for tests that compare the chart's refusals with another
// judge's (the agent's loader): never a way to install.
func NewUnguardedRenderer() (*Renderer, error) {
	c, err := loadPublished()
	if err != nil {
		return nil, fmt.Errorf("loading the chart: %w", err)
	}
	c.Schema = nil
	c.Templates = append(c.Templates, &helmchart.File{Name: "templates/_0_unguarded.tpl", Data: []byte(unguarded)})
	return newRenderer(c)
}

func loadPublished() (*helmchart.Chart, error) {
	archive, err := Published()
	if err != nil {
		return nil, err
	}
	return loader.Load(archive)
}

func newRenderer(c *helmchart.Chart) (*Renderer, error) {
	kv, err := chartutil.ParseKubeVersion(KubeVersion)
	if err != nil {
		return nil, err
	}
	return &Renderer{chart: c, kube: kv}, nil
}

// Render renders the chart with values (already merged, as a values file would be) and
// returns every document, hooks included, as one YAML stream.
func (r *Renderer) Render(values map[string]any) (string, error) {
	rel, err := r.install(values)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString(rel.Manifest)
	for _, h := range rel.Hooks {
		b.WriteString("\n---\n")
		b.WriteString(h.Manifest)
	}
	return b.String(), nil
}

// Notes renders the chart like RenderFiles and returns its NOTES.txt as helm prints it.
func (r *Renderer) Notes(valuesFiles []string, set map[string]string) (string, error) {
	merged, err := mergeValues(valuesFiles, set)
	if err != nil {
		return "", err
	}
	rel, err := r.install(merged)
	if err != nil {
		return "", err
	}
	return rel.Info.Notes, nil
}

func (r *Renderer) install(values map[string]any) (*release.Release, error) {
	install := action.NewInstall(&action.Configuration{Log: func(string, ...any) {}})
	install.ClientOnly = true
	install.DryRun = true
	install.ReleaseName = Release
	install.Namespace = "default"
	install.KubeVersion = r.kube
	return install.Run(r.chart, values)
}

// RenderFiles merges values files and --set overrides exactly as the helm command line
// does (same code), then renders like Render.
func (r *Renderer) RenderFiles(valuesFiles []string, set map[string]string) (string, error) {
	merged, err := mergeValues(valuesFiles, set)
	if err != nil {
		return "", err
	}
	return r.Render(merged)
}

func mergeValues(valuesFiles []string, set map[string]string) (map[string]any, error) {
	opts := values.Options{ValueFiles: valuesFiles}
	for k, v := range set {
		opts.Values = append(opts.Values, k+"="+v)
	}
	return opts.MergeValues(getter.Providers{})
}
