package main

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// at builds an entry s seconds after t0.
func at(s float64, source, what, object, detail string) entry {
	return entry{At: t0.Add(time.Duration(s * float64(time.Second))), Source: source, What: what, Object: object, Detail: detail}
}

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// A deadlock: the app answers from 12 s, hangs at 40 s, liveness fails, the kubelet kills
// and restarts it at 70 s, it answers again at 85 s.
var deadlock = timeline{
	Scenario: "TestBenchInCluster/deadlock/chart/1",
	Started:  t0,
	Windows:  map[string]float64{"startupBudget": 180, "livenessToFail": 95, "readinessToFail": 35},
	Entries: []entry{
		at(1, "test", "helm-install", "", ""),
		at(2, "container", "running", "p1/kotaemon", ""),
		at(12, "test", "app-bound", "p1", "app a"),
		at(14, "pod", "ready", "p1", ""),
		at(14.5, "endpoint", "endpoint-ready", "kh-kotaemon/p1", ""),
		at(40, "test", "fault-deadlock", "", "p1"),
		at(50, "event", "Unhealthy", "u1", "p1/spec.containers{kotaemon}: Liveness probe failed: timeout"),
		at(60, "event", "Unhealthy", "u2", "p1/spec.containers{kotaemon}: Readiness probe failed: timeout"),
		at(61, "pod", "not-ready", "p1", ""),
		at(61.5, "endpoint", "endpoint-not-ready", "kh-kotaemon/p1", ""),
		at(65, "event", "Killing", "k1", "p1/spec.containers{kotaemon}: Container kotaemon failed liveness probe"),
		at(70, "container", "terminated", "p1/kotaemon", "exit 137"),
		at(71, "container", "restarted", "p1/kotaemon", "restartCount=1"),
		at(71, "container", "running", "p1/kotaemon", ""),
		at(85, "test", "app-bound", "p1", "app b"),
		at(86, "pod", "ready", "p1", ""),
	},
}

func TestLanesFollowTheAppThroughADeadlockAndItsRestart(t *testing.T) {
	p := build(deadlock)
	require.Len(t, p.pods, 1)
	lanes := map[string]lane{}
	for _, l := range p.pods[0].lanes {
		lanes[l.name] = l
	}
	assert.Equal(t, []segment{{2, 70, stateOK}, {70, 71, stateBad}, {71, p.end, stateOK}}, lanes["app process"].segments)
	assert.Equal(t, []segment{{12, 40, stateOK}, {40, 70, stateBad}, {85, p.end, stateOK}}, lanes["app answering"].segments)
	assert.Equal(t, []segment{{14, 61, stateOK}, {86, p.end, stateOK}}, lanes["readiness"].segments)
	assert.Equal(t, []segment{{14.5, 61.5, stateOK}}, lanes["in the Service"].segments)
	assert.Equal(t, []mark{{at: 50, state: stateBad}}, lanes["live / startup probe"].marks)
	assert.Equal(t, []mark{{at: 60, state: stateBad}}, lanes["readiness"].marks)
	assert.Equal(t, []mark{{65, stateWarn, "kill"}, {71, stateBad, "restart"}}, lanes["restarts"].marks)

	assert.Equal(t, []band{{40, 71, "app deadlocked"}}, p.faults, "a deadlock ends with the restart")
	assert.Equal(t, []band{{2, 182, "startup budget 3 min"}, {40, 75, "readiness fails within 35 s"}, {40, 135, "liveness fails within 95 s"}}, p.windows)
}

func TestWithoutAStartupProbeTheLivenessWindowCoversTheStart(t *testing.T) {
	tl := deadlock
	tl.Windows = map[string]float64{"livenessWindow": 60}
	p := build(tl)
	require.NotEmpty(t, p.windows)
	assert.Equal(t, band{2, 62, "liveness tolerates a silent start for 60 s"}, p.windows[0])
}

func TestTheSVGNamesEveryLaneAndEscapesText(t *testing.T) {
	tl := deadlock
	tl.Scenario = "a <b> & c"
	p := build(tl)
	p.title = tl.Scenario
	var b bytes.Buffer
	require.NoError(t, p.svg(&b))
	for _, s := range []string{"app process", "app answering", "live / startup probe", "readiness", "in the Service", "restarts", "a &lt;b&gt; &amp; c", "app deadlocked", "startup budget 3 min"} {
		assert.Contains(t, b.String(), s)
	}
}

func TestTitlesNameTheBenchmarksConfigurations(t *testing.T) {
	assert.Equal(t, "slow-start-90s, (c) naive probes (repetition 2)", title("TestBenchInCluster/slow-start-90s/naive/2"))
	assert.Equal(t, "TestPB01/wrapper", title("TestPB01/wrapper"))
}

func TestAStallEndsWhenCleared(t *testing.T) {
	tl := timeline{Started: t0, Entries: []entry{
		at(2, "container", "running", "p1/kotaemon", ""),
		at(10, "test", "fault-exhaust", "", "p1"),
		at(40, "test", "fault-none", "", "p1"),
		at(50, "test", "dependency-down", "", ""),
	}}
	assert.Equal(t, []band{{10, 40, "workers stalled"}, {50, 55, "dependency down"}}, build(tl).faults, "an outage never cleared lasts to the end")

	tl.Entries = append(tl.Entries[:2], at(30, "container", "restarted", "p1/kotaemon", "restartCount=1"))
	assert.Equal(t, []band{{10, 30, "workers stalled"}}, build(tl).faults, "a restart ends a stall: the new process has none")
}

func TestACleanStopIsNeitherAFailureNorAKill(t *testing.T) {
	tl := timeline{Started: t0, Entries: []entry{
		at(2, "container", "running", "p1/kotaemon", ""),
		at(30, "event", "Killing", "k1", "p1/spec.containers{kotaemon}: Stopping container kotaemon"),
		at(40, "container", "terminated", "p1/kotaemon", "exit 0 (Completed)"),
	}}
	lanes := build(tl).pods[0].lanes
	assert.Equal(t, []segment{{2, 40, stateOK}}, lanes[0].segments, "no red after a clean exit")
	assert.Equal(t, []mark{{30, stateOff, "stop"}}, lanes[5].marks)
}
