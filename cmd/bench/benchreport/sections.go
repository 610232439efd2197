package main

// The report's four parts and its key figures. Each names what it measured, how, and
// the command that repeats it.

import (
	"bytes"
	"fmt"
	"strings"

	"kotaemon-k8s/bench/results"
)

// configs are the in-cluster configurations, in column order.
var configs = []struct{ name, title string }{
	{"chart", "(a) this chart's defaults"},
	{"seed-article", "(b) classic (`values/seed-article.yaml`)"},
	{"naive", "(c) naive probes"},
}

// stopConfig is the configuration played in the upgrades only: the chart with the stop
// it had before it waited for answers in flight (SIGTERM passed on to the app).
var stopConfig = struct{ name, title string }{"stop-as-before", "(d) the stop before answers were awaited"}

// upgradeScenarios are the scenarios stopConfig is played in, with their short titles.
var upgradeScenarios = []struct{ name, title string }{{"upgrade-1-replica", "1 replica"}, {"upgrade-2-replicas", "2 replicas"}}

type figure struct {
	name, title string
	unit        func(float64) string
}

type scenario struct {
	name, title, what string
	figures           []figure
}

var clusterScenarios = []scenario{
	{"slow-start-20s", "Slow start, S = 20 s", "The app keeps its port closed for 20 s after the container starts.", startFigures},
	{"slow-start-90s", "Slow start, S = 90 s", "The app keeps its port closed for 90 s after the container starts.", startFigures},
	{"deadlock", "Deadlock", "Every app request hangs; the process lives.", []figure{
		{"deadlockToKill", "deadlock → the kubelet decides to kill (Killing event)", secs},
		{"deadlockToRestart", "deadlock → container restarted", secs},
	}},
	{"dependency-outage", "Dependency outage, 3 min", "A critical dependency (the dependency stand-in as Ollama) is down for 3 minutes, then back.", []figure{
		{"outageToNotReady", "outage → NotReady", secs},
		{"inServiceDuringOutage", "time in the Service's ready endpoints during the outage", secs},
		{"restartsDuringOutage", "restarts during the outage", count},
		{"recoveryToReady", "recovery → Ready", secs},
	}},
	{"worker-stall", "Worker-pool stall, 60 s", "Every worker is taken for 60 s while the event loop keeps answering (Gradio's sync routes stall, `/startup-events` answers); the app recovers by itself.", []figure{
		{"falseRestarts", "restarts during the stall and 15 s after (each one is false)", count},
		{"stallToNotReady", "stall → NotReady", secs},
	}},
	{"upgrade-1-replica", "helm upgrade, 1 replica", "`helm upgrade` changes the pod template while a client sends a request through the Service every 100 ms (keep-alive off, 2 s timeout) and two clients each stream one 10 s answer after another (server-sent events, as Gradio streams a chat answer). One replica on a ReadWriteOnce volume rolls with Recreate.", upgradeFigures},
	{"upgrade-2-replicas", "helm upgrade, 2 replicas", "The same with two replicas on external stores, rolling with maxUnavailable 0.", upgradeFigures},
}

var startFigures = []figure{
	{"readyLag", "ready lag: Ready minus the app's first answer", secs},
	{"readyAfterStart", "Ready after the container started", secs},
	{"restartsBeforeReady", "restarts before the first Ready (or the end of the watch)", count},
}

var upgradeFigures = []figure{
	{"failedRequests", "failed requests", count},
	{"longestWithoutAnswer", "longest time between two answers through the Service", secs},
	{"requests", "requests sent from the upgrade to 15 s after the rollout (each failure may take its 2 s timeout)", count},
	{"upgradeToRolledOut", "upgrade → rollout complete", secs},
	{"answersEnded", "streamed answers that ended from the upgrade to 15 s after the rollout", count},
	{"cutAnswers", "of those, answers cut off mid-stream", count},
}

