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
	// The probe schedule's limit on the figure, where the repetitions recorded one: the
	// highest over them, the average of their means at uniform phases, and how many
	// repetitions measured more than their own limit.
	limit, mean float64
	limits      int
	above       int
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
		v, ok := r.Figures[figure]
		if limit, has := r.Limits[figure]; has {
			c.limits++
			c.limit = max(c.limit, limit)
			c.mean += r.Limits[figure+"/mean"]
			if ok && v > limit {
				c.above++
			}
		}
		if ok {
			c.values = append(c.values, v)
		} else if capSecs, ok := r.Caps[figure]; ok {
			c.never++
			c.capSecs = max(c.capSecs, capSecs)
		}
	}
	sort.Float64s(c.values)
	if c.limits > 0 {
		c.mean /= float64(c.limits)
	}
	return c
}

// worst is the worst repetition: the highest value, or the lowest where lower is worse;
// "never within" when a repetition never got there.
func (c cell) worst(unit func(float64) string, lowerIsWorse bool) string {
	switch {
	case c.n() == 0:
		return "not measured"
	case c.never > 0:
		return fmt.Sprintf("never within %s (%d of %d)", fmtDuration(c.capSecs), c.never, c.n())
	case lowerIsWorse:
		return unit(c.values[0])
	}
	return unit(c.values[len(c.values)-1])
}

// medianOnly is the median, or what stands for it when there is none.
func (c cell) medianOnly(unit func(float64) string) string {
	switch {
	case c.n() == 0:
		return "not measured"
	case len(c.values) == 0:
		return fmt.Sprintf("never within %s", fmtDuration(c.capSecs))
	}
	return unit(c.median())
}

// medianAndWorst is "median (worst W)", or the median alone when every repetition agreed.
func (c cell) medianAndWorst(unit func(float64) string, lowerIsWorse bool) string {
	m, w := c.medianOnly(unit), c.worst(unit, lowerIsWorse)
	switch {
	case len(c.values) == 0:
		return w // "never within ... (n of N)", or "not measured"
	case m == w:
		return m
	}
	return fmt.Sprintf("%s (worst %s)", m, w)
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

// secsFine writes sub-second settings in milliseconds.
func secsFine(v float64) string {
	if v < 1 {
		return fmt.Sprintf("%.0f ms", v*1000)
	}
	return secs(v)
}

// setting writes a configured number of seconds as it was configured: "10 s", "0.5 s".
func setting(v float64) string { return count(v) + " s" }
