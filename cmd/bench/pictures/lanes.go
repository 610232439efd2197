package main

// From a timeline's entries to what a picture shows: for each Kotaemon pod, lanes of
// state segments and instant marks; for the scenario, fault periods and the configured
// windows anchored where they start counting.

import (
	"sort"
	"strings"
	"time"
)

// timeline is the JSON test/kube writes (kube.Timeline), read back.
type timeline struct {
	Scenario string             `json:"scenario"`
	Started  time.Time          `json:"started"`
	Windows  map[string]float64 `json:"windows"`
	Entries  []entry            `json:"entries"`
}

type entry struct {
	At     time.Time `json:"at"`
	Source string    `json:"source"`
	What   string    `json:"what"`
	Object string    `json:"object"`
	Detail string    `json:"detail"`
}

// state is how a segment is drawn.
type state int

const (
	stateOff  state = iota // not running, not answering, not in the Service
	stateOK                // running, answering, passing, in the Service
	stateBad               // failing
	stateWarn              // degraded: answering, but the workers are stalled
)

// segment is a state from one second to another (seconds since the timeline started).
type segment struct {
	from, to float64
	state    state
}

// mark is an instant on a lane: a probe failure, a restart, a kill.
type mark struct {
	at    float64
	state state
	label string
}

type lane struct {
	name     string
	segments []segment
	marks    []mark
}

// band is a period or window drawn across a pod's lanes (a fault) or on the windows row.
type band struct {
	from, to float64
	label    string
}

// picture is everything drawn for one timeline.
type picture struct {
	title   string
	end     float64
	pods    []podLanes
	faults  []band
	windows []band
	marks   []mark // the test's actions (install, upgrade, fault switches), on the axis
	// answersRecorded: the scenario followed the app's answering (app-watched and
	// app-bound marks), so an empty lane means it never answered.
	answersRecorded bool
}

type podLanes struct {
	pod   string
	lanes []lane
}

// laneAnswering is the lane drawn only when the scenario recorded the app's answers.
const laneAnswering = "app answering"

// appContainer is the chart's Kotaemon container: a pod with it is an app pod.
const appContainer = "kotaemon"

func build(tl timeline) picture {
	sort.SliceStable(tl.Entries, func(i, j int) bool { return tl.Entries[i].At.Before(tl.Entries[j].At) })
	sec := func(t time.Time) float64 { return t.Sub(tl.Started).Seconds() }
	end := 0.0
	for _, e := range tl.Entries {
		end = max(end, sec(e.At))
	}
	end += max(5, end/25) // room after the last change
	p := picture{title: tl.Scenario, end: end}
	for _, e := range tl.Entries {
		switch {
		case e.Source == "test" && (e.What == "app-bound" || e.What == "app-watched"):
			p.answersRecorded = true
		case e.Source == "test":
			p.marks = append(p.marks, mark{at: sec(e.At), label: actionLabel(e)})
		}
	}
	for _, pod := range appPods(tl) {
		p.pods = append(p.pods, podLanes{pod: pod, lanes: podLanesOf(tl, pod, sec, end)})
	}
	if !p.answersRecorded {
		for _, pl := range p.pods {
			for i := range pl.lanes {
				if pl.lanes[i].name == laneAnswering {
					pl.lanes[i].segments = nil // faults alone do not say when the app answered
				}
			}
		}
	}
	p.faults = faultBands(tl, sec, end)
	p.windows = windowBands(tl, p, sec)
	return p
}

// appPods are the pods with a Kotaemon container, in the order they appeared.
func appPods(tl timeline) []string {
	var pods []string
	seen := map[string]bool{}
	for _, e := range tl.Entries {
		pod, container, ok := strings.Cut(e.Object, "/")
		if e.Source == "container" && ok && container == appContainer && !seen[pod] {
			seen[pod] = true
			pods = append(pods, pod)
		}
	}
	return pods
}

