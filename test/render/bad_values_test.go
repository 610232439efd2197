package render

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Bad values never render: each case fails with a message naming the key (schema) or the
// invariant id and key (guards), and nothing is printed as a manifest. The table runs in
// process (the helm SDK, same code path as `helm template`); a sample of it also runs
// through the helm binary, which must exit non-zero with the same message.
func TestBadValuesAreRefusedWithAMessageNamingTheKeyOrInvariant(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		values string
		want   []string // every one must appear in the error
	}{
		// Wrong types.
		{"period as a string", "probes:\n  readiness:\n    periodSeconds: ten\n", []string{"/probes/readiness/periodSeconds"}},
		{"timeout as a fraction", "probes:\n  liveness:\n    timeoutSeconds: 4.5\n", []string{"/probes/liveness/timeoutSeconds"}},
		{"enabled as a string", "probes:\n  startup:\n    enabled: \"yes\"\n", []string{"/probes/startup/enabled"}},
		{"command as a string", "kotaemon:\n  command: python app.py\n", []string{"/kotaemon/command"}},
		{"checks as a map", "health:\n  checks:\n    llm: {}\n", []string{"/health/checks"}},
		// Negatives and out-of-range numbers.
		{"negative initial delay", "probes:\n  readiness:\n    initialDelaySeconds: -1\n", []string{"/probes/readiness/initialDelaySeconds"}},
		{"zero period", "probes:\n  startup:\n    periodSeconds: 0\n", []string{"/probes/startup/periodSeconds"}},
		{"negative grace period", "terminationGracePeriodSeconds: -5\n", []string{"/terminationGracePeriodSeconds"}},
		{"health port above 65535", "health:\n  port: 70000\n", []string{"/health/port"}},
		{"expected start-up of zero", "probes:\n  startup:\n    expectedSeconds: 0\n", []string{"/probes/startup/expectedSeconds"}},
		{"safety factor below 1.2", "probes:\n  startup:\n    safetyFactor: 1.1\n", []string{"/probes/startup/safetyFactor"}},
		{"safety factor above 1.5", "probes:\n  startup:\n    safetyFactor: 2\n", []string{"/probes/startup/safetyFactor"}},
		// Kubernetes API and PI-06 floors in the schema.
		{"liveness successThreshold 2", "probes:\n  liveness:\n    successThreshold: 2\n", []string{"/probes/liveness/successThreshold"}},
		{"startup successThreshold 3", "probes:\n  startup:\n    successThreshold: 3\n", []string{"/probes/startup/successThreshold"}},
		{"readiness timeout 2", "probes:\n  readiness:\n    timeoutSeconds: 2\n", []string{"/probes/readiness/timeoutSeconds"}},
		{"liveness failureThreshold 1", "probes:\n  liveness:\n    failureThreshold: 1\n", []string{"/probes/liveness/failureThreshold"}},
		{"grace period on readiness", "probes:\n  readiness:\n    terminationGracePeriodSeconds: 10\n", []string{"terminationGracePeriodSeconds"}},
		// Unknown enums and keys.
		{"unknown health mode", "health:\n  mode: proxy\n", []string{"/health/mode"}},
		{"unknown details level", "health:\n  details: everyone\n", []string{"/health/details"}},
		{"unknown auth mode", "health:\n  auth:\n    mode: basic\n", []string{"/health/auth/mode"}},
		{"unknown flavour", "image:\n  flavour: huge\n", []string{"/image/flavour"}},
		{"unknown check type", "health:\n  checks:\n    - {name: db, type: postgres, critical: true, intervalSeconds: 10, timeoutSeconds: 2}\n", []string{"/health/checks/0/type"}},
		{"unknown access mode", "persistence:\n  accessMode: Everything\n", []string{"/persistence/accessMode"}},
		{"typo in a probe key", "probes:\n  liveness:\n    periodSecond: 10\n", []string{"periodSecond"}},
		{"unknown top-level key", "replicas: 2\n", []string{"replicas"}},
		{"health path without a slash", "health:\n  paths:\n    ready: health/ready\n", []string{"/health/paths/ready"}},
		{"check url not http", "health:\n  checks:\n    - {name: llm, type: openai, url: \"ftp://llm\", critical: true, intervalSeconds: 10, timeoutSeconds: 2}\n", []string{"/health/checks/0/url"}},
		{"check api key given inline", "health:\n  checks:\n    - {name: llm, type: openai, url: \"http://llm:8000/v1\", critical: true, intervalSeconds: 10, timeoutSeconds: 2, apiKey: {value: sk-123}}\n", []string{"/health/checks/0/apiKey"}},
		// Missing required.
		{"check without a name", "health:\n  checks:\n    - {type: tcp, address: \"db:5432\", critical: true, intervalSeconds: 10, timeoutSeconds: 2}\n", []string{"/health/checks/0", "name"}},
		{"kotaemon port removed", "kotaemon:\n  port: null\n", []string{"/kotaemon", "port"}},
		{"tcp check without an address", "health:\n  checks:\n    - {name: db, type: tcp, critical: true, intervalSeconds: 10, timeoutSeconds: 2}\n", []string{"health.checks[0].address"}},
		{"openai check without a url", "health:\n  checks:\n    - {name: llm, type: openai, critical: true, intervalSeconds: 10, timeoutSeconds: 2}\n", []string{"health.checks[0].url"}},
		{"jwt without a secret", "health:\n  auth:\n    mode: jwt\n    jwt:\n      secretKey: hs\n", []string{"health.auth.existingSecret"}},
		{"jwt with two keys", "health:\n  auth:\n    mode: jwt\n    existingSecret: s\n    jwt:\n      secretKey: hs\n      jwksKey: jwks\n", []string{"health.auth.jwt"}},
		// Each guard broken.
		{"PI-01 liveness disabled", "probes:\n  liveness:\n    enabled: false\n", []string{"PI-01", "probes.liveness.enabled"}},
		{"PI-02 live path equals ready path", "health:\n  paths:\n    live: /health/ready\n", []string{"PI-02", "/health/ready"}},
		{"PI-03 startup on the ready endpoint", "probes:\n  startup:\n    custom:\n      httpGet: {path: /health/ready, port: health}\n      failureThreshold: 40\n      periodSeconds: 5\n", []string{"PI-03", "probes.startup"}},
		{"PI-05 startup budget too short", "probes:\n  startup:\n    expectedSeconds: 120\n    periodSeconds: 5\n    failureThreshold: 20\n", []string{"PI-05", "probes.startup.expectedSeconds"}},
		{"PI-05 liveness delay too short without startup", "probes:\n  startup:\n    enabled: false\n    expectedSeconds: 120\n  liveness:\n    initialDelaySeconds: 30\n", []string{"PI-05", "probes.liveness.initialDelaySeconds"}},
		{"PI-05 liveness not after readiness without startup", "probes:\n  startup:\n    enabled: false\n    expectedSeconds: 100\n  readiness:\n    initialDelaySeconds: 200\n  liveness:\n    initialDelaySeconds: 200\n", []string{"PI-05", "probes.readiness.initialDelaySeconds"}},
		{"PI-06 custom readiness timeout 1", "probes:\n  readiness:\n    custom:\n      httpGet: {path: /health/ready, port: health}\n      timeoutSeconds: 1\n", []string{"PI-06", "probes.readiness.timeoutSeconds"}},
		{"PI-06 custom liveness successThreshold 2", "probes:\n  liveness:\n    custom:\n      httpGet: {path: /health/live, port: health}\n      successThreshold: 2\n      timeoutSeconds: 5\n", []string{"PI-06", "probes.liveness.successThreshold"}},
		{"PI-07 liveness faster than readiness", "probes:\n  liveness:\n    periodSeconds: 10\n  readiness:\n    periodSeconds: 20\n", []string{"PI-07", "probes.liveness.periodSeconds"}},
		{"PI-08 health port equals app port", "health:\n  port: 7860\n", []string{"PI-08", "health.port"}},
		{"PI-09 ready timeout not below the probe's", "health:\n  app:\n    readyTimeoutMs: 5000\n", []string{"PI-09", "health.app.readyTimeoutMs"}},
		{"PI-09 live timeout not below startup's", "health:\n  app:\n    liveTimeoutMs: 3000\n", []string{"PI-09", "probes.startup.timeoutSeconds"}},
		{"PI-10 ingress path on /health", "ingress:\n  enabled: true\n  hosts:\n    - host: k.example\n      paths:\n        - {path: /health, pathType: Prefix}\n", []string{"PI-10", "ingress.hosts[0].paths[0].path"}},
		{"PI-13 replicas without external stores", "replicaCount: 2\n", []string{"PI-13", "kotaemon.externalStores"}},
		{"PI-13 replicas on a ReadWriteOnce volume", "replicaCount: 2\nkotaemon:\n  externalStores: true\n", []string{"PI-13", "persistence.accessMode"}},
		{"PI-14 grace period within the drain time", "terminationGracePeriodSeconds: 25\n", []string{"PI-14", "terminationGracePeriodSeconds", "health.shutdown"}},
		{"PI-14 grace period on a custom readiness probe", "probes:\n  readiness:\n    custom:\n      httpGet: {path: /health/ready, port: health}\n      timeoutSeconds: 5\n      terminationGracePeriodSeconds: 10\n", []string{"PI-14", "probes.readiness"}},
		{"check timeout not below its interval", "health:\n  checks:\n    - {name: db, type: tcp, address: \"db:5432\", critical: true, intervalSeconds: 5, timeoutSeconds: 5}\n", []string{"health.checks[0].timeoutSeconds"}},
		{"a key the check type does not read (url on tcp)", "health:\n  checks:\n    - {name: db, type: tcp, address: \"db:5432\", url: \"http://db\", critical: true, intervalSeconds: 10, timeoutSeconds: 2}\n", []string{"health.checks[0].url", "not used by type tcp"}},
		{"a key the check type does not read (model on tei)", "health:\n  checks:\n    - {name: emb, type: tei, url: \"http://tei:8080\", model: bge, critical: true, intervalSeconds: 10, timeoutSeconds: 2}\n", []string{"health.checks[0].model", "not used by type tei"}},
		{"generate without a model", "health:\n  checks:\n    - {name: gen, type: generate, url: \"http://llm:8000/v1\", provider: openai, critical: false, intervalSeconds: 300, timeoutSeconds: 20}\n", []string{"health.checks[0].model", "required for type generate"}},
		{"duplicate check names", "health:\n  checks:\n    - {name: db, type: tcp, address: \"db:5432\", critical: true, intervalSeconds: 10, timeoutSeconds: 2}\n    - {name: db, type: tcp, address: \"db2:5432\", critical: true, intervalSeconds: 10, timeoutSeconds: 2}\n", []string{"health.checks[1].name"}},
	}
	require.GreaterOrEqual(t, len(cases), 30)
	dir := t.TempDir()
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			file := filepath.Join(dir, filepath.Base(t.Name())+".yaml")
			require.NoError(t, os.WriteFile(file, []byte(c.values), 0o644), "case %d", i)
			renders := map[string]func(*testing.T, []string, map[string]string) (string, error){"in process": renderInProcess}
			if i%8 == 0 {
				renders["helm binary"] = render
			}
			for how, renderWith := range renders {
				out, err := renderWith(t, []string{file}, nil)
				require.Error(t, err, "%s must refuse:\n%s", how, c.values)
				for _, w := range c.want {
					assert.Contains(t, err.Error(), w, how)
				}
				assert.NotContains(t, out, "kind: Deployment", "%s: nothing is rendered", how)
			}
		})
	}
}
