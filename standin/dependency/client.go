package dependency

// The deploy suite and the unit tests build control URLs and decode State in one place,
// so a renamed parameter breaks the build instead of a cluster run.

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"kotaemon-k8s/standin/control"
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

// ControlClient talks to one stand-in's control port, e.g. through the API server's pod
// proxy: State, and SetMode.
type ControlClient struct{ control.Client[State] }

// NewControlClient is a client of the control server at baseURL (e.g.
// http://127.0.0.1:9090); hc nil means http.DefaultClient (bound calls with ctx).
func NewControlClient(baseURL string, hc *http.Client) ControlClient {
	return ControlClient{control.Client[State]{BaseURL: baseURL, HTTP: hc}}
}

// SetMode posts a mode and returns the state after it.
func (c ControlClient) SetMode(ctx context.Context, mode Mode, period time.Duration) (State, error) {
	return c.Do(ctx, http.MethodPost, ModePath(mode, period))
}
