package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// full is the contract's example with every key set.
const full = `
listen: ":8000"
paths:
  live: /health/live
  ready: /health/ready
  metrics: /metrics
app:
  url: http://127.0.0.1:7860
  live:
    path: /startup-events
    timeout: 2s
  ready:
    path: /app_id
    timeout: 1500ms
shutdown:
  drainDelay: 5s
  stopTimeout: 20s
details: authenticated
auth:
  mode: jwt
  tokenFile: ""
  jwt:
    algorithms: [RS256, ES256]
    secretFile: ""
    publicKeyFile: ""
    jwksFile: /etc/kotaemon-health/auth/jwks.json
    issuer: https://issuer.example
    audience: kotaemon-health
  protectMetrics: true
log:
  level: debug
checks:
  - name: llm
    type: openai
    critical: true
    interval: 30s
    timeout: 5s
    url: http://llm:8000/v1
    model: gpt-4o-mini
    apiKey:
      env: KH_CHECK_LLM_APIKEY
    headers:
      - name: X-Org
        file: /etc/kotaemon-health/secrets/org
  - name: data
    type: disk
    critical: false
    interval: 1m
    timeout: 2s
    path: /app/ktem_app_data
    minFreeBytes: 1073741824
  - name: vectors
    type: tcp
    interval: 10s
    timeout: 1s
    address: qdrant:6333
`

func TestParseReadsEveryFieldIntoTypedValues(t *testing.T) {
	t.Parallel()
	cfg, err := Parse([]byte(full))
	require.NoError(t, err)
	assert.Equal(t, ":8000", cfg.Listen)
	assert.Equal(t, 8000, cfg.ListenPort())
	assert.Equal(t, "/health/live", cfg.Paths.Live)
	assert.Equal(t, 2*time.Second, cfg.App.Live.Timeout)
	assert.Equal(t, 1500*time.Millisecond, cfg.App.Ready.Timeout)
	assert.Equal(t, 1500*time.Millisecond, cfg.MaxProbeTimeout("/health/ready"))
	assert.Equal(t, 25*time.Second, cfg.DrainTime())
	assert.Equal(t, []string{"RS256", "ES256"}, cfg.Auth.JWT.Algorithms)
	assert.True(t, cfg.Auth.ProtectMetrics)
	require.Len(t, cfg.Checks, 3)
	assert.Equal(t, time.Minute, cfg.Checks[1].Interval)
	assert.Equal(t, uint64(1<<30), cfg.Checks[1].MinFreeBytes)
	assert.False(t, cfg.Checks[1].IsCritical())
	assert.True(t, cfg.Checks[2].IsCritical(), "critical defaults to true")
	assert.Equal(t, "KH_CHECK_LLM_APIKEY", cfg.Checks[0].APIKey.Env)
	assert.Nil(t, cfg.Secrets, "Parse must not resolve secrets")
}

