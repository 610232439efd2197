package main

// What the results say about how they were measured: the configuration as it ran
// (results.Result.Setup), the inputs drawn at random and the probe schedule's limits. The
// report's sentences that carry a number or a setting are written from these, never typed.

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"kotaemon-k8s/bench/results"
)

// setup is the configuration one part, scenario and configuration ran with: the first
// repetition's (every repetition of a cell runs the same configuration).
type setup map[string]any

func setupOf(rs []results.Result, part, scenario, config string) setup {
	for _, r := range rs {
		if r.Part == part && r.Scenario == scenario && (config == "" || r.Config == config) && len(r.Setup) > 0 {
			return r.Setup
		}
	}
	return setup{}
}

// num is a numeric setting; ok is false when it was not recorded.
func (s setup) num(key string) (float64, bool) {
	v, ok := s[key].(float64)
	return v, ok
}

// text is a setting as the report writes it: "?" when it was not recorded, so a missing
// setting shows instead of a made-up one.
func (s setup) text(key string, unit func(float64) string) string {
	switch v := s[key].(type) {
	case float64:
		return unit(v)
	case string:
		return v
	case bool:
		return fmt.Sprint(v)
	}
	return "?"
}

// probe describes one probe of a configuration, e.g. "readiness GET :8000/health/ready
// every 10 s, timeout 5 s, 3 failures".
func (s setup) probe(kind string) string {
	target := s.text(kind+".target", setting)
	if target == "none" {
		return "no " + kind + " probe"
	}
	out := fmt.Sprintf("%s `%s`", kind, target)
	if d, _ := s.num(kind + ".initialDelaySeconds"); d > 0 {
		out += " after " + setting(d)
	}
	out += fmt.Sprintf(" every %s, timeout %s, %s failures", s.text(kind+".periodSeconds", setting), s.text(kind+".timeoutSeconds", setting), s.text(kind+".failureThreshold", count))
	if kind == "startup" {
		p, ok1 := s.num("startup.periodSeconds")
		f, ok2 := s.num("startup.failureThreshold")
		d, _ := s.num("startup.initialDelaySeconds")
		if ok1 && ok2 {
			out += fmt.Sprintf(" (a budget of %s)", setting(d+p*f))
		}
	}
	return out
}

// probes describes every probe of a configuration.
func (s setup) probes() string {
	if _, ok := s["readiness.target"]; !ok {
		return "probes not recorded"
	}
	return strings.Join([]string{s.probe("startup"), s.probe("readiness"), s.probe("liveness")}, "; ")
}

// drawn is an input drawn at random over a scenario's repetitions.
type drawn struct {
	from, to float64 // the range it was drawn from
	lo, hi   float64 // the lowest and highest drawn
	n        int
	seeds    []uint64
}

func drawsOf(rs []results.Result, part, scenario, name string) drawn {
	d := drawn{lo: math.Inf(1), hi: math.Inf(-1)}
	seen := map[uint64]bool{}
	for _, r := range rs {
		v, ok := r.Draws[name]
		if r.Part != part || r.Scenario != scenario || !ok {
			continue
		}
		d.n++
		d.lo, d.hi = min(d.lo, v), max(d.hi, v)
		d.from, _ = setup(r.Setup).num(name + ".fromSeconds")
		d.to, _ = setup(r.Setup).num(name + ".toSeconds")
		if !seen[r.Seed] {
			seen[r.Seed] = true
			d.seeds = append(d.seeds, r.Seed)
		}
	}
	sort.Slice(d.seeds, func(i, j int) bool { return d.seeds[i] < d.seeds[j] })
	return d
}

// String says what was drawn: "drawn uniformly from 20–50 s (20 draws: 20.4–49.8 s)".
func (d drawn) String() string {
	if d.n == 0 {
		return "not drawn"
	}
	return fmt.Sprintf("drawn uniformly from %s–%s (%d draws: %s–%s)", count(d.from), setting(d.to), d.n, secs(d.lo), secs(d.hi))
}

// seedsOf lists the seeds of every in-cluster result.
func seedsOf(rs []results.Result) string {
	seen := map[uint64]bool{}
	var out []string
	for _, r := range rs {
		if r.Part == "in-cluster" && r.Seed != 0 && !seen[r.Seed] {
			seen[r.Seed] = true
			out = append(out, fmt.Sprint(r.Seed))
		}
	}
	if len(out) == 0 {
		return "none recorded (nothing was drawn)"
	}
	return strings.Join(out, ", ")
}