func inCluster(b *bytes.Buffer, rs []results.Result, pictures string) {
	b.WriteString(`## 1. Probe behaviour in the cluster

Repeat: ` + "`make bench-cluster`" + ` (BENCH_REPS=3 by default; ` + "`BENCH_RUN=deadlock`" + ` picks scenarios).

The Kotaemon stand-in (standin/kotaemon) runs in place of the app, with the real health
agent in wrapper mode, in these configurations, installed side by side:

- **(a) this chart's defaults**: a startup probe sized from ` + "`expectedSeconds: 120`" + ` x 1.5,
  readiness on the agent's ` + "`/health/ready`" + ` every 10 s, liveness on ` + "`/health/live`" + ` every 30 s;
- **(b) the classic configuration** of ` + "`values/seed-article.yaml`" + `: no startup probe,
  readiness after 60 s, liveness after 120 s;
- **(c) naive probes** (` + "`cmd/bench/naiveprobes`" + `, a helm post-renderer, since the chart's guards
  refuse them): liveness and readiness both on the app's ` + "`/`" + `, timeout 1 s, no startup
  probe, initialDelaySeconds 30. Everything else about the pod is the chart's (the agent still
  drains on SIGTERM), so only the probes differ;
- **(d) the stop before answers were awaited**, in the upgrades only (the chart with
  SIGTERM passed on to the app and no wait for answers in flight): see "Stopping without
  cutting an answer".

Outside the slow-start scenarios the app starts in 20 s. The dependency check runs every 2 s
with a 1 s timeout in every configuration. Times are seconds on the test's clock; the app's
first answer is the stand-in's own record of when it bound its port. "Never within" means
the scenario watched that long without it happening.

`)
	for _, sc := range clusterScenarios {
		fmt.Fprintf(b, "### %s\n\n%s\n\n", sc.title, sc.what)
		clusterTable(b, rs, sc, pictures)
	}
	gracefulStop(b, rs, pictures)
}

// clusterTable is one scenario's figures in configurations (a) to (c), with ratios.
func clusterTable(b *bytes.Buffer, rs []results.Result, sc scenario, pictures string) {
	b.WriteString("| figure |")
	for _, c := range configs {
		fmt.Fprintf(b, " %s |", c.title)
	}
	b.WriteString(" (b) / (a) | (c) / (a) |\n|---|---|---|---|---|---|\n")
	for _, f := range sc.figures {
		cells := make([]cell, len(configs))
		for i, c := range configs {
			cells[i] = collect(rs, "in-cluster", sc.name, c.name, f.name)
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s |\n", f.title, cells[0].format(f.unit), cells[1].format(f.unit), cells[2].format(f.unit),
			ratio(cells[1], cells[0]), ratio(cells[2], cells[0]))
	}
	fmt.Fprintf(b, "\nRepetitions: %s. Pictures (repetition 1):", repetitions(rs, sc.name))
	for _, c := range configs {
		fmt.Fprintf(b, " [%s](%s/TestBenchInCluster__%s__%s__1.svg)", strings.SplitN(c.title, " ", 2)[0], pictures, sc.name, c.name)
	}
	b.WriteString("\n\n")
}

// gracefulStop compares this chart's stop with the one before it waited for answers, in
// the upgrade scenarios: only the stop differs.
func gracefulStop(b *bytes.Buffer, rs []results.Result, pictures string) {
	b.WriteString(`### Stopping without cutting an answer

The upgrades above, played once more with ` + "`" + `health.shutdown.stopSignal: SIGTERM` + "`" + ` and
` + "`" + `answersTimeoutSeconds: 0` + "`" + ` (configuration (d)): the agent passes SIGTERM on to the app
once the drain delay is over, as it did before it waited for answers in flight. Kotaemon's
Python dies at once on SIGTERM (docs/kotaemon.md), and so does the stand-in. In (a) the agent
waits for the answers in flight on the app port, then sends SIGINT, on which Gradio closes
cleanly. Waiting costs time where there is one replica: the new pod starts only once the
old one has stopped (Recreate), so the time without an answer grows by the answers' rest.

| figure |`)
	for _, u := range upgradeScenarios {
		fmt.Fprintf(b, " (a), %s | (d), %s |", u.title, u.title)
	}
	b.WriteString("\n|---|---|---|---|---|\n")
	for _, f := range figuresNamed(upgradeFigures, "answersEnded", "cutAnswers", "failedRequests", "longestWithoutAnswer") {
		fmt.Fprintf(b, "| %s |", f.title)
		for _, u := range upgradeScenarios {
			fmt.Fprintf(b, " %s | %s |", collect(rs, "in-cluster", u.name, "chart", f.name).format(f.unit), collect(rs, "in-cluster", u.name, stopConfig.name, f.name).format(f.unit))
		}
		b.WriteString("\n")
	}
	b.WriteString("\nRepetitions:")
	for _, u := range upgradeScenarios {
		fmt.Fprintf(b, " %s: (a) %d, (d) %d;", u.title, reps(rs, u.name, "chart"), reps(rs, u.name, stopConfig.name))
	}
	b.WriteString(" pictures (repetition 1):")
	for _, u := range upgradeScenarios {
		fmt.Fprintf(b, " [(d) %s](%s/TestBenchInCluster__%s__%s__1.svg)", u.title, pictures, u.name, stopConfig.name)
	}
	b.WriteString("\n\n")
}