// A second YAML document would be ignored, what it says never applied: it is refused,
// naming where it starts.
func TestMoreThanOneDocumentIsRefused(t *testing.T) {
	t.Parallel()
	_, err := Parse([]byte("listen: \":8000\"\n---\nlisten: \":9000\"\n"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "more than one YAML document")
	assert.Contains(t, err.Error(), "line 2", "the second document's marker")
	_, err = Parse([]byte("---\nlisten: \":8000\"\n"))
	assert.NoError(t, err, "one document with its marker")
}

func TestParseOfAnEmptyDocumentGivesTheDefaults(t *testing.T) {
	t.Parallel()
	for _, doc := range []string{"", "---\n", "# nothing\n", "null\n"} {
		cfg, err := Parse([]byte(doc))
		require.NoError(t, err, "%q", doc)
		assert.Equal(t, Default(), cfg, "%q", doc)
	}
}

func TestParseRefusesBadConfigNamingTheField(t *testing.T) {
	t.Parallel()
	check := func(extra string) string {
		return "checks:\n  - name: ok\n    type: tei\n    interval: 10s\n    timeout: 1s\n    url: http://tei\n" + extra
	}
	cases := []struct {
		name, doc, field, msg string
	}{
		{"unknown top-level key", "listn: :8000", "listn", "unknown field"},
		// Bounds: what a typo would otherwise do to the pod (regressions).
		{"a 2 ms check interval", "checks:\n  - name: ok\n    type: tei\n    interval: 2ms\n    timeout: 1ms\n    url: http://tei\n", "checks[0].interval", "outside 1s"},
		{"a day and more between checks", "checks:\n  - name: ok\n    type: tei\n    interval: 25h\n    timeout: 1s\n    url: http://tei\n", "checks[0].interval", "outside"},
		{"a check timeout of an hour", "checks:\n  - name: ok\n    type: tei\n    interval: 2h\n    timeout: 1h\n    url: http://tei\n", "checks[0].timeout", "outside"},
		{"an hour-long app timeout", "app:\n  ready:\n    timeout: 1h", "app.ready.timeout", "outside"},
		{"a 1000-hour drain", "shutdown:\n  drainDelay: 1000h", "shutdown.drainDelay", "outside"},
		{"a stop timeout of a day", "shutdown:\n  stopTimeout: 24h", "shutdown.stopTimeout", "outside"},
		{"an app across the network", "app:\n  url: http://kotaemon.other.svc:7860", "app.url", "loopback"},
		{"a jwt block under token mode", "auth:\n  mode: token\n  tokenFile: /t\n  jwt:\n    secretFile: /broken", "auth.jwt", "only with auth.mode jwt"},
		{"a failure threshold of 0", check("    failureThreshold: 0\n"), "checks[0].failureThreshold", "outside 1..10"},
		{"a success threshold of 11", check("    successThreshold: 11\n"), "checks[0].successThreshold", "outside 1..10"},
		{"unknown nested key", "app:\n  live:\n    timout: 1s", "app.live.timout", "unknown field"},
		{"duplicate key", "listen: \":1\"\nlisten: \":2\"", "listen", "duplicate key"},
		{"duration without unit", "app:\n  live:\n    timeout: 2", "app.live.timeout", "not a duration"},
		{"duration garbage", "shutdown:\n  drainDelay: soon", "shutdown.drainDelay", "not a duration"},
		{"negative drain delay", "shutdown:\n  drainDelay: -1s", "shutdown.drainDelay", "negative"},
		{"a negative wait for answers", "shutdown:\n  answersTimeout: -1s", "shutdown.answersTimeout", "negative"},
		{"a stop signal nobody knows", "shutdown:\n  stopSignal: SIGSTOP", "shutdown.stopSignal", "SIGTERM, SIGINT"},
		{"zero stop timeout", "shutdown:\n  stopTimeout: 0s", "shutdown.stopTimeout", "positive"},
		{"listen as number", "listen: 8000", "listen", "want a string"},
		{"listen without port", `listen: "0.0.0.0"`, "listen", "host]:port"},
		{"listen port out of range", `listen: ":70000"`, "listen", "1-65535"},
		{"relative path", "paths:\n  live: health", "paths.live", "start with '/'"},
		{"live equals ready", "paths:\n  live: /h\n  ready: /h", "paths.ready", "must differ"},
		{"metrics on a probe path", "paths:\n  metrics: /health/live", "paths.metrics", "already used"},
		{"app url without scheme", "app:\n  url: 127.0.0.1:7860", "app.url", "not a URL"},
		{"app url with another scheme", "app:\n  url: unix:///run/app.sock", "app.url", "scheme"},
		{"app url with credentials", "app:\n  url: http://u:p@127.0.0.1", "app.url", "credentials"},
		{"zero app timeout", "app:\n  ready:\n    timeout: 0s", "app.ready.timeout", "positive"},
		{"unknown details", "details: everyone", "details", "unknown value"},
		{"unknown auth mode", "auth:\n  mode: basic", "auth.mode", "unknown mode"},
		{"token without file", "auth:\n  mode: token", "auth.tokenFile", "required"},
		{"jwt without key", "auth:\n  mode: jwt", "auth.jwt", "exactly one"},
		{"jwt with two keys", "auth:\n  mode: jwt\n  jwt:\n    secretFile: /a\n    jwksFile: /b", "auth.jwt", "exactly one"},
		{"jwt unknown algorithm", "auth:\n  mode: jwt\n  jwt:\n    algorithms: [none]\n    secretFile: /a", "auth.jwt.algorithms[0]", "unsupported"},
		{"jwt RS256 with a secret", "auth:\n  mode: jwt\n  jwt:\n    algorithms: [RS256]\n    secretFile: /a", "auth.jwt.algorithms[0]", "public key"},
		{"jwt HS256 with a public key", "auth:\n  mode: jwt\n  jwt:\n    algorithms: [HS256]\n    publicKeyFile: /a", "auth.jwt.algorithms[0]", "secretFile"},
		{"protected metrics without auth", "auth:\n  protectMetrics: true", "auth.protectMetrics", "token or jwt"},
		{"protectMetrics not a bool", "auth:\n  protectMetrics: yes please", "auth.protectMetrics", "true or false"},
		{"unknown log level", "log:\n  level: verbose", "log.level", "unknown level"},
		{"checks not a list", "checks: {}", "checks", "want a list"},
		{"unknown check type", check("  - name: x\n    type: redis\n    interval: 10s\n    timeout: 1s\n"), "checks[1].type", "unknown type"},
		{"timeout equal to interval", check("  - name: x\n    type: tei\n    interval: 5s\n    timeout: 5s\n    url: http://t\n"), "checks[1].timeout", "shorter than interval"},
		{"timeout above interval", check("  - name: x\n    type: tei\n    interval: 5s\n    timeout: 6s\n    url: http://t\n"), "checks[1].timeout", "shorter than interval"},
		{"duplicate check name", check("  - name: ok\n    type: tei\n    interval: 10s\n    timeout: 1s\n    url: http://t\n"), "checks[1].name", "duplicate name"},
		{"bad check name", check("  - name: My_Check\n    type: tei\n    interval: 10s\n    timeout: 1s\n    url: http://t\n"), "checks[1].name", "must match"},
		{"reserved check name", check("  - name: app\n    type: tei\n    interval: 10s\n    timeout: 1s\n    url: http://t\n"), "checks[1].name", "reserved"},
		{"missing url", check("  - name: x\n    type: qdrant\n    interval: 10s\n    timeout: 1s\n"), "checks[1].url", "required"},
		{"bad url", check("  - name: x\n    type: qdrant\n    interval: 10s\n    timeout: 1s\n    url: ftp://q\n"), "checks[1].url", "scheme"},
		{"space in a url path", check("  - name: x\n    type: qdrant\n    interval: 10s\n    timeout: 1s\n    url: \"http://q/a b\"\n"), "checks[1].url", "whitespace"},
		{"newline ending a url", check("  - name: x\n    type: qdrant\n    interval: 10s\n    timeout: 1s\n    url: \"http://q\\n\"\n"), "checks[1].url", "whitespace"},
		{"space before a tcp host", check("  - name: x\n    type: tcp\n    interval: 10s\n    timeout: 1s\n    address: \" q:5432\"\n"), "checks[1].address", "host:port"},
		{"url on tcp", check("  - name: x\n    type: tcp\n    interval: 10s\n    timeout: 1s\n    url: http://q\n    address: q:1\n"), "checks[1].url", "not used by type tcp"},
		{"tcp without address", check("  - name: x\n    type: tcp\n    interval: 10s\n    timeout: 1s\n"), "checks[1].address", "required"},
		{"tcp address without port", check("  - name: x\n    type: tcp\n    interval: 10s\n    timeout: 1s\n    address: qdrant\n"), "checks[1].address", "host:port"},
		{"disk relative path", check("  - name: x\n    type: disk\n    interval: 10s\n    timeout: 1s\n    path: data\n"), "checks[1].path", "absolute"},
		{"negative minFreeBytes", check("  - name: x\n    type: disk\n    interval: 10s\n    timeout: 1s\n    path: /d\n    minFreeBytes: -1\n"), "checks[1].minFreeBytes", "non-negative"},
		{"expectedStatus out of range", check("  - name: x\n    type: http\n    interval: 10s\n    timeout: 1s\n    url: http://h\n    expectedStatus: [200, 999]\n"), "checks[1].expectedStatus[1]", "not an HTTP status"},
		{"generate without provider", check("  - name: x\n    type: generate\n    interval: 10m\n    timeout: 30s\n    url: http://h\n    model: m\n"), "checks[1].provider", "openai or ollama"},
		{"generate without model", check("  - name: x\n    type: generate\n    interval: 10m\n    timeout: 30s\n    url: http://h\n    provider: openai\n"), "checks[1].model", "required"},
		{"apiKey on tei", check("  - name: x\n    type: tei\n    interval: 10s\n    timeout: 1s\n    url: http://h\n    apiKey:\n      env: K\n"), "checks[1].apiKey", "not used by type tei"},
		{"apiKey with env and file", check("  - name: x\n    type: openai\n    interval: 10s\n    timeout: 1s\n    url: http://h\n    apiKey:\n      env: K\n      file: /k\n"), "checks[1].apiKey", "not both"},
		{"apiKey relative file", check("  - name: x\n    type: openai\n    interval: 10s\n    timeout: 1s\n    url: http://h\n    apiKey:\n      file: k\n"), "checks[1].apiKey.file", "absolute"},
		{"apiKey as literal text", check("  - name: x\n    type: openai\n    interval: 10s\n    timeout: 1s\n    url: http://h\n    apiKey: sk-123\n"), "checks[1].apiKey", "want a mapping"},
		{"header without reference", check("  - name: x\n    type: http\n    interval: 10s\n    timeout: 1s\n    url: http://h\n    headers:\n      - name: X-A\n"), "checks[1].headers[0]", "one of env or file"},
		{"header bad name", check("  - name: x\n    type: http\n    interval: 10s\n    timeout: 1s\n    url: http://h\n    headers:\n      - name: \"X A\"\n        env: A\n"), "checks[1].headers[0].name", "not a valid header"},
		{"header unknown field", check("  - name: x\n    type: http\n    interval: 10s\n    timeout: 1s\n    url: http://h\n    headers:\n      - name: X-A\n        value: s3cret\n"), "checks[1].headers[0].value", "unknown field"},
		{"document is a list", "- a\n- b\n", "", "must be a mapping"},
		{"invalid yaml", "listen: [\n", "", "invalid YAML"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse([]byte(tc.doc))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.msg)
			if tc.field != "" {
				var fe *FieldError
				require.True(t, errors.As(err, &fe), "want a FieldError, got %T: %v", err, err)
				assert.Equal(t, tc.field, fe.Field, "error: %v", err)
				assert.True(t, strings.HasPrefix(err.Error(), tc.field+": "), "message %q must start with the field", err)
			}
		})
	}
}

