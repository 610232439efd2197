package config

import (
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

// Every bound holds at its edge: the limit itself is accepted, one step beyond is
// refused, with the field named. (Mutation testing showed which edges no test touched.)
func TestBoundsAcceptTheirLimitsAndRefuseOneStepBeyond(t *testing.T) {
	t.Parallel()
	tcpCheck := func(fields string) string {
		return "checks:\n  - {name: db, type: tcp, address: \"db:5432\", " + fields + "}\n"
	}
	cases := []struct {
		name, doc string
		field     string // "" when the document must be accepted
	}{
		{"an interval of exactly 1s", tcpCheck("interval: 1s, timeout: 500ms"), ""},
		{"an interval just under 1s", tcpCheck("interval: 999ms, timeout: 500ms"), "checks[0].interval"},
		{"an interval of exactly 24h", tcpCheck("interval: 24h, timeout: 5m"), ""},
		{"an interval just over 24h", tcpCheck("interval: 86400000000001ns, timeout: 5m"), "checks[0].interval"},
		{"a check timeout of exactly 5m", tcpCheck("interval: 10m, timeout: 5m"), ""},
		{"a check timeout just over 5m", tcpCheck("interval: 10m, timeout: 300000000001ns"), "checks[0].timeout"},
		{"a zero check timeout", tcpCheck("interval: 10s, timeout: 0s"), "checks[0].timeout"},
		{"thresholds of 1", tcpCheck("interval: 10s, timeout: 1s, failureThreshold: 1, successThreshold: 1"), ""},
		{"thresholds of 10", tcpCheck("interval: 10s, timeout: 1s, failureThreshold: 10, successThreshold: 10"), ""},
		{"a failure threshold of 11", tcpCheck("interval: 10s, timeout: 1s, failureThreshold: 11"), "checks[0].failureThreshold"},
		{"a success threshold of 0", tcpCheck("interval: 10s, timeout: 1s, successThreshold: 0"), "checks[0].successThreshold"},
		{"an app timeout of exactly 1m", "app:\n  ready:\n    timeout: 1m", ""},
		{"an app timeout just over 1m", "app:\n  ready:\n    timeout: 60000000001ns", "app.ready.timeout"},
		{"an app timeout of 1ms", "app:\n  live:\n    timeout: 1ms", ""},
		{"no drain delay", "shutdown:\n  drainDelay: 0s", ""},
		{"a drain delay of exactly 5m", "shutdown:\n  drainDelay: 5m", ""},
		{"a drain delay just over 5m", "shutdown:\n  drainDelay: 300000000001ns", "shutdown.drainDelay"},
		{"a stop timeout of exactly 10m", "shutdown:\n  stopTimeout: 10m", ""},
		{"a stop timeout just over 10m", "shutdown:\n  stopTimeout: 600000000001ns", "shutdown.stopTimeout"},
		{"no wait for answers", "shutdown:\n  answersTimeout: 0s", ""},
		{"a wait for answers of exactly 30m", "shutdown:\n  answersTimeout: 30m", ""},
		{"a wait for answers just over 30m", "shutdown:\n  answersTimeout: 1800000000001ns", "shutdown.answersTimeout"},
		{"listen on localhost", `listen: "localhost:8000"`, ""},
		{"listen on a host name", `listen: "agent.example:8000"`, "listen"},
		{"listen on port 1", `listen: ":1"`, ""},
		{"listen on port 65535", `listen: ":65535"`, ""},
		{"listen on port 0", `listen: ":0"`, "listen"},
		{"listen on port 65536", `listen: ":65536"`, "listen"},
		{"an app on port 1", "app:\n  url: http://127.0.0.1:1", ""},
		{"an app on port 65535", "app:\n  url: http://127.0.0.1:65535", ""},
		{"an app on port 0", "app:\n  url: http://127.0.0.1:0", "app.url"},
		{"an app on port 65536", "app:\n  url: http://127.0.0.1:65536", "app.url"},
		{"an app on localhost", "app:\n  url: http://localhost:7860", ""},
		{"a tcp check on port 1", "checks:\n  - {name: db, type: tcp, address: \"db:1\", interval: 10s, timeout: 1s}\n", ""},
		{"a tcp check on port 65535", "checks:\n  - {name: db, type: tcp, address: \"db:65535\", interval: 10s, timeout: 1s}\n", ""},
		{"a tcp check on port 0", "checks:\n  - {name: db, type: tcp, address: \"db:0\", interval: 10s, timeout: 1s}\n", "checks[0].address"},
		{"a tcp check on port 65536", "checks:\n  - {name: db, type: tcp, address: \"db:65536\", interval: 10s, timeout: 1s}\n", "checks[0].address"},
		{"expected status 100 and 599", "checks:\n  - {name: web, type: http, url: \"http://web\", expectedStatus: [100, 599], interval: 10s, timeout: 1s}\n", ""},
		{"expected status 99", "checks:\n  - {name: web, type: http, url: \"http://web\", expectedStatus: [99], interval: 10s, timeout: 1s}\n", "checks[0].expectedStatus[0]"},
		{"expected status 600", "checks:\n  - {name: web, type: http, url: \"http://web\", expectedStatus: [600], interval: 10s, timeout: 1s}\n", "checks[0].expectedStatus[0]"},
		{"a relative http path", "checks:\n  - {name: web, type: http, url: \"http://web\", path: status, interval: 10s, timeout: 1s}\n", "checks[0].path"},
		{"an api key on an ollama generate check", "checks:\n  - {name: gen, type: generate, provider: ollama, model: m, url: \"http://o\", apiKey: {env: K}, interval: 10m, timeout: 1m}\n", "checks[0].apiKey"},
		{"a header named twice", "checks:\n  - {name: web, type: http, url: \"http://web\", interval: 10s, timeout: 1s, headers: [{name: X-A, env: A}, {name: x-a, env: B}]}\n", "checks[0].headers[1].name"},
		{"a secret by env and file", "checks:\n  - {name: llm, type: openai, url: \"http://l\", interval: 10s, timeout: 1s, apiKey: {env: K, file: /k}}\n", "checks[0].apiKey"},
		{"a secret by neither", "checks:\n  - {name: web, type: http, url: \"http://web\", interval: 10s, timeout: 1s, headers: [{name: X-A}]}\n", "checks[0].headers[0]"},
		{"a secret in an unnamable variable", "checks:\n  - {name: llm, type: openai, url: \"http://l\", interval: 10s, timeout: 1s, apiKey: {env: 1KEY}}\n", "checks[0].apiKey.env"},
		{"a secret in a relative file", "checks:\n  - {name: llm, type: openai, url: \"http://l\", interval: 10s, timeout: 1s, apiKey: {file: key}}\n", "checks[0].apiKey.file"},
		{"a secret in an absolute file", "checks:\n  - {name: llm, type: openai, url: \"http://l\", interval: 10s, timeout: 1s, apiKey: {file: /key}}\n", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse([]byte(c.doc))
			if c.field == "" {
				assert.NoError(t, err)
				return
			}
			var fe *FieldError
			require.True(t, errors.As(err, &fe), "want a field error, got %v", err)
			assert.Equal(t, c.field, fe.Field, err.Error())
		})
	}
}

