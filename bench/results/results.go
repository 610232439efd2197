// Package results is the one shape every benchmark writes (the in-cluster scenarios,
// agentbench, the test-speed runs) and cmd/bench/benchreport reads: one repetition of one
// scenario in one configuration, with its figures. A figure that did not happen is left
// out of Figures and its watch time put in Caps, so "never within 4 min" is a result too.
// A result also carries what the report says about how it was measured: the inputs drawn
// at random (with the seed), the configuration as it ran (Setup), and the limit the
// kubelet's probe schedule puts on a figure, so no sentence of the report is typed by hand.
package results

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Result is one repetition.
type Result struct {
	Part     string             `json:"part"`     // in-cluster, probe-cost, amplification, test-speed
	Scenario string             `json:"scenario"` // e.g. slow-start-90s, rate-1000
	Config   string             `json:"config"`   // e.g. chart, naive, agent, exec
	Rep      int                `json:"rep"`
	Figures  map[string]float64 `json:"figures"`
	Caps     map[string]float64 `json:"caps,omitempty"` // figure -> seconds watched without it happening
	// Seed is the random source the draws came from (0: nothing was drawn).
	Seed uint64 `json:"seed,omitempty"`
	// Draws are the inputs drawn for this repetition, e.g. startupSeconds.
	Draws map[string]float64 `json:"draws,omitempty"`
	// Setup is the configuration as it ran, e.g. readiness.periodSeconds: 10, or
	// readiness.target: "GET :8000/health/ready"; numbers as numbers.
	Setup map[string]any `json:"setup,omitempty"`
	// Limits are, per figure, the longest the probe schedule allows in this repetition.
	Limits map[string]float64 `json:"limits,omitempty"`
}

// New starts a result with empty figures.
func New(part, scenario, config string, rep int) *Result {
	return &Result{Part: part, Scenario: scenario, Config: config, Rep: rep, Figures: map[string]float64{}, Caps: map[string]float64{},
		Draws: map[string]float64{}, Setup: map[string]any{}, Limits: map[string]float64{}}
}

// Draw records an input drawn at random and the seed it came from.
func (r *Result) Draw(name string, v float64, seed uint64) {
	r.Draws[name] = v
	r.Seed = seed
}

// Describe records one setting of the configuration as it ran.
func (r *Result) Describe(setting string, v any) { r.Setup[setting] = v }

// Limit records the longest the probe schedule allows a figure in this repetition.
func (r *Result) Limit(figure string, seconds float64) { r.Limits[figure] = seconds }

// Set records a figure.
func (r *Result) Set(figure string, v float64) { r.Figures[figure] = v }

// Never records that figure did not happen in the watched seconds.
func (r *Result) Never(figure string, watchedSeconds float64) { r.Caps[figure] = watchedSeconds }

// FileName is a result's file in its directory: part, scenario, config and repetition.
func (r *Result) FileName() string {
	clean := strings.NewReplacer("/", "_", " ", "_").Replace
	return fmt.Sprintf("%s__%s__%s__%d.json", clean(r.Part), clean(r.Scenario), clean(r.Config), r.Rep)
}

// Write writes r into dir.
func Write(dir string, r *Result) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, r.FileName()), b, 0o644)
}

// Load reads every result under dir (recursively), sorted by part, scenario, config, rep.
func Load(dir string) ([]Result, error) {
	var out []Result
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".json") {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		var r Result
		if err := json.Unmarshal(b, &r); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		if r.Part == "" || r.Scenario == "" || r.Config == "" {
			return fmt.Errorf("%s: part, scenario and config are required", path)
		}
		out = append(out, r)
		return nil
	})
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Part != b.Part {
			return a.Part < b.Part
		}
		if a.Scenario != b.Scenario {
			return a.Scenario < b.Scenario
		}
		if a.Config != b.Config {
			return a.Config < b.Config
		}
		return a.Rep < b.Rep
	})
	return out, err
}