func TestParseAcceptsEveryCheckType(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		TypeOllama:        "url: http://ollama:11434\n    model: llama3.1:8b",
		TypeOpenAI:        "url: https://api.openai.com/v1\n    model: gpt-4o-mini\n    apiKey:\n      file: /s/key",
		TypeQdrant:        "url: http://qdrant:6333\n    apiKey:\n      env: QDRANT_KEY",
		TypeElasticsearch: "url: http://es:9200",
		TypeMilvus:        "url: http://milvus:9091",
		TypeChroma:        "url: http://chroma:8000",
		TypeTEI:           "url: http://tei:80",
		TypeHTTP:          "url: http://svc:8080\n    path: /healthz\n    expectedStatus: [200, 204]",
		TypeTCP:           "address: db:5432",
		TypeDisk:          "path: /app/ktem_app_data\n    minFreeBytes: 100",
		TypeGenerate:      "url: http://ollama:11434\n    provider: ollama\n    model: llama3.1:8b",
	}
	require.Len(t, cases, len(CheckTypes))
	for typ, fields := range cases {
		t.Run(typ, func(t *testing.T) {
			t.Parallel()
			doc := "checks:\n  - name: c\n    type: " + typ + "\n    interval: 10m\n    timeout: 30s\n    " + fields + "\n"
			cfg, err := Parse([]byte(doc))
			require.NoError(t, err)
			assert.Equal(t, typ, cfg.Checks[0].Type)
		})
	}
}