// A config of exactly the size limit is read; one byte more is refused for its size.
func TestTheSizeLimitIsExact(t *testing.T) {
	t.Parallel()
	pad := func(n int) []byte { return []byte("#" + strings.Repeat("x", n-2) + "\n") }
	_, err := Parse(pad(MaxConfigBytes))
	assert.NoError(t, err)
	_, err = Parse(pad(MaxConfigBytes + 1))
	assert.ErrorContains(t, err, "more than the")
}

// A value of exactly 80 characters is quoted whole; one more is cut.
func TestValuesAreCutAfterEightyCharacters(t *testing.T) {
	t.Parallel()
	assert.Equal(t, strings.Repeat("v", 80), truncate(strings.Repeat("v", 80)))
	assert.Equal(t, strings.Repeat("v", 80)+"...(1 more bytes)", truncate(strings.Repeat("v", 81)))
}

// Wrong scalar kinds are named as the reader wrote them.
func TestWrongKindsAreNamedInTheMessage(t *testing.T) {
	t.Parallel()
	_, err := Parse([]byte("listen: 8000"))
	assert.ErrorContains(t, err, "the number 8000")
	_, err = Parse([]byte("details: true"))
	assert.ErrorContains(t, err, "the boolean true")
	_, err = Parse([]byte("log:\n  level: 1.5"))
	assert.ErrorContains(t, err, "the number 1.5")
}

