package dependency

// The deploy suite and the unit tests build control URLs and decode State in one place,
// so a renamed parameter breaks the build instead of a cluster run.

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// ModePath is the path and query of POST /mode; period is sent only with flap, and only
// when positive (otherwise the current period is kept).
func ModePath(mode Mode, period time.Duration) string {
	q := url.Values{"state": {string(mode)}}
	if mode == ModeFlap && period > 0 {
		q.Set("period", period.String())
	}
	return ControlModePath + "?" + q.Encode()
}

// ControlClient talks to one stand-in's control port, e.g. through a port-forward.
type ControlClient struct {
	BaseURL string       // e.g. http://127.0.0.1:9090
	HTTP    *http.Client // nil means http.DefaultClient; bound calls with ctx
}

// State fetches GET /state.
func (c ControlClient) State(ctx context.Context) (State, error) {
	return c.do(ctx, http.MethodGet, ControlStatePath)
}

// SetMode posts a mode and returns the state after it.
func (c ControlClient) SetMode(ctx context.Context, mode Mode, period time.Duration) (State, error) {
	return c.do(ctx, http.MethodPost, ModePath(mode, period))
}

func (c ControlClient) do(ctx context.Context, method, path string) (State, error) {
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimSuffix(c.BaseURL, "/")+path, nil)
	if err != nil {
		return State{}, fmt.Errorf("build %s %s: %w", method, path, err)
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return State{}, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return State{}, fmt.Errorf("%s %s: status %d: %s", method, path, resp.StatusCode, strings.TrimSpace(string(body)))
	}
	var st State
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		return State{}, fmt.Errorf("decode state from %s %s: %w", method, path, err)
	}
	return st, nil
}
