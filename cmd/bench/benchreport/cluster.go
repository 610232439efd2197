package main

// Part 1, probe behaviour in the cluster, and the key figures. Every number and setting
// in its text comes from the results: the probes as they rendered, the inputs drawn, the
// scenario's lengths and the probe schedule's limits.

import (
	"bytes"
	"fmt"
	"sort"
	"strings"

	"kotaemon-k8s/bench/results"
)

// configuration is one in-cluster configuration (bench/results names them) and how it
// is made (its probes come from the results).
type configuration struct {
	results.Configuration
	made string
}

// made says how each configuration is made, by name.
var made = map[string]string{
	"chart":             "the chart's `values.yaml`",
	"seed-article":      "`values/seed-article.yaml`",
	"naive":             "`cmd/bench/naiveprobes`, a helm post-renderer, since the chart's guards refuse them; everything else about the pod is the chart's, so only the probes differ",
	"liveness-on-ready": "`cmd/chartmutant liveness-on-the-ready-endpoint` over the chart's defaults: liveness asks the endpoint readiness asks, which checks dependencies and the app's worker pool, as many charts ship",
	"stop-as-before":    "the chart with the stop it had before it waited for answers in flight: SIGTERM passed on to the app once the drain delay is over (Kotaemon's Python dies at once on it, docs/kotaemon.md)",
}

// configNamed is the configuration called name.
func configNamed(name string) configuration {
	for _, c := range configs {
		if c.Name == name {
			return c
		}
	}
	return configuration{Configuration: results.ConfigurationNamed(name)}
}

// configs are the in-cluster configurations, in column order.
var configs = func() []configuration {
	var out []configuration
	for _, c := range results.InCluster {
		out = append(out, configuration{c, made[c.Name]})
	}
	return out
}()

type figure struct {
	name, title  string
	unit         func(float64) string
	lowerIsWorse bool
}

// scenarioKind is a family of scenarios: slow starts (one per drawn range) or a fault.
type scenarioKind struct {
	prefix  string
	title   func(rs []results.Result, name string) string
	what    func(rs []results.Result, name string) string
	figures []figure
}

var startFigures = []figure{
	{"readyLag", "ready lag: Ready minus the app's first answer", secs, false},
	{"readyAfterStart", "Ready after the container started", secs, false},
	{"restartsBeforeReady", "restarts before the first Ready (or the end of the watch)", count, false},
}

var upgradeFigures = []figure{
	{"failedRequests", "failed requests", count, false},
	{"longestWithoutAnswer", "longest time between two answers through the Service", secs, false},
	{"requests", "requests sent from the upgrade to the end of the watch", count, true},
	{"upgradeToRolledOut", "upgrade → rollout complete", secs, false},
	{"answersEnded", "streamed answers that ended from the upgrade to the end of the watch", count, true},
	{"cutAnswers", "of those, answers cut off mid-stream", count, false},
}

