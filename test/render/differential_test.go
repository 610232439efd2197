package render

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"kotaemon-k8s/internal/config"
	"kotaemon-k8s/invariants"
	"kotaemon-k8s/test/chart"
)

// Draws and seed of the differential test: DIFFERENTIAL_DRAWS, DIFFERENTIAL_SEED.
const defaultDifferentialDraws = 2000

// The chart and the agent agree on every health configuration: for random `health`
// sections (every check type with keys it reads and keys it does not, reserved and
// duplicate names, paths, auth blocks, timeouts and intervals) the chart accepts the
// values exactly when the agent's own loader (config.Parse) accepts the configuration
// the chart renders from them. What the agent would refuse at start (in wrapper mode it
// is PID 1: Kotaemon would never start) is refused by `helm template` first, and the
// chart refuses nothing the agent would run. The chart's own rules that the agent cannot
// see (probe timings, grace period, layout) are kept out of the draws' reach.
func TestTheChartAcceptsExactlyTheHealthConfigsTheAgentAccepts(t *testing.T) {
	t.Parallel()
	draws := envInt(t, "DIFFERENTIAL_DRAWS", defaultDifferentialDraws)
	seed := uint64(envInt(t, "DIFFERENTIAL_SEED", int(rand.Uint32())))
	t.Logf("seed %d (rerun with DIFFERENTIAL_SEED=%d), %d draws", seed, seed, draws)

	type verdict struct {
		chart, agent     bool
		chartErr, reason string
		apiRefusal       string // what the API server would refuse in the chart's render
		values           map[string]any
	}
	verdicts := make([]verdict, draws)
	workers := 2
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		guarded, err := chart.NewRenderer()
		require.NoError(t, err)
		unguarded, err := chart.NewUnguardedRenderer()
		require.NoError(t, err)
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < draws; i += workers {
				values := drawHealth(rand.New(rand.NewPCG(seed, uint64(i))))
				v := verdict{values: values}
				out, err := guarded.Render(values)
				v.chart = err == nil
				if err != nil {
					v.chartErr = err.Error()
				} else {
					v.apiRefusal = apiRefusal(out)
				}
				v.agent, v.reason = agentVerdict(unguarded, values)
				verdicts[i] = v
			}
		}(w)
	}
	wg.Wait()

	agree, accepted := 0, 0
	for i, v := range verdicts {
		if v.chart {
			accepted++
		}
		if v.apiRefusal != "" {
			t.Errorf("draw %d: the chart renders what the API server would refuse (%s):\n%s", i, v.apiRefusal, dump(v.values))
		}
		if v.chart == v.agent {
			agree++
			continue
		}
		if v.chart {
			t.Errorf("draw %d: the chart renders a config the agent refuses (%s):\n%s", i, v.reason, dump(v.values))
		} else {
			t.Errorf("draw %d: the chart refuses a config the agent accepts (%s):\n%s", i, v.chartErr, dump(v.values))
		}
	}
	t.Logf("%d draws: %d accepted by both, %d refused by both, %d disagreements", draws, accepted, agree-accepted, draws-agree)
	if testing.Verbose() {
		reasons := map[string]int{}
		for _, v := range verdicts {
			if !v.agent {
				r := v.reason
				if i := strings.Index(r, ":"); i > 0 {
					r = r[:i]
				}
				reasons[r]++
			}
		}
		t.Logf("what the agent refused, by field: %v", reasons)
	}
	// Both sides are exercised, or the test proves nothing.
	assert.Greater(t, accepted, draws/20, "too few draws accepted")
	assert.Greater(t, draws-accepted, draws/20, "too few draws refused")
}

// agentVerdict renders values with no guards and no schema, and asks the agent's loader
// about the config that comes out.
func agentVerdict(r *chart.Renderer, values map[string]any) (bool, string) {
	out, err := r.Render(values)
	if err != nil {
		// Not even a config to show the agent: a draw the template cannot express.
		return false, "unrenderable: " + err.Error()
	}
	m, err := invariants.Decode([]byte(out))
	if err != nil {
		return false, "undecodable: " + err.Error()
	}
	for _, cm := range m.ConfigMaps {
		if strings.HasSuffix(cm.Name, "-health") {
			if _, err := config.Parse([]byte(cm.Data["config.yaml"])); err != nil {
				return false, err.Error()
			}
			return true, ""
		}
	}
	return false, "no agent config rendered"
}

