package server

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"kotaemon-k8s/internal/outbound"
)

// appClient asks the app's routes with net/http: interim (1xx) answers, chunked bodies
// and connections the app closes are the standard library's business, not ours. The
// transport keeps a few loopback connections alive and never opens more than
// maxAppConns at once, whatever the probe rate (probes of one route also share the
// request in flight: see askApp).
type appClient struct {
	base   string // the app's base URL, without a trailing '/'
	client *http.Client
}

const (
	// maxAppConns bounds the connections to the app: at most one request per route is in
	// flight (askApp), so two would do; a few more cover a caller with details.
	maxAppConns = 4
	// appConnMaxIdle is below uvicorn's keep-alive timeout (5 s), so the agent never
	// reuses a connection the app is about to close.
	appConnMaxIdle = 4 * time.Second
	// maxAppBody bounds what is read of an answer; the rest is dropped with the
	// connection.
	maxAppBody = 64 << 10
)

func newAppClient(rawURL string, client *http.Client) *appClient {
	if client == nil {
		client = NewAppClient()
	}
	return &appClient{base: strings.TrimRight(rawURL, "/"), client: client}
}

// A connect on loopback is immediate or refused; the probe's own timeout bounds the rest.
const (
	appDialTimeout = 5 * time.Second
	appKeepAlive   = 30 * time.Second
)

// NewAppClient is an HTTP client for the app on loopback: kept-alive connections (a
// bounded number), no proxy, no compression, no redirects followed (a redirect is an
// answer).
func NewAppClient() *http.Client {
	tr := &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: appDialTimeout, KeepAlive: appKeepAlive}).DialContext,
		MaxConnsPerHost:     maxAppConns,
		MaxIdleConns:        maxAppConns,
		MaxIdleConnsPerHost: maxAppConns,
		IdleConnTimeout:     appConnMaxIdle,
		DisableCompression:  true,
	}
	return &http.Client{Transport: outbound.Bound(tr), CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
}

// get sends GET path and returns the final status code once the body (bounded) has
// arrived: an answer whose body stalls or breaks off is no answer.
func (a *appClient) get(ctx context.Context, path string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, a.base+path, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("User-Agent", "kotaemon-health")
	resp, err := outbound.Do(a.client, req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return 0, err
	}
	if _, err := outbound.Read(resp, maxAppBody); err != nil {
		return 0, err
	}
	return resp.StatusCode, nil
}

func statusError(path string, code int) error {
	return errors.New("GET " + path + ": status " + strconv.Itoa(code))
}
