package advise

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"

	"kotaemon-k8s/internal/history"
	"kotaemon-k8s/invariants"
	"kotaemon-k8s/release"
	"kotaemon-k8s/versions"
)

// Options of one run of the advisor.
type Options struct {
	Chart       string   // the chart's directory
	ValuesFiles []string // the environment's values, in order (the last one names the file)
	Set         []string
	Out         string // where the override goes
	// Histories are saved histories (the JSON /health/history serves), one per pod;
	// empty: Collect reads them from the release's pods.
	Histories []string
	Collect   func(context.Context) ([]history.Data, string, error) // the histories and where they came from
	// Prometheus, when set, is the base URL of a Prometheus that scrapes the agents:
	// advise from their histograms' summaries (FromPrometheus) for the series Selector
	// names, instead of histories.
	Prometheus, Selector string
	Now                  time.Time
}

// Run reads the observations, computes the advice, checks that the chart accepts it
// beside the environment's values, writes it and prints what changes.
func Run(ctx context.Context, o Options, out io.Writer) error {
	if len(o.ValuesFiles) == 0 {
		return fmt.Errorf("no values file: name the environment's (ENV=<name>, -f values/<name>.yaml)")
	}
	ch, err := release.Load(o.Chart, versions.Kubernetes)
	if err != nil {
		return err
	}
	before, defaults, err := renderWorkload(ch, o.ValuesFiles, o.Set)
	if err != nil {
		return fmt.Errorf("the environment's values do not render: %w", err)
	}
	liveRoute := ""
	if before.Agent != nil {
		liveRoute = before.Agent.App.Live.Path
	}
	obs, what, err := observations(ctx, o, liveRoute)
	if err != nil {
		return err
	}
	a, err := Compute(obs, currentOf(before, defaults), liveRoute)
	if err != nil {
		return err
	}
	env := o.ValuesFiles[len(o.ValuesFiles)-1]
	text := a.ValuesFile(Source{What: what, When: o.Now.UTC().Format("2006-01-02"), Env: env})

	tmp, err := os.CreateTemp("", "advised-*.yaml")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.WriteString(text); err != nil {
		return err
	}
	tmp.Close()
	after, _, err := renderWorkload(ch, append(append([]string{}, o.ValuesFiles...), tmp.Name()), o.Set)
	if err != nil {
		return fmt.Errorf("the chart refuses the advised values beside %s, so nothing was written (the environment needs a change advise does not make):\n%w\n\nthe advice was:\n%s", env, err, text)
	}
	if err := os.WriteFile(o.Out, []byte(text), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(out, "advised probe values for %s, from %s: wrote %s (the chart's guards accept it)\n", env, what, o.Out)
	Report(out, FiguresOf(before), FiguresOf(after), a)
	return nil
}

// observations reads a Prometheus's summaries, the saved histories, or collects the
// histories from the release.
func observations(ctx context.Context, o Options, liveRoute string) (Observations, string, error) {
	var obs Observations
	if o.Prometheus != "" {
		return FromPrometheus(ctx, o.Prometheus, o.Selector, liveRoute)
	}
	if len(o.Histories) > 0 {
		for _, f := range o.Histories {
			raw, err := os.ReadFile(f)
			if err != nil {
				return obs, "", err
			}
			var d history.Data
			if err := json.Unmarshal(raw, &d); err != nil {
				return obs, "", fmt.Errorf("%s: not an agent history: %w", f, err)
			}
			obs.Merge(d)
		}
		return obs, fmt.Sprintf("saved histories (%s)", count(len(o.Histories), "file")), nil
	}
	if o.Collect == nil {
		return obs, "", fmt.Errorf("no histories given and no cluster to read them from")
	}
	ds, what, err := o.Collect(ctx)
	if err != nil {
		return obs, "", err
	}
	for _, d := range ds {
		obs.Merge(d)
	}
	return obs, what, nil
}

// renderWorkload renders the chart with the values as given, for their figures and to
// run the guards, and returns the values with the chart's defaults too. The agent
// image's registry does not change a figure: where the values leave it empty (the
// installer fills it in), a placeholder lets the render through.
func renderWorkload(ch *release.Chart, files, set []string) (*release.Workload, map[string]any, error) {
	vals, err := release.MergeValues(files, set)
	if err != nil {
		return nil, nil, err
	}
	all, err := ch.Defaults(vals)
	if err != nil {
		return nil, nil, err
	}
	rendered := vals
	if !release.AgentRegistryNamed(all) {
		if rendered, err = release.MergeValues(files, append(append([]string{}, set...), "health.image.registry=registry.invalid")); err != nil {
			return nil, nil, err
		}
	}
	r, err := ch.Render("advise", "advise", rendered)
	if err != nil {
		return nil, nil, err
	}
	m, err := invariants.Decode([]byte(r.Manifest))
	if err != nil {
		return nil, nil, err
	}
	w, problems := release.FindWorkload(m)
	if w == nil {
		return nil, nil, fmt.Errorf("%v", problems)
	}
	return w, all, nil
}

// currentOf reads what the advice builds on from the rendered workload and the values.
func currentOf(w *release.Workload, vals map[string]any) Current {
	c := Current{MinFailureThreshold: invariants.MinFailureThreshold}
	if l := w.Probes[release.Liveness]; l != nil {
		c.LivenessTimeout, c.MeasurePeriod = int(l.TimeoutSeconds), int(l.PeriodSeconds)
	}
	if r := w.Probes[release.Readiness]; r != nil {
		c.ReadinessWindow = int(r.FailureWindow().Seconds())
		c.ReadinessDelay = int(r.InitialDelaySeconds)
	}
	c.StartupDisabled = w.Probes[release.Startup] == nil
	health, _ := vals["health"].(map[string]any)
	if checks, ok := health["checks"].([]any); ok {
		for _, ch := range checks {
			if m, ok := ch.(map[string]any); ok {
				c.Checks = append(c.Checks, m)
			}
		}
	}
	return c
}