func TestResolveSecretsReadsFilesAndEnvironment(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(content), 0o600))
		return p
	}
	tok := write("token", "s3cret\n")
	org := write("org", "acme")
	doc := "auth:\n  mode: token\n  tokenFile: " + tok + "\nchecks:\n  - name: llm\n    type: openai\n    interval: 30s\n    timeout: 5s\n    url: http://llm/v1\n    apiKey:\n      env: LLM_KEY\n    headers:\n      - name: X-Org\n        file: " + org + "\n"
	cfg, err := Parse([]byte(doc))
	require.NoError(t, err)
	env := map[string]string{"LLM_KEY": "sk-1"}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }

	require.NoError(t, cfg.ResolveSecretsWith(lookup, os.ReadFile))
	assert.Equal(t, "s3cret", cfg.Secrets.Token, "trailing newline of a mounted secret is trimmed")
	assert.Equal(t, "sk-1", cfg.Secrets.Checks["llm"].APIKey)
	assert.Equal(t, [][2]string{{"X-Org", "acme"}}, cfg.Secrets.Checks["llm"].Headers)

	t.Run("unset variable is refused", func(t *testing.T) {
		err := cfg.ResolveSecretsWith(func(string) (string, bool) { return "", false }, os.ReadFile)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "checks[0].apiKey.env: environment variable LLM_KEY is not set")
	})
	t.Run("missing file is refused", func(t *testing.T) {
		bad := *cfg
		bad.Auth.TokenFile = filepath.Join(dir, "absent")
		err := bad.ResolveSecretsWith(lookup, os.ReadFile)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "auth.tokenFile.file:")
	})
	t.Run("empty file is refused", func(t *testing.T) {
		bad := *cfg
		bad.Auth.TokenFile = write("empty", "\n")
		err := bad.ResolveSecretsWith(lookup, os.ReadFile)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "is empty")
	})
}

