package advise

import (
	"fmt"
	"strings"

	"sigs.k8s.io/yaml"
)

// Source says where the observations came from, for the file's header.
type Source struct {
	What string // e.g. "release kotaemon in namespace kotaemon"
	When string // the date, as the user reads it
	Env  string // the environment's values file the advice overrides
}

// ValuesFile writes the advice as a values override: only the keys it changes, each
// number under the comment that gives its reason.
func (a *Advice) ValuesFile(src Source) string {
	var b strings.Builder
	comment := func(indent string, lines ...string) {
		for _, l := range lines {
			for _, w := range wrap(l, 86-len(indent)) {
				fmt.Fprintf(&b, "%s# %s\n", indent, w)
			}
		}
	}
	comment("", fmt.Sprintf("Probe values advised by kotaemonctl advise from %s on %s, over %s.", src.What, src.When, src.Env),
		fmt.Sprintf("Install with both files, this one last: -f %s -f <this file>. Re-run advise when start-ups or stalls change (the chart's alerts say when).", src.Env))
	for _, w := range a.Warnings {
		comment("", "Warning: "+w)
	}
	b.WriteString("probes:\n  startup:\n")
	comment("    ", a.StartupReason...)
	fmt.Fprintf(&b, "    expectedSeconds: %d\n    safetyFactor: %.1f\n", a.ExpectedSeconds, a.SafetyFactor)
	b.WriteString("    # failureThreshold is derived by the chart from expectedSeconds and safetyFactor.\n")
	b.WriteString("    failureThreshold: null\n")
	if a.LivenessFailures > 0 || a.LivenessDelay > 0 {
		b.WriteString("  liveness:\n")
	}
	if a.LivenessDelay > 0 {
		b.WriteString("    # Covers the start without a startup probe (see startup above).\n")
		fmt.Fprintf(&b, "    initialDelaySeconds: %d\n", a.LivenessDelay)
	}
	if a.LivenessFailures > 0 {
		comment("    ", a.LivenessReason...)
		fmt.Fprintf(&b, "    periodSeconds: %d\n    failureThreshold: %d\n", a.LivenessPeriod, a.LivenessFailures)
	} else {
		comment("", a.LivenessReason...)
	}
	if a.Checks != nil {
		b.WriteString("health:\n")
		comment("  ", "The environment's checks, whole (a values file replaces a list), with advised timeouts:")
		comment("  ", a.ChecksReason...)
		raw, err := yaml.Marshal(map[string]any{"checks": a.Checks})
		if err == nil {
			for _, l := range strings.Split(strings.TrimRight(string(raw), "\n"), "\n") {
				b.WriteString("  " + l + "\n")
			}
		}
	}
	return b.String()
}

// wrap breaks a line into lines of at most width characters at spaces.
func wrap(s string, width int) []string {
	var out []string
	line := ""
	for _, w := range strings.Fields(s) {
		if line != "" && len(line)+1+len(w) > width {
			out = append(out, line)
			line = w
			continue
		}
		if line != "" {
			line += " "
		}
		line += w
	}
	return append(out, line)
}
