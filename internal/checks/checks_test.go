package checks

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"kotaemon-k8s/internal/config"
)

// double answers path with code and body and records the requests it saw.
type double struct {
	routes map[string]func(w http.ResponseWriter, r *http.Request)
	seen   chan *http.Request
}

func newDouble(t *testing.T, routes map[string]func(w http.ResponseWriter, r *http.Request)) (*httptest.Server, chan *http.Request) {
	t.Helper()
	d := &double{routes: routes, seen: make(chan *http.Request, 16)}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r2 := r.Clone(context.Background())
		r2.Body = io.NopCloser(bytesReader(body))
		select {
		case d.seen <- r2:
		default:
		}
		h, ok := d.routes[r.Method+" "+r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		h(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, d.seen
}

func answer(code int, body string) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		_, _ = io.WriteString(w, body)
	}
}

func probe(t *testing.T, c config.Check, sec config.CheckSecrets) error {
	t.Helper()
	p, err := New(c, sec, NewClient())
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return p.Probe(ctx)
}

func TestHTTPCheckTypesAgainstDoubles(t *testing.T) {
	t.Parallel()
	type route = map[string]func(http.ResponseWriter, *http.Request)
	cases := []struct {
		name    string
		check   config.Check
		sec     config.CheckSecrets
		routes  route
		wantErr string // "" = up
		verify  func(t *testing.T, r *http.Request)
	}{
		{name: "ollama is up when the model is listed",
			check:  config.Check{Type: config.TypeOllama, Model: "llama3.1:8b"},
			routes: route{"GET /api/tags": answer(200, `{"models":[{"name":"nomic-embed-text:latest"},{"name":"llama3.1:8b","model":"llama3.1:8b"}]}`)}},
		{name: "ollama matches an untagged model against :latest",
			check:  config.Check{Type: config.TypeOllama, Model: "nomic-embed-text"},
			routes: route{"GET /api/tags": answer(200, `{"models":[{"name":"nomic-embed-text:latest"}]}`)}},
		{name: "ollama is down when the model is missing",
			check:   config.Check{Type: config.TypeOllama, Model: "llama3.1:8b"},
			routes:  route{"GET /api/tags": answer(200, `{"models":[]}`)},
			wantErr: `model "llama3.1:8b" not present`},
		{name: "ollama without a model only needs a 2xx",
			check:  config.Check{Type: config.TypeOllama},
			routes: route{"GET /api/tags": answer(200, `not json`)}},
		{name: "ollama is down on a 500",
			check:   config.Check{Type: config.TypeOllama, Model: "m"},
			routes:  route{"GET /api/tags": answer(500, `{}`)},
			wantErr: "status 500"},
		{name: "openai sends the bearer key and finds the model",
			check:  config.Check{Type: config.TypeOpenAI, Model: "gpt-4o-mini"},
			sec:    config.CheckSecrets{APIKey: "sk-test"},
			routes: route{"GET /v1/models": answer(200, `{"object":"list","data":[{"id":"gpt-4o"},{"id":"gpt-4o-mini"}]}`)},
			verify: func(t *testing.T, r *http.Request) { assert.Equal(t, "Bearer sk-test", r.Header.Get("Authorization")) }},
		{name: "openai is down when the model is missing",
			check:   config.Check{Type: config.TypeOpenAI, Model: "gpt-5"},
			routes:  route{"GET /v1/models": answer(200, `{"data":[{"id":"gpt-4o"}]}`)},
			wantErr: `model "gpt-5" not present`},
		{name: "openai is down on 401",
			check:   config.Check{Type: config.TypeOpenAI, Model: "m"},
			routes:  route{"GET /v1/models": answer(401, `{"error":"bad key"}`)},
			wantErr: "status 401"},
		{name: "openai is down on a body that is not JSON",
			check:   config.Check{Type: config.TypeOpenAI, Model: "m"},
			routes:  route{"GET /v1/models": answer(200, `<html>`)},
			wantErr: "decoding"},
		{name: "qdrant sends the api-key header",
			check:  config.Check{Type: config.TypeQdrant},
			sec:    config.CheckSecrets{APIKey: "qk"},
			routes: route{"GET /readyz": answer(200, `all shards are ready`)},
			verify: func(t *testing.T, r *http.Request) { assert.Equal(t, "qk", r.Header.Get("api-key")) }},
		{name: "qdrant is down while shards load",
			check:   config.Check{Type: config.TypeQdrant},
			routes:  route{"GET /readyz": answer(503, `not ready`)},
			wantErr: "status 503"},
		{name: "elasticsearch yellow is up",
			check:  config.Check{Type: config.TypeElasticsearch},
			routes: route{"GET /_cluster/health": answer(200, `{"status":"yellow"}`)}},
		{name: "elasticsearch red is down",
			check:   config.Check{Type: config.TypeElasticsearch},
			routes:  route{"GET /_cluster/health": answer(200, `{"status":"red"}`)},
			wantErr: "status red"},
		{name: "milvus healthz",
			check:  config.Check{Type: config.TypeMilvus},
			routes: route{"GET /healthz": answer(200, `OK`)}},
		{name: "chroma v2 heartbeat",
			check:  config.Check{Type: config.TypeChroma},
			routes: route{"GET /api/v2/heartbeat": answer(200, `{"nanosecond heartbeat":1}`)}},
		{name: "chroma falls back to v1 on 404",
			check:  config.Check{Type: config.TypeChroma},
			routes: route{"GET /api/v1/heartbeat": answer(200, `{"nanosecond heartbeat":1}`)}},
		{name: "chroma is down when both heartbeats fail",
			check:   config.Check{Type: config.TypeChroma},
			routes:  route{"GET /api/v1/heartbeat": answer(500, ``)},
			wantErr: "/api/v1/heartbeat: status 500"},
		{name: "tei health",
			check:  config.Check{Type: config.TypeTEI},
			routes: route{"GET /health": answer(200, ``)}},
		{name: "http accepts any 2xx by default and sends extra headers",
			check:  config.Check{Type: config.TypeHTTP, Path: "/ping"},
			sec:    config.CheckSecrets{Headers: [][2]string{{"X-Api-Key", "hk"}}},
			routes: route{"GET /ping": answer(204, ``)},
			verify: func(t *testing.T, r *http.Request) { assert.Equal(t, "hk", r.Header.Get("X-Api-Key")) }},
		{name: "http with expectedStatus accepts a listed code",
			check:  config.Check{Type: config.TypeHTTP, Path: "/login", ExpectedStatus: []int{302}},
			routes: route{"GET /login": func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/elsewhere", http.StatusFound) }}},
		{name: "http with expectedStatus refuses other codes",
			check:   config.Check{Type: config.TypeHTTP, Path: "/x", ExpectedStatus: []int{200}},
			routes:  route{"GET /x": answer(201, ``)},
			wantErr: "status 201, want one of [200]"},
		{name: "generate with openai asks for one token",
			check:  config.Check{Type: config.TypeGenerate, Provider: "openai", Model: "gpt-4o-mini"},
			sec:    config.CheckSecrets{APIKey: "sk"},
			routes: route{"POST /v1/chat/completions": answer(200, `{"choices":[]}`)},
			verify: func(t *testing.T, r *http.Request) {
				var body map[string]any
				require.NoError(t, json.NewDecoder(r.Body).Decode(&body))
				assert.EqualValues(t, 1, body["max_tokens"])
				assert.Equal(t, "gpt-4o-mini", body["model"])
				assert.Equal(t, "Bearer sk", r.Header.Get("Authorization"))
			}},
		{name: "generate with ollama asks for one token without streaming",
			check:  config.Check{Type: config.TypeGenerate, Provider: "ollama", Model: "llama3"},
			routes: route{"POST /api/generate": answer(200, `{"response":"p","done":true}`)},
			verify: func(t *testing.T, r *http.Request) {
				var body struct {
					Model   string         `json:"model"`
					Stream  *bool          `json:"stream"`
					Options map[string]any `json:"options"`
				}
				require.NoError(t, json.NewDecoder(r.Body).Decode(&body))
				require.NotNil(t, body.Stream)
				assert.False(t, *body.Stream)
				assert.EqualValues(t, 1, body.Options["num_predict"])
			}},
		{name: "generate is down when the model errors",
			check:   config.Check{Type: config.TypeGenerate, Provider: "ollama", Model: "llama3"},
			routes:  route{"POST /api/generate": answer(404, `{"error":"model not found"}`)},
			wantErr: "POST /api/generate: status 404"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv, seen := newDouble(t, tc.routes)
			tc.check.URL = srv.URL
			if tc.check.Type == config.TypeOpenAI || tc.check.Type == config.TypeGenerate && tc.check.Provider == "openai" {
				tc.check.URL = srv.URL + "/v1/" // trailing slash is tolerated
			}
			err := probe(t, tc.check, tc.sec)
			if tc.wantErr == "" {
				require.NoError(t, err)
			} else {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.wantErr)
			}
			if tc.verify != nil {
				select {
				case r := <-seen:
					tc.verify(t, r)
				case <-time.After(5 * time.Second):
					t.Fatal("the double saw no request")
				}
			}
		})
	}
}

