package main

// Summaries of repetitions: the median and the spread (min-max) of what happened, and
// how many repetitions watched for a figure that never came.

import (
	"fmt"
	"math"
	"sort"

	"kotaemon-k8s/bench/results"
)

// cell summarises one figure of one scenario in one configuration over its repetitions.
type cell struct {
	values  []float64 // the repetitions where it happened, sorted
	never   int       // repetitions that watched capSecs without it happening
	capSecs float64
}

func (c cell) n() int { return len(c.values) + c.never }

func (c cell) median() float64 {
	if len(c.values) == 0 {
		return math.NaN()
	}
	m := len(c.values) / 2
	if len(c.values)%2 == 1 {
		return c.values[m]
	}
	return (c.values[m-1] + c.values[m]) / 2
}

// collect gathers figure over the results of one scenario and configuration.
func collect(rs []results.Result, part, scenario, config, figure string) cell {
	var c cell
	for _, r := range rs {
		if r.Part != part || r.Scenario != scenario || r.Config != config {
			continue
		}
		if v, ok := r.Figures[figure]; ok {
			c.values = append(c.values, v)
		} else if capSecs, ok := r.Caps[figure]; ok {
			c.never++
			c.capSecs = max(c.capSecs, capSecs)
		}
	}
	sort.Float64s(c.values)
	return c
}

// format writes a cell as "median (min-max)", with a note of repetitions where it never
// happened; unit formats one value.
func (c cell) format(unit func(float64) string) string {
	switch {
	case c.n() == 0:
		return "not measured"
	case len(c.values) == 0:
		return fmt.Sprintf("never within %s (%d of %d)", fmtDuration(c.capSecs), c.never, c.n())
	}
	s := unit(c.median())
	if lo, hi := unit(c.values[0]), unit(c.values[len(c.values)-1]); lo != hi {
		s += fmt.Sprintf(" (%s–%s)", lo, hi)
	}
	if c.never > 0 {
		s += fmt.Sprintf("; never within %s in %d of %d", fmtDuration(c.capSecs), c.never, c.n())
	}
	return s
}

// ratio is c's median over base's, when both happened every time.
func ratio(c, base cell) string {
	if len(c.values) == 0 || len(base.values) == 0 || c.never > 0 || base.never > 0 {
		return "–"
	}
	b := base.median()
	if b == 0 {
		if c.median() == 0 {
			return "="
		}
		return "∞"
	}
	r := c.median() / b
	if r < 10 {
		return fmt.Sprintf("×%.2g", r)
	}
	return fmt.Sprintf("×%.0f", r)
}

func fmtDuration(s float64) string {
	if s >= 120 && math.Mod(s, 60) == 0 {
		return fmt.Sprintf("%.0f min", s/60)
	}
	return fmt.Sprintf("%.0f s", s)
}

func secs(v float64) string {
	if v < 10 {
		return fmt.Sprintf("%.1f s", v)
	}
	return fmt.Sprintf("%.0f s", v)
}

func count(v float64) string {
	if v == math.Trunc(v) {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.1f", v)
}

func millis(v float64) string {
	if v < 1 {
		return fmt.Sprintf("%.2f ms", v)
	}
	if v < 100 {
		return fmt.Sprintf("%.1f ms", v)
	}
	return fmt.Sprintf("%.0f ms", v)
}

func mib(v float64) string  { return fmt.Sprintf("%.1f MiB", v) }
func rate(v float64) string { return fmt.Sprintf("%.1f/s", v) }
func minutes(v float64) string {
	if v < 60 {
		return secs(v)
	}
	return fmt.Sprintf("%d min %02d s", int(v)/60, int(v)%60)
}
