package main

// Parts 2 and 3: what a probe costs in each design, and how many calls the dependencies
// receive per probe rate. The rates, windows and worker counts in the text are the ones
// the results recorded.

import (
	"bytes"
	"fmt"

	"kotaemon-k8s/bench/results"
)

var costDesigns = []struct{ name, title string }{
	{"agent", "agent `/health/ready`"},
	{"exec", "exec probe (a process per probe)"},
	{"direct", "the app directly (the floor)"},
}

// costRates are the rates of the cost part, in the order the report shows them.
var costRates = []string{"kubelet-1-per-s", "1000-per-s"}

func probeCost(b *bytes.Buffer, rs []results.Result) {
	exec := setupOf(rs, "probe-cost", costRates[len(costRates)-1], "exec")
	agent := setupOf(rs, "probe-cost", costRates[0], "agent")
	deps := setupOf(rs, "amplification", ampRates[0]+"-probes-per-s", "agent").text("dependencies", count)
	fmt.Fprintf(b, `## 2. Probe cost

Repeat: `+"`make bench-probes`"+` (cmd/bench/agentbench -compare).

A real agent process over loopback, with an app double and %s dependency doubles, against
an exec probe that starts a process per probe (the agent binary's `+"`check`"+` command asking the
app's `+"`/app_id`"+`: a process start and one request, so a floor of what a container
runtime's exec costs), and the same generator asking the app double directly. The HTTP
designs keep at most %s requests in flight, the exec probe %s processes. Agent CPU per
1,000 probes includes its background checks and is read from /proc in clock ticks, so at
low rates it is coarse; the exec probe's CPU is its processes' own (user + system). The app
double runs inside the generator, so it has no CPU or memory figure. Latencies count from
each probe's slot in the schedule, so a probe that waits for a free worker counts its wait,
and designs that fall behind the rate are not flattered; "from the send" leaves the wait
out. Compare the achieved rates before the latencies.

`, deps, agent.text("workers", count), exec.text("workers", count))
	for _, cr := range costRates {
		s := setupOf(rs, "probe-cost", cr, "agent")
		together := "the three designs one after the other"
		if s["allAtOnce"] == true {
			together = "the three designs at once"
		}
		fmt.Fprintf(b, "### %s probes a second (%s per repetition, %s)\n\n| design | achieved rate | p50 | p99 | p50 from the send | CPU per 1,000 probes | peak RSS | failed / sent |\n|---|---|---|---|---|---|---|---|\n",
			s.text("ratePerSecond", count), s.text("seconds", setting), together)
		for _, d := range costDesigns {
			get := func(f string) cell { return collect(rs, "probe-cost", cr, d.name, f) }
			cpu, rss := get("cpuMsPer1000").format(millis), get("rssMiB").format(mib)
			if d.name == "direct" {
				cpu, rss = "–", "–"
			}
			fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s | %s | %s / %s |\n", d.title, get("achievedPerS").format(rate),
				get("dueP50Ms").format(millis), get("dueP99Ms").format(millis), get("p50Ms").format(millis),
				cpu, rss, get("failed").format(count), get("sent").format(count))
		}
		agentP50, execP50 := collect(rs, "probe-cost", cr, "agent", "dueP50Ms"), collect(rs, "probe-cost", cr, "exec", "dueP50Ms")
		agentCPU, execCPU := collect(rs, "probe-cost", cr, "agent", "cpuMsPer1000"), collect(rs, "probe-cost", cr, "exec", "cpuMsPer1000")
		fmt.Fprintf(b, "\nexec probe / agent: p50 %s, CPU per probe %s.\n\n", ratio(execP50, agentP50), ratio(execCPU, agentCPU))
	}
}

// ampRates are the probe rates of the amplification part.
var ampRates = []string{"1", "10", "100", "1000"}

func amplification(b *bytes.Buffer, rs []results.Result) {
	s := setupOf(rs, "amplification", ampRates[0]+"-probes-per-s", "agent")
	fmt.Fprintf(b, `## 3. Amplification

Repeat: `+"`make bench-probes`"+`.

Calls each dependency double receives per minute while probes arrive at a fixed rate, for
the agent (%s checks run in the background every %s, jittered; a probe reads their cached
result) and for a pass-through design that calls every dependency on every probe. All
rates and both designs run at once, %s per repetition.

| probes/s | agent: calls per dependency per minute | pass-through | pass-through / agent |
|---|---|---|---|
`, s.text("dependencies", count), s.text("checkIntervalSeconds", setting), s.text("windowSeconds", fmtDuration))
	for _, r := range ampRates {
		sc := r + "-probes-per-s"
		a := collect(rs, "amplification", sc, "agent", "callsPerDependencyPerMinute")
		p := collect(rs, "amplification", sc, "pass-through", "callsPerDependencyPerMinute")
		fmt.Fprintf(b, "| %s | %s | %s | %s |\n", r, a.format(count), p.format(count), ratio(p, a))
	}
	b.WriteString("\n")
}
