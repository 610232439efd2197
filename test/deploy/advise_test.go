package deploy

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/yaml"

	"kotaemon-k8s/advise"
	"kotaemon-k8s/internal/config"
	"kotaemon-k8s/internal/history"
	"kotaemon-k8s/standin/kotaemon"
	"kotaemon-k8s/test/chart"
	"kotaemon-k8s/test/kube"
)

// adviseSeed fixes the start-ups the scenario draws, so a run can be repeated.
const adviseSeed = 2612

// drawStartups draws whole seconds from the scenario's known distribution: three starts
// in four take 3-6 s, one in four is in the long tail, 9-12 s. The distribution ends at
// 12 s, so its P99 is 12 s.
func drawStartups(rng *rand.Rand, n int) []int {
	out := make([]int, n)
	for i := range out {
		if rng.IntN(4) == 0 {
			out[i] = 9 + rng.IntN(4)
		} else {
			out[i] = 3 + rng.IntN(4)
		}
	}
	return out
}

// PB-11. The probe advisor, proven where it runs. Created: a release whose probes are a guess
// (expectedSeconds 40, a 60 s liveness window), token auth. Happens: the pod is replaced
// once per drawn start-up (the stand-in's next start takes the drawn time), then the app
// stalls twice for known lengths shorter than the liveness window; kotaemonctl advise
// reads the agents' history through the API server and writes the values. Must hold: the
// advised expectedSeconds recovers the largest start-up drawn (too few for a P99: the
// maximum, within what the agent's measure adds: one startup period and a second), the
// advised liveness window covers the longest stall seen x 1.5, and the chart accepts the
// file. Then the release is upgraded with it and the same distribution drawn again:
// no start-up is killed, the same stalls restart nothing, and a deadlock is detected
// within the advised (shorter) liveness window.
func TestPB11_TheAdvisorSizesTheProbesFromTheStartUpsAndStallsItSaw(t *testing.T) {
	t.Parallel()
	r := newRelease(t, "advise")
	guess := parseLayer(`
terminationGracePeriodSeconds: 25
probes:
  startup: {expectedSeconds: 40, safetyFactor: 1.5, periodSeconds: 2, timeoutSeconds: 2}
  readiness: {periodSeconds: 3, timeoutSeconds: 3, failureThreshold: 3}
  liveness: {periodSeconds: 3, timeoutSeconds: 3, failureThreshold: 20}
health:
  auth: {mode: token}
  shutdown: {drainDelaySeconds: 2, answersTimeoutSeconds: 10, stopTimeoutSeconds: 8}
`)
	r.install(nil, imagesLayer(r.im), standinLayer("wrapper", 8000), guess)
	rng := rand.New(rand.NewPCG(adviseSeed, 0))
	first, second := drawStartups(rng, 10), drawStartups(rng, 5)
	stalls := []int{4, 7}
	t.Logf("seed %d: start-ups %v, then %v; stalls %v s", adviseSeed, first, second, stalls)

	before := r.probes()
	pod := r.onePod()
	r.awaitReady(pod, "at the first start", podStart+before.startup.Window())
	pod = r.startEach(pod, first, before)
	var caused []causedStall
	for _, s := range stalls {
		caused = append(caused, r.stall(pod, s, before))
	}

	// Advise, as make advise does, from the release's pods.
	envFile := guess.write(t, t.TempDir(), "env.yaml")
	out := filepath.Join(t.TempDir(), "env.advised.yaml")
	var report bytes.Buffer
	collect := advise.FromRelease(r.c.Config, r.c.Client, r.ns, releaseName, "")
	err := advise.Run(context.Background(), advise.Options{Chart: chart.Dir(), ValuesFiles: []string{envFile}, Out: out, Now: time.Now(),
		Collect: func(ctx context.Context) ([]history.Data, string, error) {
			ds, src, err := collect(ctx)
			assertStallsMeasured(t, ds, config.DefaultAppLivePath, caused)
			return ds, src, err
		}}, &report)
	require.NoError(t, err, "kotaemonctl advise")
	text, err := os.ReadFile(out)
	require.NoError(t, err)
	t.Logf("advised:\n%s\n%s", text, report.String())
	var advised struct {
		Probes struct {
			Startup struct {
				ExpectedSeconds int `json:"expectedSeconds"`
			} `json:"startup"`
			Liveness struct {
				PeriodSeconds    int `json:"periodSeconds"`
				FailureThreshold int `json:"failureThreshold"`
			} `json:"liveness"`
		} `json:"probes"`
	}
	require.NoError(t, yaml.Unmarshal(text, &advised))
	assert.Contains(t, string(text), fmt.Sprintf("%d start-ups from", len(first)+1), "PB-11: every pod's start-up is in the history (it outlives each pod), the first pod's included")
	largest := slices.Max(first)
	measureSlack := int(before.startup.PeriodSeconds) + 1
	assert.GreaterOrEqual(t, advised.Probes.Startup.ExpectedSeconds, largest, "PB-11: the advised start-up covers the largest drawn (the history outlives each pod)")
	assert.LessOrEqual(t, advised.Probes.Startup.ExpectedSeconds, largest+measureSlack, "PB-11: and recovers it within one startup period and a second")
	window := advised.Probes.Liveness.PeriodSeconds * advised.Probes.Liveness.FailureThreshold
	assert.GreaterOrEqual(t, float64(window), 1.5*float64(slices.Max(stalls)), "PB-11: the advised liveness window covers the longest stall x 1.5")

	// Install it, and live the same distribution again.
	r.upgrade(parseLayer(string(text)))
	after := r.probes()
	assert.Less(t, after.startup.Window(), before.startup.Window(), "PB-11: a smaller startup budget")
	assert.Less(t, after.liveness.ToFail(), before.liveness.ToFail(), "PB-11: a faster deadlock detection")
	pod = r.onePod()
	r.awaitReady(pod, "with the advised values", podStart+before.grace+after.startup.Window()+statusSlack)
	pod = r.startEach(pod, second, after)
	for _, s := range stalls {
		r.stall(pod, s, after)
	}
	faultAt := r.fault(pod, kotaemon.FaultDeadlock, 0)
	kube.Await(t, "PB-11: a deadlock is detected within the advised liveness window", after.liveness.ToFail()+statusSlack, func(context.Context) (bool, string) {
		return len(r.podEvents("Killing", pod, faultAt)) > 0, "no Killing event yet"
	})
	detected := r.podEvents("Killing", pod, faultAt)[0]
	assert.Contains(t, detected.Detail, "failed liveness probe")
	t.Logf("startup budget %s -> %s; deadlock detection bound %s -> %s, seen after %s",
		before.startup.Window(), after.startup.Window(), before.liveness.ToFail(), after.liveness.ToFail(),
		detected.At.Sub(faultAt).Round(100*time.Millisecond))
}

