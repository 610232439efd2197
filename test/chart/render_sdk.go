package chart

import (
	"sort"

	"kotaemon-k8s/release"
)

// Renderer renders the published chart in process (package release, the helm SDK): the
// same schema validation, guards and templates as `helm template`, without a process
// per render. One Renderer is not safe for concurrent use; make one per goroutine.
type Renderer struct{ chart *release.Chart }

// NewRenderer loads the published chart (Published) once.
func NewRenderer() (*Renderer, error) {
	archive, err := Published()
	if err != nil {
		return nil, err
	}
	c, err := release.Load(archive, KubeVersion)
	if err != nil {
		return nil, err
	}
	return &Renderer{chart: c}, nil
}

// NewUnguardedRenderer renders what the chart would render if it refused nothing: no
// schema, no guards. Only for tests that compare the chart's refusals with another
// judge's (the agent's loader): never a way to install.
func NewUnguardedRenderer() (*Renderer, error) {
	r, err := NewRenderer()
	if err != nil {
		return nil, err
	}
	return &Renderer{chart: r.chart.Unguarded()}, nil
}

// Render renders the chart with values (already merged, as a values file would be) and
// returns every document, hooks included, as one YAML stream.
func (r *Renderer) Render(values map[string]any) (string, error) {
	rel, err := r.chart.Render(Release, "default", values)
	if err != nil {
		return "", err
	}
	return rel.Manifest, nil
}

// Notes renders the chart like RenderFiles and returns its NOTES.txt as helm prints it.
func (r *Renderer) Notes(valuesFiles []string, set map[string]string) (string, error) {
	merged, err := release.MergeValues(valuesFiles, pairs(set))
	if err != nil {
		return "", err
	}
	rel, err := r.chart.Render(Release, "default", merged)
	if err != nil {
		return "", err
	}
	return rel.Notes, nil
}

// RenderFiles merges values files and --set overrides exactly as the helm command line
// does (same code), then renders like Render.
func (r *Renderer) RenderFiles(valuesFiles []string, set map[string]string) (string, error) {
	merged, err := release.MergeValues(valuesFiles, pairs(set))
	if err != nil {
		return "", err
	}
	return r.Render(merged)
}

// pairs are --set's key=value strings, in a stable order.
func pairs(set map[string]string) []string {
	out := make([]string, 0, len(set))
	for k, v := range set {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}