func dump(v any) string { return fmt.Sprintf("%#v", v) }

// pick returns one of the options.
func pick[T any](rng *rand.Rand, options ...T) T { return options[rng.IntN(len(options))] }

// often returns usual most of the time and one of the unusual options otherwise, so
// that a draw with many keys is still accepted often enough to test acceptance.
func often[T any](rng *rand.Rand, usual T, unusual ...T) T {
	if rng.IntN(12) != 0 {
		return usual
	}
	return pick(rng, unusual...)
}

// drawHealth draws a values document whose `health` section varies everything the agent
// reads. Probe timings, the grace period and the mode's layout stay lawful, so that the
// chart's refusals can only come from rules the agent shares.
func drawHealth(rng *rand.Rand) map[string]any {
	h := map[string]any{
		"mode":     pick(rng, "wrapper", "sidecar"),
		"details":  often(rng, pick(rng, "public", "authenticated", "none"), "everyone"),
		"logLevel": often(rng, pick(rng, "debug", "info", "warn", "error"), "trace"),
		"paths": map[string]any{
			"live":    often(rng, pick(rng, "/health/live", "/live"), "/health/ready", "health", "/health/history"),
			"ready":   often(rng, pick(rng, "/health/ready", "/ready"), "/health/live", "/health/history"),
			"metrics": often(rng, pick(rng, "/metrics", "/m"), "", "/health/live", "/health/history"),
		},
		"shutdown": map[string]any{
			"drainDelaySeconds":     often(rng, rng.IntN(20), 400),
			"answersTimeoutSeconds": often(rng, pick(rng, 0, 5, 30), -1, 2000),
			"stopSignal":            often(rng, pick(rng, "SIGINT", "SIGTERM"), "SIGKILL"),
			"stopTimeoutSeconds":    often(rng, pick(rng, 1, 10, 25), 0, 700),
		},
		"app": map[string]any{
			// Below every probe timeout of the base values (PI-09 is the chart's own).
			"liveTimeoutMs":  often[any](rng, pick[any](rng, nil, 500, 2000), 0, 70000),
			"readyTimeoutMs": often[any](rng, pick[any](rng, nil, 500, 4000), 0, 70000),
		},
		"auth": drawAuth(rng),
	}
	var checks []any
	names := map[string]bool{}
	for n := rng.IntN(4); n > 0; n-- {
		c := drawCheck(rng, names)
		checks = append(checks, c)
	}
	h["checks"] = checks
	return map[string]any{
		"health":                        h,
		"terminationGracePeriodSeconds": 120, // above any drawn drain time (PI-14 is the chart's own)
	}
}

func drawAuth(rng *rand.Rand) map[string]any {
	a := map[string]any{
		"mode":           often(rng, pick(rng, "none", "token", "jwt"), "basic"),
		"protectMetrics": rng.IntN(4) == 0,
		"trustLoopback":  rng.IntN(2) == 0,
		"existingSecret": pick(rng, "", "", "health-auth"),
	}
	if a["mode"] == "jwt" {
		// The key lives in a Secret the chart mounts: the chart's own requirement.
		a["existingSecret"] = "health-auth"
	}
	if rng.IntN(4) == 0 {
		a["tokenKey"] = pick(rng, "token", "bearer")
	}
	// The jwt block reaches the agent only in jwt mode (the chart renders it there only).
	if a["mode"] == "jwt" {
		jwt := map[string]any{}
		// Mostly one key source and algorithms that fit it; sometimes not.
		source := pick(rng, "secretKey", "publicKeyKey", "jwksKey")
		jwt[source] = source
		fits := map[string][]any{"secretKey": {"HS256"}, "publicKeyKey": {"RS256", "ES256"}, "jwksKey": {"RS256"}}[source]
		jwt["algorithms"] = often[any](rng, fits, []any{"HS256"}, []any{"RS256"}, []any{}, []any{"HS512"})
		if rng.IntN(8) == 0 {
			jwt[pick(rng, "secretKey", "publicKeyKey", "jwksKey")] = "second"
		}
		if rng.IntN(3) == 0 {
			jwt["issuer"] = "https://issuer.example"
		}
		if rng.IntN(3) == 0 {
			jwt["audience"] = "kotaemon"
		}
		a["jwt"] = jwt
	}
	return a
}