// startEach replaces the pod once per start-up, the next start taking that long, and
// asserts that no start was killed; it returns the last pod.
func (r *release) startEach(pod string, startups []int, p probes) string {
	r.t.Helper()
	for _, s := range startups {
		r.fault(pod, kotaemon.FaultSlowStart, s)
		at := time.Now()
		r.deletePod(pod)
		next := r.onePod()
		r.awaitReady(next, "after its drawn start-up", podStart+p.grace+p.startup.Window()+p.readiness.ToPass()+statusSlack)
		got, why := r.pod(context.Background(), next)
		require.NotNil(r.t, got, why)
		require.Zero(r.t, kube.ContainerRestarts(got, "kotaemon"), "PI-05: a start-up of %ds within the budget %s is not restarted", s, p.startup.Window())
		require.Empty(r.t, r.podEvents("Killing", next, at), "PI-05: no probe killed the start-up of %ds", s)
		pod = next
	}
	return pod
}

// causedStall is a stall the test caused. Each switch happened while its request was
// under way, so the stall lasted between shortest and longest.
type causedStall struct {
	shutSent, from, to time.Time // the deadlock's switch sent and answered, the release answered
	shortest, longest  time.Duration
}

// stall deadlocks the app for seconds, then lets it go, and asserts that the container
// was not restarted: a stall shorter than the liveness window is not a deadlock.
func (r *release) stall(pod string, seconds int, p probes) causedStall {
	r.t.Helper()
	shutSent := time.Now()
	at := r.fault(pod, kotaemon.FaultDeadlock, 0)
	time.Sleep(time.Duration(seconds) * time.Second)
	openSent := time.Now()
	caused := causedStall{shutSent: shutSent, from: at, to: r.fault(pod, kotaemon.FaultNone, 0)}
	caused.shortest, caused.longest = openSent.Sub(at), caused.to.Sub(shutSent)
	r.awaitReady(pod, "after the stall", p.readiness.ToPass()+statusSlack)
	time.Sleep(p.liveness.Period() + p.liveness.Timeout()) // the probe that ends the stall
	got, why := r.pod(context.Background(), pod)
	require.NotNil(r.t, got, why)
	require.Zero(r.t, kube.ContainerRestarts(got, "kotaemon"), "PB-03: a stall of %ds (liveness window %s) restarts nothing", seconds, p.liveness.FailureWindow())
	require.Empty(r.t, r.podEvents("Killing", pod, at), "a stall of %ds kills nothing", seconds)
	return caused
}

// agentTiming is what the agent's own timing adds to a measure: its timer and loopback
// requests on a busy node.
const agentTiming = 500 * time.Millisecond

// assertStallsMeasured holds the histories to the stalls the test caused: each is one
// stall of the live route, ended by the answer, its length the caused one's to within the
// resolution the history states (it began at most that long before its failed request
// was sent). Every recorded stall is logged beside the caused one around it.
func assertStallsMeasured(t *testing.T, ds []history.Data, liveRoute string, caused []causedStall) {
	t.Helper()
	found := make([][]history.Stall, len(caused))
	for _, d := range ds {
		resolution := time.Duration(d.ResolutionSeconds * float64(time.Second))
		for _, st := range d.Stalls {
			took := time.Duration(st.Seconds * float64(time.Second))
			what := "during no stall the test caused"
			for i, c := range caused {
				if !st.At.Before(c.to) || !st.At.Add(took).After(c.shutSent) {
					continue
				}
				what = fmt.Sprintf("stall %d caused for %.1f-%.1fs: began %+.1fs, ended %+.1fs from it", i+1,
					c.shortest.Seconds(), c.longest.Seconds(), st.At.Sub(c.from).Seconds(), st.At.Add(took).Sub(c.to).Seconds())
				if st.Route != liveRoute {
					continue
				}
				found[i] = append(found[i], st)
				assert.Equal(t, history.EndedByAnswer, st.EndedBy, "PB-11: stall %d ended with an answer", i+1)
				assert.GreaterOrEqual(t, took, c.shortest-resolution-agentTiming, "PB-11: stall %d is measured to within the history's resolution (%s)", i+1, resolution)
				assert.LessOrEqual(t, took, c.longest+agentTiming, "PB-11: stall %d is measured no longer than it was", i+1)
			}
			t.Logf("recorded stall of %s: %.1fs, ended by %s, %s", st.Route, st.Seconds, st.EndedBy, what)
		}
	}
	for i := range caused {
		assert.Len(t, found[i], 1, "PB-11: stall %d of the live route is in the history once", i+1)
	}
}
