package server

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// appClient asks the app's routes over plain HTTP/1.1 on a few kept-alive loopback
// connections, reading the answer in the caller's goroutine. It avoids net/http's
// per-connection reader and writer goroutines, whose hand-offs dominate a probe's cost
// on a small, busy node. https app URLs go through net/http instead.
type appClient struct {
	addr     string
	hostHdr  string
	prefix   string       // the base URL's path (a reverse-proxy root path), without a trailing '/'
	fallback *http.Client // non-nil for https
	base     string

	mu   sync.Mutex
	idle []*appConn // most recently used last
}

type appConn struct {
	c        net.Conn
	br       *bufio.Reader
	lastUsed time.Time
}

const (
	maxIdleAppConns = 8
	// Below uvicorn's default keep-alive timeout (5s): an older connection may already
	// be closed by the app, so it is not reused.
	appConnMaxIdle = 4 * time.Second
	maxAppBody     = 64 << 10
)

func newAppClient(rawURL string, fallback *http.Client) *appClient {
	u, err := url.Parse(rawURL)
	a := &appClient{base: rawURL}
	if err != nil || u.Scheme != "http" || fallback != nil {
		if fallback == nil {
			fallback = NewAppClient()
		}
		a.fallback = fallback
		return a
	}
	a.hostHdr = u.Host
	a.prefix = strings.TrimRight(u.EscapedPath(), "/")
	a.addr = u.Host
	if u.Port() == "" {
		a.addr = net.JoinHostPort(u.Hostname(), "80")
	}
	return a
}

// get sends GET path and returns the status code; the body is read and dropped.
func (a *appClient) get(ctx context.Context, path string) (int, error) {
	if a.fallback != nil {
		return a.getStd(ctx, path)
	}
	req := "GET " + a.prefix + path + " HTTP/1.1\r\nHost: " + a.hostHdr + "\r\nUser-Agent: kotaemon-health\r\nAccept: */*\r\n\r\n"
	for attempt := 0; ; attempt++ {
		pc, reused, err := a.conn(ctx)
		if err != nil {
			return 0, err
		}
		code, keep, err := a.roundTrip(ctx, pc, req)
		if err == nil {
			if keep {
				a.put(pc)
			} else {
				pc.c.Close()
			}
			return code, nil
		}
		pc.c.Close()
		// A kept-alive connection the app closed meanwhile fails at once: GET is
		// idempotent, so try once more on a fresh connection.
		if !reused || attempt > 0 || ctx.Err() != nil {
			return 0, err
		}
	}
}

func (a *appClient) roundTrip(ctx context.Context, pc *appConn, req string) (code int, keep bool, err error) {
	if dl, ok := ctx.Deadline(); ok {
		_ = pc.c.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { _ = pc.c.SetDeadline(time.Unix(1, 0)) })
	defer func() {
		if !stop() { // the context ended: the connection's deadline is spent, drop it
			keep = false
		}
	}()
	if _, err := io.WriteString(pc.c, req); err != nil {
		return 0, false, err
	}
	resp, err := http.ReadResponse(pc.br, nil)
	if err != nil {
		return 0, false, err
	}
	n, err := io.CopyN(io.Discard, resp.Body, maxAppBody+1)
	resp.Body.Close()
	keep = !resp.Close && errors.Is(err, io.EOF) && n <= maxAppBody
	if err != nil && !errors.Is(err, io.EOF) {
		return 0, false, err
	}
	_ = pc.c.SetDeadline(time.Time{})
	return resp.StatusCode, keep, nil
}

// conn takes the most recent idle connection or dials a new one.
func (a *appClient) conn(ctx context.Context) (*appConn, bool, error) {
	now := time.Now()
	a.mu.Lock()
	for len(a.idle) > 0 {
		pc := a.idle[len(a.idle)-1]
		a.idle = a.idle[:len(a.idle)-1]
		if now.Sub(pc.lastUsed) < appConnMaxIdle {
			a.mu.Unlock()
			return pc, true, nil
		}
		pc.c.Close()
	}
	a.mu.Unlock()
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", a.addr)
	if err != nil {
		return nil, false, err
	}
	return &appConn{c: c, br: bufio.NewReaderSize(c, 4096)}, false, nil
}

func (a *appClient) put(pc *appConn) {
	pc.lastUsed = time.Now()
	a.mu.Lock()
	if len(a.idle) < maxIdleAppConns {
		a.idle = append(a.idle, pc)
		pc = nil
	}
	a.mu.Unlock()
	if pc != nil {
		pc.c.Close()
	}
}

func (a *appClient) getStd(ctx context.Context, path string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(a.base, "/")+path, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("User-Agent", "kotaemon-health")
	resp, err := a.fallback.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return 0, err
	}
	_, _ = io.CopyN(io.Discard, resp.Body, maxAppBody)
	resp.Body.Close()
	return resp.StatusCode, nil
}

func statusError(path string, code int) error {
	return errors.New("GET " + path + ": status " + strconv.Itoa(code))
}
