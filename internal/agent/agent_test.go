package agent

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"kotaemon-k8s/internal/config"
)

func TestBuildRefusesAConfigWhoseSecretsAreNotResolved(t *testing.T) {
	t.Parallel()
	cfg := config.Default()
	_, err := Build(cfg, slog.New(slog.DiscardHandler), "test", nil)
	assert.ErrorContains(t, err, "secrets not resolved")
}

func TestBuildWiresChecksMetricsAndAuth(t *testing.T) {
	t.Parallel()
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "1") }))
	defer app.Close()
	tei := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/health" {
			http.NotFound(w, r)
		}
	}))
	defer tei.Close()
	doc := "app:\n  url: " + app.URL + "\nauth:\n  mode: token\n  tokenFile: /t\nchecks:\n  - name: embeddings\n    type: tei\n    interval: 1m\n    timeout: 1s\n    url: " + tei.URL + "\n"
	cfg, err := config.Parse([]byte(doc))
	require.NoError(t, err)
	require.NoError(t, cfg.ResolveSecretsWith(func(string) (string, bool) { return "", false },
		func(string) ([]byte, error) { return []byte("tok\n"), nil }))

	var logs bytes.Buffer
	parts, err := Build(cfg, NewLogger("info", &logs), "1.2.3", nil)
	require.NoError(t, err)
	parts.Monitor.RunAll(context.Background())

	r := httptest.NewRequest(http.MethodGet, "/health/ready", nil)
	r.Header.Set("Authorization", "Bearer tok")
	w := httptest.NewRecorder()
	parts.Server.ServeHTTP(w, r)
	assert.Equal(t, 200, w.Code)
	var body struct {
		Components map[string]struct{ State string } `json:"components"`
	}
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &body))
	assert.Equal(t, "up", body.Components["embeddings"].State, "the token unlocks details")

	w = httptest.NewRecorder()
	parts.Server.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	assert.Contains(t, w.Body.String(), `kotaemon_health_build_info{goversion=`)
	assert.Contains(t, w.Body.String(), `version="1.2.3"`)
	assert.Contains(t, w.Body.String(), `kotaemon_health_check_up{check="embeddings",critical="true",type="tei"} 1`)

	var line map[string]any
	first := strings.SplitN(strings.TrimSpace(logs.String()), "\n", 2)[0]
	require.NoError(t, json.Unmarshal([]byte(first), &line), "logs are JSON")
	assert.Equal(t, "embeddings", line["component"])
}

func TestLazyProcessIsDownUntilTheChildStarts(t *testing.T) {
	t.Parallel()
	assert.False(t, (&lazyProcess{}).Running())
}