var scenarioKinds = []scenarioKind{
	{"slow-start-", func(rs []results.Result, name string) string {
		return "Slow start, " + drawsOf(rs, "in-cluster", name, "startupSeconds").rangeText()
	}, func(rs []results.Result, name string) string {
		return fmt.Sprintf("The app keeps its port closed for a start-up %s after the container starts.", drawsOf(rs, "in-cluster", name, "startupSeconds"))
	}, startFigures},
	{"deadlock", constTitle("Deadlock"), func(rs []results.Result, name string) string {
		return faultStart(rs, name) + "every app request hangs; the process lives."
	}, []figure{
		{"deadlockToKill", "deadlock → the kubelet decides to kill (Killing event)", secs, false},
		{"deadlockToRestart", "deadlock → container restarted", secs, false},
	}},
	{"dependency-outage", func(rs []results.Result, name string) string {
		return "Dependency outage, " + setupOf(rs, "in-cluster", name, "").text("outageSeconds", fmtDuration)
	}, func(rs []results.Result, name string) string {
		s := setupOf(rs, "in-cluster", name, "")
		return faultStart(rs, name) + fmt.Sprintf("a critical dependency (the dependency stand-in as Ollama, checked every %s with a %s timeout, down after %s failed checks) is down for %s, then back.",
			s.text("check.intervalSeconds", setting), s.text("check.timeoutSeconds", setting), s.text("check.failureThreshold", count), s.text("outageSeconds", fmtDuration))
	}, []figure{
		{"outageToNotReady", "outage → NotReady", secs, false},
		{"inServiceDuringOutage", "time in the Service's ready endpoints during the outage", secs, false},
		{"restartsDuringOutage", "restarts during the outage", count, false},
		{"recoveryToReady", "recovery → Ready", secs, false},
	}},
	{"worker-stall", func(rs []results.Result, name string) string {
		return "Worker-pool stall, " + setupOf(rs, "in-cluster", name, "").text("stallSeconds", fmtDuration)
	}, func(rs []results.Result, name string) string {
		s := setupOf(rs, "in-cluster", name, "")
		return faultStart(rs, name) + fmt.Sprintf("every worker is taken for %s while the event loop keeps answering (Gradio's sync routes stall, `/startup-events` answers); the app recovers by itself, so every restart is false. Restarts are counted to %s after the stall.",
			s.text("stallSeconds", fmtDuration), s.text("afterStallSeconds", setting))
	}, []figure{
		{"falseRestarts", "restarts during the stall and after it (each one is false)", count, false},
		{"stallToNotReady", "stall → NotReady", secs, false},
	}},
	{"upgrade-", func(rs []results.Result, name string) string {
		return "helm upgrade, " + setupOf(rs, "in-cluster", name, "").text("replicas", count) + " replica(s)"
	}, upgradeWhat, upgradeFigures},
}

func constTitle(t string) func([]results.Result, string) string {
	return func([]results.Result, string) string { return t }
}

// rangeText is the range an input was drawn from, e.g. "S drawn from 20–50 s".
func (d drawn) rangeText() string {
	if d.n == 0 {
		return "start-up not drawn"
	}
	return fmt.Sprintf("S drawn from %s–%s", count(d.from), setting(d.to))
}

// faultStart says how a fault scenario starts: the app's start-up, Ready, then a drawn wait.
func faultStart(rs []results.Result, name string) string {
	s := setupOf(rs, "in-cluster", name, "")
	return fmt.Sprintf("The app starts in %s; once the pod is Ready and a wait %s has passed, ",
		s.text("startupSeconds", setting), drawsOf(rs, "in-cluster", name, "faultAfterReadySeconds"))
}

func upgradeWhat(rs []results.Result, name string) string {
	s := setupOf(rs, "in-cluster", name, "")
	replicas, _ := s.num("replicas")
	how := "One replica on a ReadWriteOnce volume rolls with Recreate."
	if replicas > 1 {
		how = fmt.Sprintf("%s replicas on external stores roll with maxUnavailable 0.", count(replicas))
	}
	return fmt.Sprintf("The app starts in %s. `helm upgrade` changes the pod template, %s after the streams began, while a client sends a request through the Service every %s (keep-alive off, %s timeout) and %s clients each stream one %s answer after another (server-sent events, as Gradio streams a chat answer). %s The watch ends %s after the rollout.",
		s.text("startupSeconds", setting), drawsOf(rs, "in-cluster", name, "upgradeAfterStreamsSeconds"), s.text("requestIntervalSeconds", secsFine),
		s.text("requestTimeoutSeconds", setting), s.text("streamers", count), s.text("answerSeconds", setting), how, s.text("afterRolloutSeconds", setting))
}

// scenariosOf lists the scenarios of a kind found in the results: slow starts by their
// drawn range, the others by name.
func scenariosOf(rs []results.Result, k scenarioKind) []string {
	seen := map[string]bool{}
	var out []string
	for _, r := range rs {
		if r.Part == "in-cluster" && strings.HasPrefix(r.Scenario, k.prefix) && !seen[r.Scenario] {
			seen[r.Scenario] = true
			out = append(out, r.Scenario)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, _ := setupOf(rs, "in-cluster", out[i], "").num("startupSeconds.fromSeconds")
		b, _ := setupOf(rs, "in-cluster", out[j], "").num("startupSeconds.fromSeconds")
		return a < b
	})
	return out
}

