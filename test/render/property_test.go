package render

import (
	"fmt"
	"math/rand/v2"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"kotaemon-k8s/invariants"
	"kotaemon-k8s/test/chart"
)

// Draws and seed can be changed without editing code: PROPERTY_DRAWS, PROPERTY_SEED.
const defaultDraws = 1000

// For random probe timings the chart either refuses the values (schema or guard, with a
// message naming the key or invariant) or renders a configuration that passes every
// invariant: never anything in between. Rendered in process with the helm SDK (one helm
// process per draw would cost more than the whole suite's budget).
func TestRandomProbeTimingsAreRefusedOrPassEveryInvariant(t *testing.T) {
	t.Parallel()
	draws := envInt(t, "PROPERTY_DRAWS", defaultDraws)
	seed := uint64(envInt(t, "PROPERTY_SEED", int(rand.Uint32())))
	t.Logf("seed %d (rerun with PROPERTY_SEED=%d), %d draws", seed, seed, draws)

	type outcome struct {
		accepted  bool
		values    map[string]any
		problem   string // set when the property is broken
		refusedBy string // the invariant or schema key a refusal named
	}
	outcomes := make([]outcome, draws)
	workers := 2
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		r, err := chart.NewRenderer()
		require.NoError(t, err)
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < draws; i += workers {
				rng := rand.New(rand.NewPCG(seed, uint64(i)))
				values := drawTimings(rng)
				out, err := r.Render(values)
				o := outcome{values: values}
				switch {
				case err != nil:
					o.refusedBy = refusalName.FindString(err.Error())
					if !namesAKeyOrInvariant(err.Error()) {
						o.problem = "refused without naming a key or invariant: " + err.Error()
					}
				default:
					o.accepted = true
					if vs := invariants.CheckYAML([]byte(out)); len(vs) > 0 {
						o.problem = fmt.Sprintf("rendered but breaks %v", vs)
					} else if refusal := apiRefusal(out); refusal != "" {
						o.problem = "rendered but the API server would refuse it: " + refusal
					}
				}
				outcomes[i] = o
			}
		}(w)
	}
	wg.Wait()

	accepted := 0
	refusedBy := map[string]int{}
	for i, o := range outcomes {
		if o.accepted {
			accepted++
		} else {
			refusedBy[o.refusedBy]++
		}
		if o.problem != "" {
			t.Errorf("draw %d %v: %s", i, o.values, o.problem)
		}
	}
	t.Logf("%d accepted, %d refused", accepted, draws-accepted)
	// Which boundaries the draws reached: a generator that stops reaching one shows here.
	t.Logf("refused by %v", refusedBy)
	// Both sides of the property are exercised, or the test proves nothing.
	assert.Greater(t, accepted, draws/10, "too few draws rendered")
	assert.Greater(t, draws-accepted, draws/10, "too few draws refused")
}

