// Package checks implements the typed dependency checks and the monitor that runs them
// in the background. Probe handlers only read the monitor's cached snapshot, so a probe
// costs O(1) and no dependency sees more calls when probes come faster.
package checks

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"syscall"
	"time"

	"kotaemon-k8s/internal/config"
	"kotaemon-k8s/internal/outbound"
)

// Prober runs one check; nil means up. It must honour ctx's deadline.
type Prober interface {
	Probe(ctx context.Context) error
}

// ProberFunc adapts a function to Prober.
type ProberFunc func(ctx context.Context) error

// Probe calls f.
func (f ProberFunc) Probe(ctx context.Context) error { return f(ctx) }

// maxBody bounds what a check reads from a dependency's answer.
const maxBody = 1 << 20

// New builds the prober for one configured check. client is shared by every HTTP check.
func New(c config.Check, sec config.CheckSecrets, client *http.Client) (Prober, error) {
	h := &httpBase{client: client, base: strings.TrimRight(c.URL, "/"), headers: sec.Headers}
	switch c.Type {
	case config.TypeOllama:
		return &ollama{h, c.Model}, nil
	case config.TypeOpenAI:
		h.bearer = sec.APIKey
		return &openAI{h, c.Model}, nil
	case config.TypeQdrant:
		if sec.APIKey != "" {
			h.headers = append(slices.Clone(h.headers), [2]string{"api-key", sec.APIKey})
		}
		return &simpleGet{h, "/readyz"}, nil
	case config.TypeElasticsearch:
		return &elasticsearch{h}, nil
	case config.TypeMilvus:
		return &simpleGet{h, "/healthz"}, nil
	case config.TypeChroma:
		return &chroma{h}, nil
	case config.TypeTEI:
		return &simpleGet{h, "/health"}, nil
	case config.TypeHTTP:
		return &httpCheck{h, c.Path, c.ExpectedStatus}, nil
	case config.TypeTCP:
		return &tcpCheck{c.Address}, nil
	case config.TypeDisk:
		return &diskCheck{c.Path, c.MinFreeBytes}, nil
	case config.TypeGenerate:
		h.bearer = sec.APIKey
		return &generate{h, c.Provider, c.Model}, nil
	}
	return nil, fmt.Errorf("unknown check type %q", c.Type)
}

type httpBase struct {
	client  *http.Client
	base    string
	bearer  string
	headers [][2]string
}

// do sends one request and returns the status and at most maxBody bytes of the body.
func (h *httpBase) do(ctx context.Context, method, path string, body any) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, h.base+path, rd)
	if err != nil {
		return 0, nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "kotaemon-health")
	if h.bearer != "" {
		req.Header.Set("Authorization", "Bearer "+h.bearer)
	}
	for _, kv := range h.headers {
		req.Header.Set(kv[0], kv[1])
	}
	resp, err := outbound.Do(h.client, req)
	if err != nil {
		return 0, nil, fmt.Errorf("%s %s: %w", method, path, unwrapURLError(err))
	}
	data, err := outbound.Read(resp, maxBody)
	if err != nil {
		return resp.StatusCode, nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	return resp.StatusCode, data, nil
}

// unwrapURLError drops the *url.Error wrapper, whose text repeats the full URL.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) && ue.Err != nil {
		return ue.Err
	}
	return err
}

func want2xx(method, path string, code int) error {
	if code < 200 || code > 299 {
		return fmt.Errorf("%s %s: status %d", method, path, code)
	}
	return nil
}

// get sends a GET and requires a 2xx status.
func (h *httpBase) get(ctx context.Context, path string) ([]byte, error) {
	code, body, err := h.do(ctx, http.MethodGet, path, nil)
	if err != nil {
		return nil, err
	}
	return body, want2xx(http.MethodGet, path, code)
}

type simpleGet struct {
	*httpBase
	path string
}

func (c *simpleGet) Probe(ctx context.Context) error {
	_, err := c.get(ctx, c.path)
	return err
}

type ollama struct {
	*httpBase
	model string
}

func (c *ollama) Probe(ctx context.Context) error {
	body, err := c.get(ctx, "/api/tags")
	if err != nil || c.model == "" {
		return err
	}
	var tags struct {
		Models []struct {
			Name  string `json:"name"`
			Model string `json:"model"`
		} `json:"models"`
	}
	if err := json.Unmarshal(body, &tags); err != nil {
		return fmt.Errorf("GET /api/tags: decoding: %w", err)
	}
	for _, m := range tags.Models {
		for _, n := range []string{m.Name, m.Model} {
			// Ollama adds ":latest" to untagged names.
			if n == c.model || n == c.model+":latest" {
				return nil
			}
		}
	}
	return fmt.Errorf("GET /api/tags: model %q not present (%d models)", c.model, len(tags.Models))
}

type openAI struct {
	*httpBase
	model string
}