func TestLoadParsesAndResolves(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := filepath.Join(dir, "config.yaml")
	require.NoError(t, os.WriteFile(p, []byte("auth:\n  mode: token\n  tokenFile: "+filepath.Join(dir, "missing")+"\n"), 0o600))
	_, err := Load(p)
	require.Error(t, err, "a missing secret file is refused at load")
	assert.Contains(t, err.Error(), "auth.tokenFile")

	require.NoError(t, os.WriteFile(p, []byte("listen: \":9000\"\n"), 0o600))
	cfg, err := Load(p)
	require.NoError(t, err)
	assert.Equal(t, 9000, cfg.ListenPort())
	assert.NotNil(t, cfg.Secrets)

	_, err = Load(filepath.Join(dir, "nope.yaml"))
	assert.Error(t, err)
}

func TestAliasExpansionIsBounded(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString("checks:\n")
	b.WriteString("  - &c {name: c, type: http, interval: 10s, timeout: 1s, url: http://h, headers: [&h {name: X-A, env: A}")
	for range 400 {
		b.WriteString(", *h")
	}
	b.WriteString("]}\n")
	for range 400 {
		b.WriteString("  - *c\n")
	}
	_, err := Parse([]byte(b.String()))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "too many alias expansions")
}

// Regression: a config larger than 1 MiB is refused before it is decoded, and a huge
// value is quoted back in a short message, not a 31 MB log line.
func TestHugeConfigsAndValuesAreRefusedBriefly(t *testing.T) {
	t.Parallel()
	_, err := Parse([]byte("# " + strings.Repeat("x", MaxConfigBytes) + "\n"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "more than the 1048576")

	dir := t.TempDir()
	big := filepath.Join(dir, "big.yaml")
	require.NoError(t, os.WriteFile(big, []byte("# "+strings.Repeat("x", 50<<20)+"\n"), 0o600))
	_, err = Load(big)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "more than the 1048576")

	_, err = Parse([]byte("details: " + strings.Repeat("y", 1<<20-64)))
	require.Error(t, err)
	assert.Less(t, len(err.Error()), 300, "the value is truncated in the message")
	assert.Contains(t, err.Error(), "more bytes)")
}

// Regression: an HS256 secret shorter than 32 bytes is refused at start.
func TestAShortHS256SecretIsRefused(t *testing.T) {
	t.Parallel()
	cfg, err := Parse([]byte("auth:\n  mode: jwt\n  jwt:\n    secretFile: /s\n"))
	require.NoError(t, err)
	read := func(secret string) func(string) ([]byte, error) {
		return func(string) ([]byte, error) { return []byte(secret), nil }
	}
	err = cfg.ResolveSecretsWith(os.LookupEnv, read("x"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "auth.jwt.secretFile")
	assert.NoError(t, cfg.ResolveSecretsWith(os.LookupEnv, read(strings.Repeat("k", 32))))
}

// Thresholds default to DefaultCheckFailures and DefaultCheckPasses, and are read as given.
func TestCheckThresholdsDefaultAndAreReadAsGiven(t *testing.T) {
	t.Parallel()
	cfg, err := Parse([]byte("checks:\n  - {name: a, type: tcp, address: \"db:5432\", interval: 10s, timeout: 1s}\n  - {name: b, type: tcp, address: \"db:5432\", interval: 10s, timeout: 1s, failureThreshold: 5, successThreshold: 3}\n"))
	require.NoError(t, err)
	assert.Equal(t, DefaultCheckFailures, cfg.Checks[0].Failures())
	assert.Equal(t, DefaultCheckPasses, cfg.Checks[0].Passes())
	assert.Equal(t, 5, cfg.Checks[1].Failures())
	assert.Equal(t, 3, cfg.Checks[1].Passes())
}