// Every secret source is read, trimmed, and refused when missing or empty; an HS256
// secret of exactly 32 bytes is accepted.
func TestEverySecretSourceIsReadOrRefused(t *testing.T) {
	t.Parallel()
	files := map[string]string{
		"/pem": "-----BEGIN PUBLIC KEY-----\nx\n-----END PUBLIC KEY-----\n", "/jwks": `{"keys":[]}`,
		"/empty": " \n", "/hs": strings.Repeat("s", MinHS256SecretBytes),
		"/key-with-newline": "sk-abc\ndef\n", "/token-with-tab": "a\tb", "/key-with-space": "Bearer sk-abc", "/long": strings.Repeat("t", MaxBearerTokenBytes+1), "/longest": strings.Repeat("t", MaxBearerTokenBytes), "/hs-binary": strings.Repeat("\x01", MinHS256SecretBytes),
	}
	read := func(name string) ([]byte, error) {
		if v, ok := files[name]; ok {
			return []byte(v), nil
		}
		return nil, os.ErrNotExist
	}
	env := func(name string) (string, bool) {
		v, ok := map[string]string{"BLANK": "  ", "KEY": " k ", "CRLF": "k\r\nX-Injected: 1"}[name]
		return v, ok
	}
	jwt := func(key, file string) string {
		return "auth:\n  mode: jwt\n  jwt:\n    algorithms: [" + map[string]string{"secretFile": "HS256"}[key] + map[string]string{"publicKeyFile": "RS256", "jwksFile": "RS256"}[key] + "]\n    " + key + ": " + file + "\n"
	}
	cases := []struct {
		name, doc, wantErr string
	}{
		{"a PEM public key", jwt("publicKeyFile", "/pem"), ""},
		{"a JWKS document", jwt("jwksFile", "/jwks"), ""},
		{"an HS256 secret of 32 bytes", jwt("secretFile", "/hs"), ""},
		{"a missing PEM", jwt("publicKeyFile", "/nope"), "auth.jwt.publicKeyFile"},
		{"an empty JWKS", jwt("jwksFile", "/empty"), "auth.jwt.jwksFile"},
		{"a blank variable", "checks:\n  - {name: llm, type: openai, url: \"http://l\", interval: 10s, timeout: 1s, apiKey: {env: BLANK}}\n", "checks[0].apiKey.env"},
		{"a set variable", "checks:\n  - {name: llm, type: openai, url: \"http://l\", interval: 10s, timeout: 1s, apiKey: {env: KEY}}\n", ""},
		// A value sent in a header is held at load to the rule it meets at use, naming the file or variable.
		{"an API key file with a line break inside", "checks:\n  - {name: llm, type: openai, url: \"http://l\", interval: 10s, timeout: 1s, apiKey: {file: /key-with-newline}}\n", "checks[0].apiKey.file: /key-with-newline holds a control character"},
		{"a header variable with CRLF", "checks:\n  - {name: llm, type: openai, url: \"http://l\", interval: 10s, timeout: 1s, headers: [{name: X-Key, env: CRLF}]}\n", "checks[0].headers[0].env: environment variable CRLF holds a control character"},
		{"an API key with a space inside", "checks:\n  - {name: llm, type: openai, url: \"http://l\", interval: 10s, timeout: 1s, apiKey: {file: /key-with-space}}\n", ""},
		// A bearer token is read from a request without whitespace: one inside the file's would refuse every caller.
		{"a token with a tab", "auth:\n  mode: token\n  tokenFile: /token-with-tab\n", "auth.tokenFile: /token-with-tab holds whitespace inside the token"},
		{"a token with a space", "auth:\n  mode: token\n  tokenFile: /key-with-space\n", "auth.tokenFile: /key-with-space holds whitespace"},
		{"a token too long", "auth:\n  mode: token\n  tokenFile: /long\n", "auth.tokenFile: /long holds a token of 8193 bytes"},
		{"a token of the longest length", "auth:\n  mode: token\n  tokenFile: /longest\n", ""},
		{"an HS256 secret of any bytes (never a header)", jwt("secretFile", "/hs-binary"), ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			cfg, err := Parse([]byte(c.doc))
			require.NoError(t, err)
			err = cfg.ResolveSecretsWith(env, read)
			if c.wantErr == "" {
				require.NoError(t, err)
				return
			}
			assert.ErrorContains(t, err, c.wantErr)
		})
	}
	cfg, err := Parse([]byte("checks:\n  - {name: llm, type: openai, url: \"http://l\", interval: 10s, timeout: 1s, apiKey: {env: KEY}}\n"))
	require.NoError(t, err)
	require.NoError(t, cfg.ResolveSecretsWith(env, read))
	assert.Equal(t, "k", cfg.Secrets.Checks["llm"].APIKey, "trimmed")
}

// The node budget is spent exactly: a document of n nodes decodes with a budget of n.
func TestTheNodeBudgetIsSpentExactly(t *testing.T) {
	t.Parallel()
	var node yaml.Node
	require.NoError(t, yaml.Unmarshal([]byte("hello"), &node))
	scalar := node.Content[0]
	var s string
	budget := 1
	require.NoError(t, decodeValue(scalar, reflect.ValueOf(&s).Elem(), "x", &budget))
	assert.Equal(t, "hello", s)
	budget = 0
	err := decodeValue(scalar, reflect.ValueOf(&s).Elem(), "x", &budget)
	assert.ErrorContains(t, err, "too many alias expansions")
}