func TestHTTPCheckHonoursItsTimeout(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { close(release); srv.Close() })
	p, err := New(config.Check{Type: config.TypeTEI, URL: srv.URL}, config.CheckSecrets{}, &http.Client{})
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err = p.Probe(ctx)
	require.Error(t, err)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.NotContains(t, err.Error(), srv.URL, "errors name the path, not the whole URL")
}

func TestTCPCheck(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	open := ln.Addr().String()
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	closedAddr := closed.Addr().String()
	closed.Close()
	t.Cleanup(func() { ln.Close() })

	t.Run("a listening port is up", func(t *testing.T) {
		t.Parallel()
		assert.NoError(t, probe(t, config.Check{Type: config.TypeTCP, Address: open}, config.CheckSecrets{}))
	})
	t.Run("a closed port is down", func(t *testing.T) {
		t.Parallel()
		err := probe(t, config.Check{Type: config.TypeTCP, Address: closedAddr}, config.CheckSecrets{})
		require.Error(t, err)
		assert.Contains(t, err.Error(), "connect "+closedAddr)
	})
}

func TestDiskCheck(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	require.NoError(t, os.WriteFile(file, nil, 0o600))
	readOnly := filepath.Join(dir, "ro")
	require.NoError(t, os.Mkdir(readOnly, 0o500))
	// The full-disk case probes a directory of its own: parallel cases must not see each
	// other's probe files.
	full := filepath.Join(dir, "full")
	require.NoError(t, os.Mkdir(full, 0o700))

	cases := []struct {
		name, path string
		minFree    uint64
		wantErr    string
	}{
		{"a writable directory with space is up", dir, 1, ""},
		{"a missing directory is down", filepath.Join(dir, "absent"), 0, "stat"},
		{"a file is not a directory", file, 0, "not a directory"},
		{"too little free space is down", full, 1 << 62, "bytes free, want at least"},
	}
	if os.Geteuid() != 0 { // root writes anywhere
		cases = append(cases, struct {
			name, path string
			minFree    uint64
			wantErr    string
		}{"a read-only directory is down", readOnly, 0, "not writable"})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := probe(t, config.Check{Type: config.TypeDisk, Path: tc.path, MinFreeBytes: tc.minFree}, config.CheckSecrets{})
			if tc.wantErr == "" {
				require.NoError(t, err)
				entries, rerr := os.ReadDir(tc.path)
				require.NoError(t, rerr)
				for _, e := range entries {
					assert.NotContains(t, e.Name(), ".kotaemon-health-", "the probe file is removed")
				}
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.wantErr)
		})
	}
}

// A dependency that answers 200 and then never sends the body it announced is down, at
// the check's timeout, with the reason; a 101 is no answer at once.
func TestAHostileDependencyIsDownWithTheReason(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/models" { // the openai check's route: 101, then silence
			c, bw, err := http.NewResponseController(w).Hijack()
			if err != nil {
				return
			}
			defer c.Close()
			_, _ = bw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\nConnection: Upgrade\r\n\r\n")
			_ = bw.Flush()
			<-release
			return
		}
		w.Header().Set("Content-Length", "100")
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, "partial")
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { close(release); srv.Close() })

	tei, err := New(config.Check{Type: config.TypeTEI, URL: srv.URL}, config.CheckSecrets{}, NewClient())
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	err = tei.Probe(ctx)
	require.Error(t, err, "a body that never arrives is no answer")
	assert.Contains(t, err.Error(), "reading the answer's body")

	openai, err := New(config.Check{Type: config.TypeOpenAI, URL: srv.URL + "/v1"}, config.CheckSecrets{}, NewClient())
	require.NoError(t, err)
	ctx2, cancel2 := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel2()
	begin := time.Now()
	err = openai.Probe(ctx2)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "switched protocols")
	assert.Less(t, time.Since(begin), time.Second)
}