func (c *openAI) Probe(ctx context.Context) error {
	body, err := c.get(ctx, "/models")
	if err != nil || c.model == "" {
		return err
	}
	var list struct {
		Data []struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &list); err != nil {
		return fmt.Errorf("GET /models: decoding: %w", err)
	}
	for _, m := range list.Data {
		if m.ID == c.model {
			return nil
		}
	}
	return fmt.Errorf("GET /models: model %q not present (%d models)", c.model, len(list.Data))
}

type elasticsearch struct{ *httpBase }

func (c *elasticsearch) Probe(ctx context.Context) error {
	body, err := c.get(ctx, "/_cluster/health")
	if err != nil {
		return err
	}
	var h struct {
		Status string `json:"status"`
	}
	if err := json.Unmarshal(body, &h); err != nil {
		return fmt.Errorf("GET /_cluster/health: decoding: %w", err)
	}
	switch h.Status {
	case "green", "yellow":
		return nil
	case "red":
		return errors.New("GET /_cluster/health: cluster status red")
	}
	return fmt.Errorf("GET /_cluster/health: unknown cluster status %q", h.Status)
}

type chroma struct{ *httpBase }

func (c *chroma) Probe(ctx context.Context) error {
	code, _, err := c.do(ctx, http.MethodGet, "/api/v2/heartbeat", nil)
	if err != nil {
		return err
	}
	if code == http.StatusNotFound { // servers before the v2 API
		_, err := c.get(ctx, "/api/v1/heartbeat")
		return err
	}
	return want2xx(http.MethodGet, "/api/v2/heartbeat", code)
}

type httpCheck struct {
	*httpBase
	path     string
	expected []int
}

func (c *httpCheck) Probe(ctx context.Context) error {
	code, _, err := c.do(ctx, http.MethodGet, c.path, nil)
	if err != nil {
		return err
	}
	if len(c.expected) == 0 {
		return want2xx(http.MethodGet, c.path, code)
	}
	if !slices.Contains(c.expected, code) {
		return fmt.Errorf("GET %s: status %d, want one of %v", c.path, code, c.expected)
	}
	return nil
}

type generate struct {
	*httpBase
	provider, model string
}

func (c *generate) Probe(ctx context.Context) error {
	var path string
	var body any
	if c.provider == "ollama" {
		path = "/api/generate"
		body = map[string]any{"model": c.model, "prompt": "ping", "stream": false,
			"options": map[string]any{"num_predict": 1}}
	} else {
		path = "/chat/completions"
		body = map[string]any{"model": c.model, "max_tokens": 1,
			"messages": []map[string]string{{"role": "user", "content": "ping"}}}
	}
	code, _, err := c.do(ctx, http.MethodPost, path, body)
	if err != nil {
		return err
	}
	return want2xx(http.MethodPost, path, code)
}

type tcpCheck struct{ address string }

func (c *tcpCheck) Probe(ctx context.Context) error {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", c.address)
	if err != nil {
		return fmt.Errorf("connect %s: %w", c.address, unwrapOpError(err))
	}
	return conn.Close()
}

func unwrapOpError(err error) error {
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Err != nil {
		return oe.Err
	}
	return err
}

type diskCheck struct {
	path    string
	minFree uint64
}

func (c *diskCheck) Probe(ctx context.Context) error {
	fi, err := os.Stat(c.path)
	if err != nil {
		return fmt.Errorf("stat: %w", err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("%s is not a directory", c.path)
	}
	f, err := os.CreateTemp(c.path, ".kotaemon-health-*")
	if err != nil {
		return fmt.Errorf("not writable: %w", err)
	}
	name := f.Name()
	_, werr := f.Write([]byte("ok"))
	cerr := f.Close()
	rerr := os.Remove(name)
	if err := errors.Join(werr, cerr, rerr); err != nil {
		return fmt.Errorf("not writable: %w", err)
	}
	free, err := freeBytes(c.path)
	if err != nil {
		return err
	}
	if err := enoughFree(free, c.minFree); err != nil {
		return err
	}
	return ctx.Err()
}

// freeBytes is the space an unprivileged writer may still use under path.
func freeBytes(path string) (uint64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(path, &st); err != nil {
		return 0, fmt.Errorf("statfs: %w", err)
	}
	return st.Bavail * uint64(st.Bsize), nil
}

// enoughFree passes when exactly minFree bytes are left: the threshold is a floor.
func enoughFree(free, minFree uint64) error {
	if free < minFree {
		return fmt.Errorf("%d bytes free, want at least %d", free, minFree)
	}
	return nil
}

// NewClient is the HTTP client the checks share. Redirects are not followed: a check
// judges the answer of the endpoint it names (an http check may expect a 302). Each
// request is bounded by its check's timeout through its context.
func NewClient() *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 2
	tr.IdleConnTimeout = 5 * time.Minute
	return &http.Client{Transport: outbound.Bound(tr), CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
}