func podLanesOf(tl timeline, pod string, sec func(time.Time) float64, end float64) []lane {
	app := pod + "/" + appContainer
	process := lane{name: "app process"}
	answering := lane{name: laneAnswering}
	live := lane{name: "live / startup probe"}
	ready := lane{name: "readiness"}
	service := lane{name: "in the Service"}
	restarts := lane{name: "restarts"}

	var procState, ansState, readyState, svcState = stateOff, stateOff, stateOff, stateOff
	var procFrom, ansFrom, readyFrom, svcFrom float64
	flush := func(l *lane, st *state, from *float64, at float64, next state) {
		if at > *from && *st != stateOff {
			l.segments = append(l.segments, segment{*from, at, *st})
		}
		*st, *from = next, at
	}
	for _, e := range tl.Entries {
		at := sec(e.At)
		switch {
		case e.Source == "container" && e.Object == app && (e.What == "running" || e.What == "terminated" || e.What == "waiting"):
			next := map[string]state{"running": stateOK, "terminated": stateBad, "waiting": stateOff}[e.What]
			if e.What == "terminated" && strings.HasPrefix(e.Detail, "exit 0 ") {
				next = stateOff // a clean stop (a rollout, a drain) is not a failure
			}
			flush(&process, &procState, &procFrom, at, next)
			if e.What != "running" {
				flush(&answering, &ansState, &ansFrom, at, stateOff)
			}
		case e.Source == "container" && e.Object == app && e.What == "restarted":
			// A new process: the old one's segment ends here even when the watch never
			// saw it terminated, and the new one answers only once it has bound.
			restarts.marks = append(restarts.marks, mark{at: at, state: stateBad, label: "restart"})
			flush(&process, &procState, &procFrom, at, stateOK)
			flush(&answering, &ansState, &ansFrom, at, stateOff)
		case e.Source == "test" && e.What == "app-bound" && e.Object == pod:
			flush(&answering, &ansState, &ansFrom, at, stateOK)
		case e.Source == "test" && e.What == "fault-deadlock" && e.Detail == pod:
			flush(&answering, &ansState, &ansFrom, at, stateBad)
		case e.Source == "test" && e.What == "fault-exhaust" && e.Detail == pod:
			flush(&answering, &ansState, &ansFrom, at, stateWarn)
		case e.Source == "test" && e.What == "fault-none" && ansState != stateOff:
			flush(&answering, &ansState, &ansFrom, at, stateOK)
		case e.Source == "pod" && e.Object == pod && (e.What == "ready" || e.What == "not-ready"):
			flush(&ready, &readyState, &readyFrom, at, map[bool]state{true: stateOK, false: stateOff}[e.What == "ready"])
		case e.Source == "endpoint" && strings.HasSuffix(e.Object, "/"+pod):
			flush(&service, &svcState, &svcFrom, at, map[bool]state{true: stateOK, false: stateOff}[e.What == "endpoint-ready"])
		case e.Source == "event" && strings.HasPrefix(e.Detail, pod+"/") || e.Source == "event" && strings.HasPrefix(e.Detail, pod+":"):
			switch {
			case e.What == "Unhealthy" && strings.Contains(e.Detail, "Liveness probe failed"):
				live.marks = append(live.marks, mark{at: at, state: stateBad})
			case e.What == "Unhealthy" && strings.Contains(e.Detail, "Readiness probe failed"):
				ready.marks = append(ready.marks, mark{at: at, state: stateBad})
			case e.What == "Unhealthy" && strings.Contains(e.Detail, "Startup probe failed"):
				live.marks = append(live.marks, mark{at: at, state: stateWarn})
			case e.What == "Killing" && strings.Contains(e.Detail, "failed"):
				restarts.marks = append(restarts.marks, mark{at: at, state: stateWarn, label: "kill"})
			case e.What == "Killing":
				// The kubelet stopping a pod it was told to (a rollout), not a probe's verdict.
				restarts.marks = append(restarts.marks, mark{at: at, state: stateOff, label: "stop"})
			}
		}
	}
	flush(&process, &procState, &procFrom, end, stateOff)
	flush(&answering, &ansState, &ansFrom, end, stateOff)
	flush(&ready, &readyState, &readyFrom, end, stateOff)
	flush(&service, &svcState, &svcFrom, end, stateOff)
	return []lane{process, answering, live, ready, service, restarts}
}

