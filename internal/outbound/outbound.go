// Package outbound bounds every call the agent makes to another server (the app's routes,
// the dependency checks, the `check` command) in size as its context bounds it in time:
// an answer's header is small, a 101 Switching Protocols hands the connection over
// instead of answering (its body would be the raw connection, out of the deadline's
// reach), and a body that fails or stalls before its end makes the call fail with the
// reason.
package outbound

import (
	"errors"
	"fmt"
	"io"
	"net/http"
)

// MaxHeaderBytes bounds an answer's header (net/http's default is 10 MiB).
const MaxHeaderBytes = 64 << 10

// Bound sets tr's bounds and returns it.
func Bound(tr *http.Transport) *http.Transport {
	tr.MaxResponseHeaderBytes = MaxHeaderBytes
	return tr
}

// ErrHandedOver is a 101 answer: the server switched protocols instead of answering.
var ErrHandedOver = errors.New("status 101: the server switched protocols instead of answering")

// Do sends req with c and returns an answer, never a 101 (closed, and ErrHandedOver).
// Interim answers (1xx but 101) are net/http's to skip.
func Do(c *http.Client, req *http.Request) (*http.Response, error) {
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode == http.StatusSwitchingProtocols {
		_ = resp.Body.Close()
		return nil, ErrHandedOver
	}
	return resp, nil
}

// Read reads at most limit bytes of the answer's body and closes it; the rest, if any,
// is dropped with the connection. A body that breaks off or stalls past the request's
// deadline is an error: the answer never arrived whole.
func Read(resp *http.Response, limit int64) ([]byte, error) {
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit))
	if err != nil {
		return data, fmt.Errorf("reading the answer's body: %w", err)
	}
	return data, nil
}