// figuresNamed picks figures by name, in the order given.
func figuresNamed(fs []figure, names ...string) []figure {
	var out []figure
	for _, n := range names {
		for _, f := range fs {
			if f.name == n {
				out = append(out, f)
			}
		}
	}
	return out
}

// reps counts the repetitions of a configuration in an in-cluster scenario.
func reps(rs []results.Result, sc, config string) int {
	n := 0
	for _, r := range rs {
		if r.Part == "in-cluster" && r.Scenario == sc && r.Config == config {
			n++
		}
	}
	return n
}

// repetitions lists how many repetitions each configuration has for a scenario.
func repetitions(rs []results.Result, sc string) string {
	var parts []string
	for _, c := range configs {
		parts = append(parts, fmt.Sprintf("%s %d", strings.SplitN(c.title, " ", 2)[0], reps(rs, sc, c.name)))
	}
	return strings.Join(parts, ", ")
}

var costDesigns = []struct{ name, title string }{
	{"agent", "agent `/health/ready`"},
	{"exec", "exec probe (a process per probe)"},
	{"direct", "the app directly (the floor)"},
}

func probeCost(b *bytes.Buffer, rs []results.Result) {
	b.WriteString(`## 2. Probe cost

Repeat: ` + "`make bench-probes`" + ` (cmd/bench/agentbench -compare).

A real agent process over loopback, with an app double and three dependency doubles, against
an exec probe that starts a process per probe (the agent binary's ` + "`check`" + ` command asking the
app's ` + "`/app_id`" + `: a process start and one request, so a floor of what a container
runtime's exec costs), and the same generator asking the app double directly. One probe a
second stands for the kubelet (the chart's defaults probe readiness every 10 s and liveness
every 30 s, so this is more than the real rate); at that rate the three run at once. At
1,000/s they run one after the other. Agent CPU per 1,000 probes includes its background
checks and is read from /proc in 10 ms ticks, so at 1/s it is coarse; the exec probe's CPU is
its processes' own (user + system). The app double runs inside the generator, so it has no
CPU or memory figure. Latencies count from each probe's slot in the schedule, so a probe
that waits for a free worker (or one of the exec probe's 64 slots) counts its wait, and
designs that fall behind the rate are not flattered; "from the send" leaves the wait out.
Compare the achieved rates before the latencies.

`)
	for _, cr := range []struct{ name, title string }{{"kubelet-1-per-s", "One probe a second (30 s per repetition)"}, {"1000-per-s", "1,000 probes a second (5 s per repetition)"}} {
		fmt.Fprintf(b, "### %s\n\n| design | achieved rate | p50 | p99 | p50 from the send | CPU per 1,000 probes | peak RSS | failed / sent |\n|---|---|---|---|---|---|---|---|\n", cr.title)
		for _, d := range costDesigns {
			get := func(f string) cell { return collect(rs, "probe-cost", cr.name, d.name, f) }
			cpu, rss := get("cpuMsPer1000").format(millis), get("rssMiB").format(mib)
			if d.name == "direct" {
				cpu, rss = "–", "–"
			}
			fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s | %s | %s / %s |\n", d.title, get("achievedPerS").format(rate),
				get("dueP50Ms").format(millis), get("dueP99Ms").format(millis), get("p50Ms").format(millis),
				cpu, rss, get("failed").format(count), get("sent").format(count))
		}
		agentP50, execP50 := collect(rs, "probe-cost", cr.name, "agent", "dueP50Ms"), collect(rs, "probe-cost", cr.name, "exec", "dueP50Ms")
		agentCPU, execCPU := collect(rs, "probe-cost", cr.name, "agent", "cpuMsPer1000"), collect(rs, "probe-cost", cr.name, "exec", "cpuMsPer1000")
		fmt.Fprintf(b, "\nexec probe / agent: p50 %s, CPU per probe %s.\n\n", ratio(execP50, agentP50), ratio(execCPU, agentCPU))
	}
}