// faultBands are the periods something was broken on purpose: a dependency down (until
// it is up again), a deadlock or a stalled worker pool (until cleared or, since a new
// process starts without them, until the container restarts), or the end.
func faultBands(tl timeline, sec func(time.Time) float64, end float64) []band {
	labels := map[string]string{"dependency-down": "dependency down", "fault-deadlock": "app deadlocked", "fault-exhaust": "workers stalled"}
	var restarts []float64
	for _, e := range tl.Entries {
		if e.Source == "container" && e.What == "restarted" && strings.HasSuffix(e.Object, "/"+appContainer) {
			restarts = append(restarts, sec(e.At))
		}
	}
	var out []band
	open := map[string]float64{}
	closeBand := func(kind string, to float64) {
		from := open[kind]
		delete(open, kind)
		if kind != "dependency-down" {
			for _, r := range restarts {
				if r > from && r < to {
					to = r
					break
				}
			}
		}
		out = append(out, band{from, to, labels[kind]})
	}
	for _, e := range tl.Entries {
		if e.Source != "test" {
			continue
		}
		at := sec(e.At)
		switch e.What {
		case "dependency-down", "fault-deadlock", "fault-exhaust":
			open[e.What] = at
		case "dependency-up":
			if _, ok := open["dependency-down"]; ok {
				closeBand("dependency-down", at)
			}
		case "fault-none":
			for _, k := range []string{"fault-deadlock", "fault-exhaust"} {
				if _, ok := open[k]; ok {
					closeBand(k, at)
				}
			}
		}
	}
	for _, k := range []string{"dependency-down", "fault-deadlock", "fault-exhaust"} {
		if _, ok := open[k]; ok {
			closeBand(k, end)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].from < out[j].from })
	return out
}

// windowBands anchor each configured window where it starts counting: the startup
// budget (or, without a startup probe, the liveness window) at the first container
// start; the time each probe takes to fail (period x failureThreshold + timeout) at the
// first fault.
func windowBands(tl timeline, p picture, sec func(time.Time) float64) []band {
	var out []band
	firstStart := -1.0
	for _, e := range tl.Entries {
		if e.Source == "container" && e.What == "running" && strings.HasSuffix(e.Object, "/"+appContainer) {
			firstStart = sec(e.At)
			break
		}
	}
	w := tl.Windows
	if firstStart >= 0 {
		if s, ok := w["startupBudget"]; ok {
			out = append(out, band{firstStart, firstStart + s, "startup budget " + fmtSeconds(s)})
		} else if s, ok := w["livenessWindow"]; ok {
			out = append(out, band{firstStart, firstStart + s, "liveness tolerates a silent start for " + fmtSeconds(s)})
		}
	}
	if len(p.faults) > 0 {
		f := p.faults[0].from
		if s, ok := w["readinessToFail"]; ok {
			out = append(out, band{f, f + s, "readiness fails within " + fmtSeconds(s)})
		}
		if s, ok := w["livenessToFail"]; ok {
			out = append(out, band{f, f + s, "liveness fails within " + fmtSeconds(s)})
		}
	}
	return out
}

// actionLabel names a test action the way a reader says it.
func actionLabel(e entry) string {
	switch e.What {
	case "requests":
		return e.Detail
	case "fault-none":
		return "fault cleared"
	}
	return strings.ReplaceAll(e.What, "-", " ")
}