// playedIn are the configurations with results in a scenario, in column order.
func playedIn(rs []results.Result, sc string) []configuration {
	var out []configuration
	for _, c := range configs {
		if reps(rs, sc, c.Name) > 0 {
			out = append(out, c)
		}
	}
	return out
}

func inCluster(b *bytes.Buffer, rs []results.Result, pictures string) {
	b.WriteString("## 1. Probe behaviour in the cluster\n\nRepeat: `make bench-cluster` (`BENCH_DRAWS` draws per scenario and configuration; `BENCH_SEED=<seed>` repeats a run's draws; `BENCH_RUN=deadlock` picks scenarios).\n\n")
	b.WriteString(`The Kotaemon stand-in (standin/kotaemon) runs in place of the app, with the real health
agent in wrapper mode, in these configurations, installed side by side (their probes as
they rendered):

`)
	for _, c := range configs {
		s := setup{}
		for _, r := range rs {
			if r.Part == "in-cluster" && r.Config == c.Name && len(r.Setup) > 0 {
				s = r.Setup
				break
			}
		}
		if len(s) == 0 {
			continue
		}
		fmt.Fprintf(b, "- **%s** (%s): %s.\n", c.Label(), c.made, s.probes())
	}
	fmt.Fprintf(b, `
Start-ups and fault instants are drawn at random phases of the probe schedule, uniformly
over a range as wide as the longest probe period (seeds: %s). Each table gives, per
configuration, the median and the worst draw, and beside them the limit the probe schedule
puts on the figure (the highest over the draws) and its mean when the phases are uniform:
for ready lag, one startup period, since the kubelet runs readiness at once when the
startup probe succeeds (without a startup probe: the rest of readiness's initial delay,
then one readiness period); for a kill or NotReady, the rest of the probe's initial delay,
up to one period to the first failing run, then failureThreshold runs a period apart, the
last one waiting its timeout (after the check itself went down, for an outage). "Above"
counts the draws that took longer than their own limit; the figures are seen through the
API server's watch, so they include the status's way there. Times are seconds on the
test's clock; the app's first answer is the stand-in's own record of when it bound its
port. "Never within" means the scenario watched that long without it happening.

`, seedsOf(rs))
	for _, k := range scenarioKinds {
		for _, sc := range scenariosOf(rs, k) {
			fmt.Fprintf(b, "### %s\n\n%s\n\n", k.title(rs, sc), k.what(rs, sc))
			clusterTable(b, rs, sc, k.figures, pictures)
		}
	}
}