// drawCheck draws one check: a type (known or not), a name (valid, reserved, repeated,
// malformed, too long), a schedule, and each optional key with good or bad values,
// whether or not the type reads it.
func drawCheck(rng *rand.Rand, names map[string]bool) map[string]any {
	name := often(rng, pick(rng, "llm", "vectors", "db", "data", "ok-2"), "app", "process", "Bad_Name", "-x", strings.Repeat("n", 40))
	if rng.IntN(6) == 0 {
		for n := range names {
			name = n // a duplicate
			break
		}
	}
	names[name] = true
	typ := often(rng, pick(rng, config.CheckTypes...), "redis")
	c := map[string]any{
		"name":            name,
		"type":            typ,
		"critical":        rng.IntN(2) == 0,
		"intervalSeconds": often(rng, pick(rng, 5, 30, 300), 90000),
		"timeoutSeconds":  often(rng, pick(rng, 1, 2, 4), 5, 30, 0, 400),
	}
	// Thresholds, or the agent's defaults. A failureThreshold of 1 is left out: with a
	// long interval the chart refuses it for a reason of the readiness probe's, which
	// the agent cannot see.
	if rng.IntN(3) == 0 {
		c["failureThreshold"] = often(rng, pick(rng, 2, 3), 0, 11)
	}
	if rng.IntN(3) == 0 {
		c["successThreshold"] = often(rng, pick(rng, 1, 2), 0, 11)
	}
	// Mostly the keys the type reads; sometimes one it does not.
	reads := map[string]bool{}
	for _, t := range config.CheckTypeTable {
		if t.Name == typ {
			for _, k := range t.Keys {
				reads[k] = true
			}
		}
	}
	maybe := func(key string, options ...any) {
		p := 8 // a key the type does not read: rarely
		if reads[key] {
			p = 2
		}
		if rng.IntN(p) == 0 {
			c[key] = often(rng, options[0], options[1:]...)
		}
	}
	// Every string form the schema's patterns leave to the loader: user info, ports at and
	// past their range, IPv6 literals, paths, queries, fragments, empty hosts, case.
	maybe("url", "http://llm.ai.svc.cluster.local:4000/v1", "https://qdrant.db.svc:6333", "http://ollama:11434", "ftp://x", "not a url", "http://",
		"http://u:p@llm:8000/v1", "http://user@llm", "http://llm:0", "http://llm:65535", "http://llm:65536", "http://llm:99999",
		"http://[::1]:11434", "http://[fd00::1]/v1", "http://[::1", "http://::1:11434", "http://llm:8000/v1/", "http://llm/a b",
		"http://llm/?x=1", "http://llm/#top", "http://:8080", "HTTP://llm:8000", "https://llm.", "http://llm:port", "http://llm:-1",
		"http://llm:08080", " http://llm")
	// Not "http://llm\n": the chart renders a value in double quotes, where YAML folds the
	// newline away, so the agent would judge another URL than the one given (the schema
	// refuses the newline).
	maybe("address", "db.db.svc:5432", "db:5432", "db", "db:99999", ":80",
		"db:0", "db:65535", "db:65536", "[::1]:5432", "[fd00::1]:6333", "::1", "::1:5432", "db:port", " db:5432", "db:5432/x", "db:-1", "db:05432")
	maybe("model", "gpt-4o-mini", "llama3.1:8b")
	maybe("path", "/app/ktem_app_data/uploads", "/app/ktem_app_data", "relative")
	maybe("minFreeBytes", 1073741824, 0, 1024)
	maybe("expectedStatus", []any{200, 204}, []any{200}, []any{99}, []any{})
	maybe("provider", "openai", "ollama", "anthropic")
	maybe("apiKey", map[string]any{"secretKeyRef": map[string]any{"name": "keys", "key": "API_KEY"}}, map[string]any{"secretKeyRef": map[string]any{"name": "keys", "key": "API_KEY"}})
	maybe("headers",
		[]any{map[string]any{"name": "X-Api-Key", "secretKeyRef": map[string]any{"name": "keys", "key": "H"}}},
		[]any{map[string]any{"name": "X-Api-Key", "secretKeyRef": map[string]any{"name": "keys", "key": "H"}}},
		[]any{map[string]any{"name": "bad name", "secretKeyRef": map[string]any{"name": "keys", "key": "H"}}},
		[]any{
			map[string]any{"name": "X-A", "secretKeyRef": map[string]any{"name": "keys", "key": "A"}},
			map[string]any{"name": "x-a", "secretKeyRef": map[string]any{"name": "keys", "key": "B"}},
		})
	return c
}