// drawTimings draws probe timings around every boundary the rules draw: half the draws
// are built to satisfy the rules, then every draw has its fields pushed across a boundary
// with some probability, so both refusals and renders come near the edges.
func drawTimings(rng *rand.Rand) map[string]any {
	pick := func(lo, hi int) int { return lo + rng.IntN(hi-lo+1) }
	sometimes := func(n int) bool { return rng.IntN(n) == 0 }

	// period and timeout: half the draws built to hold PI-06 (the timeout fits the period).
	periodAndTimeout := func(periodLo, periodHi, timeoutLo, timeoutHi int) (int, int) {
		period, timeout := pick(periodLo, periodHi), pick(timeoutLo, timeoutHi)
		if rng.IntN(2) == 0 {
			period = max(period, timeout)
		}
		return period, timeout
	}
	rPeriod, rTimeout := periodAndTimeout(1, 30, 3, 10)
	readiness := map[string]any{
		"enabled": true, "initialDelaySeconds": pick(0, 60), "periodSeconds": rPeriod,
		"timeoutSeconds": rTimeout, "successThreshold": pick(1, 3), "failureThreshold": pick(3, 6),
	}
	rWindow := readiness["periodSeconds"].(int) * readiness["failureThreshold"].(int)
	lFailure := pick(3, 8)
	lPeriod, lTimeout := periodAndTimeout(1, 60, 3, 12)
	if rng.IntN(2) == 0 { // built to hold PI-07
		lPeriod = max(lTimeout, (rWindow+lFailure-1)/lFailure+pick(0, 20))
	}
	liveness := map[string]any{
		"enabled": true, "initialDelaySeconds": pick(0, 60), "periodSeconds": lPeriod,
		"timeoutSeconds": lTimeout, "successThreshold": 1, "failureThreshold": lFailure,
	}
	expected := pick(1, 400)
	sPeriod, sTimeout := periodAndTimeout(1, 20, 1, 10)
	startup := map[string]any{
		"enabled": true, "expectedSeconds": expected, "safetyFactor": []float64{1.2, 1.25, 1.3, 1.4, 1.5}[rng.IntN(5)],
		"initialDelaySeconds": pick(0, 30), "periodSeconds": sPeriod, "timeoutSeconds": sTimeout,
		"successThreshold": 1, "failureThreshold": nil,
	}
	if sometimes(3) {
		startup["failureThreshold"] = pick(1, 150) // explicit: may or may not cover PI-05
	}
	if sometimes(5) { // startup off: liveness's delay must cover the start (PI-05)
		startup["enabled"] = false
		liveness["initialDelaySeconds"] = (expected*12+9)/10 + pick(-20, 60)
	}
	if sometimes(4) {
		liveness["terminationGracePeriodSeconds"] = pick(1, 60)
	}
	// The grace period around what runs before the kill (PI-14): drain, answers, stop.
	drain, answers, stop := pick(0, 15), pick(0, 40), pick(1, 40)
	grace := drain + answers + stop + pick(-5, 30)

	// Push single fields across their boundaries.
	across := []func(){
		func() { readiness["timeoutSeconds"] = pick(0, 2) },
		func() { liveness["timeoutSeconds"] = pick(0, 2) },
		func() { readiness["failureThreshold"] = pick(0, 2) },
		func() { liveness["failureThreshold"] = pick(0, 2) },
		func() { liveness["successThreshold"] = pick(0, 2) },
		func() { startup["successThreshold"] = pick(0, 2) },
		func() { readiness["periodSeconds"] = pick(-2, 0) },
		func() { startup["periodSeconds"] = pick(-2, 0) },
		func() { liveness["initialDelaySeconds"] = -1 },
		func() { startup["safetyFactor"] = []float64{1.0, 1.1, 1.19, 1.51, 2}[rng.IntN(5)] },
		func() { startup["expectedSeconds"] = pick(-1, 0) },
		func() { readiness["enabled"] = false },
		func() { liveness["enabled"] = false },
		func() { readiness["terminationGracePeriodSeconds"] = pick(1, 30) },
	}
	for _, push := range across {
		if sometimes(40) {
			push()
		}
	}
	// A deadline far past every budget, or one drawn near them (PI-16).
	deadline := 3600
	if sometimes(4) {
		deadline = pick(60, 900)
	}
	return map[string]any{
		"terminationGracePeriodSeconds": grace,
		"progressDeadlineSeconds":       deadline,
		"health": map[string]any{
			"mode": chart.Modes[rng.IntN(len(chart.Modes))],
			"shutdown": map[string]any{
				"drainDelaySeconds": drain, "answersTimeoutSeconds": answers, "stopTimeoutSeconds": stop,
			},
		},
		"probes": map[string]any{"startup": startup, "readiness": readiness, "liveness": liveness},
	}
}

// refusalName finds the invariant (PI-nn) or the schema key ("at '/probes/...'") a refusal names.
var refusalName = regexp.MustCompile(`PI-\d+|at '/[^']*'`)

// namesAKeyOrInvariant: a schema error names the key's path; a guard names the invariant.
func namesAKeyOrInvariant(msg string) bool {
	return strings.Contains(msg, "PI-") || strings.Contains(msg, "at '/")
}

func envInt(t *testing.T, name string, def int) int {
	t.Helper()
	text := os.Getenv(name)
	if text == "" {
		return def
	}
	n, err := strconv.Atoi(text)
	require.NoError(t, err, name)
	return n
}