// clusterTable is one scenario: each figure in each configuration played there.
func clusterTable(b *bytes.Buffer, rs []results.Result, sc string, figures []figure, pictures string) {
	played := playedIn(rs, sc)
	b.WriteString("| figure | configuration | median | worst | the schedule's limit | its mean | above | median / (a)'s |\n|---|---|---|---|---|---|---|---|\n")
	for _, f := range figures {
		base := collect(rs, "in-cluster", sc, "chart", f.name)
		for i, c := range played {
			title := ""
			if i == 0 {
				title = f.title
			}
			cl := collect(rs, "in-cluster", sc, c.Name, f.name)
			limit, mean, above := "–", "–", "–"
			if cl.limits > 0 {
				limit, mean, above = secs(cl.limit), secs(cl.mean), fmt.Sprintf("%d of %d", cl.above, len(cl.values))
			}
			r := "–"
			if c.Name != "chart" {
				r = ratio(cl, base)
			}
			median := cl.medianOnly(f.unit)
			if n, all := cl.n(), reps(rs, sc, c.Name); n > 0 && n < all {
				median += fmt.Sprintf(" (measured in %d of %d draws)", n, all) // the others could not read it
			}
			fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s | %s | %s |\n", title, c.Letter, median, cl.worst(f.unit, f.lowerIsWorse), limit, mean, above, r)
		}
	}
	var counts, links []string
	for _, c := range played {
		counts = append(counts, fmt.Sprintf("%s %d", c.Letter, reps(rs, sc, c.Name)))
		links = append(links, fmt.Sprintf("[%s](%s/TestBenchInCluster__%s__%s__1.svg)", c.Letter, pictures, sc, c.Name))
	}
	fmt.Fprintf(b, "\nDraws: %s. Pictures (draw 1): %s\n\n", strings.Join(counts, ", "), strings.Join(links, " "))
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

// keyFigures are the figures users care most about, in configurations (a) to (d), and
// what the old stop (e) cut.
func keyFigures(rs []results.Result) string {
	var b bytes.Buffer
	b.WriteString("## Key figures\n\nMedian over the draws, the worst draw in brackets where it differs.\n\n")
	stop := configNamed("stop-as-before") // the upgrades' own comparison, in the sentence below
	var cols []configuration
	for _, c := range configs {
		if c.Name != stop.Name {
			cols = append(cols, c)
		}
	}
	b.WriteString("| measured by `make bench-cluster` |")
	for _, c := range cols {
		fmt.Fprintf(&b, " %s |", c.Label())
	}
	b.WriteString("\n|---|" + strings.Repeat("---|", len(cols)) + "\n")
	row := func(title, sc string, f figure) {
		fmt.Fprintf(&b, "| %s |", title)
		for _, c := range cols {
			cl := collect(rs, "in-cluster", sc, c.Name, f.name)
			if cl.n() == 0 {
				fmt.Fprint(&b, " – |")
				continue
			}
			fmt.Fprintf(&b, " %s |", cl.medianAndWorst(f.unit, f.lowerIsWorse))
		}
		b.WriteString("\n")
	}
	starts := scenariosOf(rs, scenarioKinds[0])
	for _, sc := range starts {
		d := drawsOf(rs, "in-cluster", sc, "startupSeconds")
		row(fmt.Sprintf("ready lag after a start-up drawn from %s–%s (Ready minus the app's first answer)", count(d.from), setting(d.to)), sc, startFigures[0])
	}
	if len(starts) > 0 {
		last := starts[len(starts)-1]
		d := drawsOf(rs, "in-cluster", last, "startupSeconds")
		row(fmt.Sprintf("restarts before Ready after a start-up drawn from %s–%s", count(d.from), setting(d.to)), last, startFigures[2])
	}
	outage := setupOf(rs, "in-cluster", "dependency-outage", "").text("outageSeconds", fmtDuration)
	row("restarts during a "+outage+" dependency outage", "dependency-outage", figure{"restartsDuringOutage", "", count, false})
	row("time in the Service during that outage", "dependency-outage", figure{"inServiceDuringOutage", "", secs, false})
	stall := setupOf(rs, "in-cluster", "worker-stall", "").text("stallSeconds", fmtDuration)
	row("false restarts during a "+stall+" worker stall", "worker-stall", figure{"falseRestarts", "", count, false})
	for _, u := range []struct{ sc, n string }{{"upgrade-2-replicas", "2 replicas"}, {"upgrade-1-replica", "1 replica"}} {
		row("failed requests during `helm upgrade`, "+u.n, u.sc, upgradeFigures[0])
	}
	row("longest time without an answer during that upgrade", "upgrade-1-replica", upgradeFigures[1])
	row("streamed answers cut during `helm upgrade`, 1 replica", "upgrade-1-replica", upgradeFigures[5])
	fmt.Fprintf(&b, "\nWith %s (configuration %s, section 1), `helm upgrade` cut", stop.Title, stop.Letter)
	for i, u := range []struct{ sc, n string }{{"upgrade-1-replica", "1 replica"}, {"upgrade-2-replicas", "2 replicas"}} {
		sep := ";"
		if i == 1 {
			sep = "."
		}
		fmt.Fprintf(&b, " %s of the %s streamed answers that ended (%s)%s", collect(rs, "in-cluster", u.sc, stop.Name, "cutAnswers").medianAndWorst(count, false),
			collect(rs, "in-cluster", u.sc, stop.Name, "answersEnded").medianAndWorst(count, true), u.n, sep)
	}
	b.WriteString(" Medians over the draws.\n\n")
	return b.String()
}