func amplification(b *bytes.Buffer, rs []results.Result) {
	b.WriteString(`## 3. Amplification

Repeat: ` + "`make bench-probes`" + `.

Calls each dependency double receives per minute while probes arrive at a fixed rate, for
the agent (three checks run in the background every 10 s, jitter ±10 %; a probe reads their
cached result) and for a pass-through design that calls every dependency on every probe.
All rates and both designs run at once, one minute per repetition.

| probes/s | agent: calls per dependency per minute | pass-through | pass-through / agent |
|---|---|---|---|
`)
	for _, r := range []string{"1", "10", "100", "1000"} {
		sc := r + "-probes-per-s"
		a := collect(rs, "amplification", sc, "agent", "callsPerDependencyPerMinute")
		p := collect(rs, "amplification", sc, "pass-through", "callsPerDependencyPerMinute")
		fmt.Fprintf(b, "| %s | %s | %s | %s |\n", r, a.format(count), p.format(count), ratio(p, a))
	}
	b.WriteString("\n")
}

func testSpeed(b *bytes.Buffer, rs []results.Result) {
	b.WriteString(`## 4. Test speed

Repeat: ` + "`make bench-speed`" + ` (warm caches, the embedded cluster up); the cold run: ` + "`make bench-cold-ci`" + `.

| what | figure |
|---|---|
`)
	tt := collect(rs, "test-speed", "renders", "terratest", "perSecond")
	sdk := collect(rs, "test-speed", "renders", "sdk", "perSecond")
	fmt.Fprintf(b, "| renders per second, terratest (one helm process per render), dev values | %s |\n", tt.format(rate))
	fmt.Fprintf(b, "| renders per second, helm SDK in-process | %s (%s terratest's) |\n", sdk.format(rate), ratio(sdk, tt))
	fmt.Fprintf(b, "| `make test-render`, warm | %s |\n", collect(rs, "test-speed", "test-render", "warm", "wallSeconds").format(minutes))
	fmt.Fprintf(b, "| `make test-deploy` (the deploy suite), warm | %s |\n", collect(rs, "test-speed", "test-deploy", "warm", "wallSeconds").format(minutes))
	fmt.Fprintf(b, "| `bash .ci/run` on a fresh clone, cold (empty Go, cluster-component and image caches) | %s |\n", collect(rs, "test-speed", "ci", "cold", "wallSeconds").format(minutes))
	b.WriteString("\n")
}

// keyFigures are the three figures users care most about, against the classic and the
// naive configuration.
func keyFigures(rs []results.Result) string {
	var b bytes.Buffer
	b.WriteString("## Key figures\n\n")
	row := func(title, sc, fig string, unit func(float64) string) {
		fmt.Fprintf(&b, "| %s |", title)
		for _, c := range configs {
			fmt.Fprintf(&b, " %s |", collect(rs, "in-cluster", sc, c.name, fig).format(unit))
		}
		b.WriteString("\n")
	}
	b.WriteString("| measured by `make bench-cluster` |")
	for _, c := range configs {
		fmt.Fprintf(&b, " %s |", c.title)
	}
	b.WriteString("\n|---|---|---|---|\n")
	row("ready lag after a 20 s start (Ready minus the app's first answer)", "slow-start-20s", "readyLag", secs)
	row("ready lag after a 90 s start", "slow-start-90s", "readyLag", secs)
	row("restarts before Ready after a 90 s start", "slow-start-90s", "restartsBeforeReady", count)
	row("restarts during a 3-min dependency outage", "dependency-outage", "restartsDuringOutage", count)
	row("time in the Service during that outage", "dependency-outage", "inServiceDuringOutage", secs)
	row("failed requests during `helm upgrade`, 2 replicas", "upgrade-2-replicas", "failedRequests", count)
	row("failed requests during `helm upgrade`, 1 replica", "upgrade-1-replica", "failedRequests", count)
	row("longest time without an answer during that upgrade", "upgrade-1-replica", "longestWithoutAnswer", secs)
	row("streamed answers cut during `helm upgrade`, 1 replica", "upgrade-1-replica", "cutAnswers", count)
	b.WriteString("\nWith the stop before answers were awaited (configuration (d), section 1), `helm upgrade`\ncut")
	for i, u := range upgradeScenarios {
		sep := ";"
		if i == len(upgradeScenarios)-1 {
			sep = "."
		}
		fmt.Fprintf(&b, " %s of the %s streamed answers that ended (%s)%s", collect(rs, "in-cluster", u.name, stopConfig.name, "cutAnswers").format(count),
			collect(rs, "in-cluster", u.name, stopConfig.name, "answersEnded").format(count), u.title, sep)
	}
	b.WriteString("\n\n")
	return b.String()
}
