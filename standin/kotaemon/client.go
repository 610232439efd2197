package kotaemon

// The deploy suite and the unit tests build control URLs and decode State in one place,
// so a renamed parameter breaks the build instead of a cluster run.

import (
	"context"
	"net/http"
	"net/url"
	"strconv"

	"kotaemon-k8s/standin/control"
)

// FaultPath is the path and query of POST /fault; seconds is sent only with slow-start.
func FaultPath(kind Fault, seconds int) string {
	q := url.Values{"kind": {string(kind)}}
	if kind == FaultSlowStart {
		q.Set("seconds", strconv.Itoa(seconds))
	}
	return ControlFaultPath + "?" + q.Encode()
}

// WorkPath is the path and query of an app request that holds a worker for seconds.
func WorkPath(seconds int) string {
	return RouteWork + "?seconds=" + strconv.Itoa(seconds)
}

// HeartbeatPath is the path of an open browser tab's heartbeat stream for session.
func HeartbeatPath(session string) string {
	return RouteHeartbeat + session
}

// StreamPath is the path and query of a chat-like answer streamed for seconds.
func StreamPath(seconds int) string {
	return RouteStream + "?seconds=" + strconv.Itoa(seconds)
}

// StreamEnd is the last event of a streamed answer that was not cut.
const StreamEnd = "data: done"

// ControlClient talks to one stand-in's control port, e.g. through the API server's pod
// proxy: State, and SetFault.
type ControlClient struct{ control.Client[State] }

// NewControlClient is a client of the control server at baseURL (e.g.
// http://127.0.0.1:9090); hc nil means http.DefaultClient (bound calls with ctx).
func NewControlClient(baseURL string, hc *http.Client) ControlClient {
	return ControlClient{control.Client[State]{BaseURL: baseURL, HTTP: hc}}
}

// SetFault posts a fault and returns the state after it.
func (c ControlClient) SetFault(ctx context.Context, kind Fault, seconds int) (State, error) {
	return c.Do(ctx, http.MethodPost, FaultPath(kind, seconds))
}
