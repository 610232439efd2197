package server

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// maxConns bounds the health port's open connections, and so the memory and the probes
// in flight (one request at a time per HTTP/1.1 connection): about 20 KiB each, 2.5 MiB
// at the cap, far below the agent's memory limit. The kubelet opens a fresh connection
// per probe and needs a handful.
const maxConns = 128

// connLimit keeps at most max connections open. A connection over the limit makes room
// by closing the one that has waited longest without a request in progress (a kept-alive
// connection between requests, or one that has not sent its request yet): an idle flood
// cannot lock the kubelet out. Only when every connection is busy is the newcomer turned
// away: answered 503 at once, unless its request is a priority one (the liveness probe,
// whose failure would restart the container), which is served all the same.
type connLimit struct {
	max      int
	shed     func(how string) // metrics: "evicted" or "refused"
	refusing chan struct{}    // bounds the refusals being answered at once
	priority func(*http.Request) bool
	handler  http.Handler
	mu       sync.Mutex
	conns    map[net.Conn]connInfo
}

// maxRefusing bounds the goroutines answering turned-away connections (a liveness probe
// among them waits on the app for at most its timeout).
const maxRefusing = 128

// maxHeaderBytes bounds a request's header, served or refused.
const maxHeaderBytes = 8 << 10

type connInfo struct {
	busy  bool
	since time.Time
}

func newConnLimit(max int, shed func(string), handler http.Handler, priority func(*http.Request) bool) *connLimit {
	return &connLimit{max: max, shed: shed, refusing: make(chan struct{}, maxRefusing),
		handler: handler, priority: priority, conns: map[net.Conn]connInfo{}}
}

// track is the http.Server's ConnState hook.
func (l *connLimit) track(c net.Conn, s http.ConnState) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch s {
	case http.StateNew, http.StateIdle:
		l.conns[c] = connInfo{since: time.Now()}
	case http.StateActive:
		l.conns[c] = connInfo{busy: true, since: time.Now()}
	case http.StateClosed, http.StateHijacked:
		delete(l.conns, c)
	}
}

// admit decides about a newly accepted connection: true to serve it (after evicting
// the longest-waiting idle one if the limit is reached), false when it was refused.
func (l *connLimit) admit(c net.Conn) bool {
	l.mu.Lock()
	if len(l.conns) < l.max {
		l.mu.Unlock()
		return true
	}
	var victim net.Conn
	var oldest time.Time
	for vc, info := range l.conns {
		if !info.busy && (victim == nil || info.since.Before(oldest)) {
			victim, oldest = vc, info.since
		}
	}
	delete(l.conns, victim) // counted out now, its StateClosed follows (no-op when nil)
	l.mu.Unlock()
	if victim != nil {
		_ = victim.Close()
		l.shed("evicted")
		return true
	}
	// Every connection is busy: turn this one away (served if it is a priority request).
	select {
	case l.refusing <- struct{}{}:
		go func() {
			defer func() { <-l.refusing }()
			l.turnAway(c)
		}()
	default: // even the refusals are at their limit: close without a word
		l.shed("refused")
		_ = c.Close()
	}
	return false
}

// turnAway reads the request (an HTTP client does not take an answer to a request it has
// not finished sending); a priority request is served, any other answered 503; the
// connection is closed after one answer.
func (l *connLimit) turnAway(c net.Conn) {
	defer c.Close()
	_ = c.SetReadDeadline(time.Now().Add(time.Second))
	req, err := http.ReadRequest(bufio.NewReader(io.LimitReader(c, maxHeaderBytes)))
	if err != nil {
		l.shed("refused")
		return
	}
	if l.priority(req) {
		l.shed("served-over-limit")
		req.RemoteAddr = c.RemoteAddr().String()
		w := &oneShot{header: http.Header{}}
		l.handler.ServeHTTP(w, req)
		_ = c.SetWriteDeadline(time.Now().Add(time.Second))
		_ = w.writeTo(c)
		return
	}
	l.shed("refused")
	_ = c.SetWriteDeadline(time.Now().Add(time.Second))
	_, _ = io.WriteString(c, "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n")
}

// oneShot collects one answer of a handler so it can be written on a connection the
// http.Server does not own.
type oneShot struct {
	header http.Header
	code   int
	body   []byte
}

func (o *oneShot) Header() http.Header { return o.header }

func (o *oneShot) WriteHeader(code int) {
	if o.code == 0 {
		o.code = code
	}
}

func (o *oneShot) Write(p []byte) (int, error) {
	o.WriteHeader(http.StatusOK)
	o.body = append(o.body, p...)
	return len(p), nil
}

func (o *oneShot) writeTo(w io.Writer) error {
	o.WriteHeader(http.StatusOK)
	o.header.Set("Content-Length", strconv.Itoa(len(o.body)))
	o.header.Set("Connection", "close")
	if _, err := fmt.Fprintf(w, "HTTP/1.1 %d %s\r\n", o.code, http.StatusText(o.code)); err != nil {
		return err
	}
	if err := o.header.Write(w); err != nil {
		return err
	}
	if _, err := io.WriteString(w, "\r\n"); err != nil {
		return err
	}
	_, err := w.Write(o.body)
	return err
}

// limitedListener hands the server only the connections the limit admits.
type limitedListener struct {
	net.Listener
	limit *connLimit
}

func (l limitedListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if l.limit.admit(c) {
			return c, nil
		}
	}
}
