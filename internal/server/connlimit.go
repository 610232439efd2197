package server

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// maxConns bounds the health port's open connections, and so the memory and the probes
// in flight (one request at a time per HTTP/1.1 connection): about 20 KiB each, 2.5 MiB
// at the cap, far below the agent's memory limit. The kubelet opens a fresh connection
// per probe and needs a handful.
const maxConns = 128

// connLimit keeps at most max connections open. A connection over the limit makes room
// by closing, in this order: the kept-alive connection idle longest since its last
// answer (it has had its turn); the connection that has not sent its request in
// requestGrace (a probe's request follows its connect at once, a silent flood's never
// comes); the one whose answer has been stuck longest in a write its client does not
// read. A fresh connection is never closed before it had requestGrace to be heard, so no
// stream of reconnecting callers can cut the kubelet's probe between its connect and
// its request. Only when no connection may be closed is the newcomer turned away: a
// probe (GET or HEAD of the live or ready path) is served all the same, anything else
// is answered 503 at once.
type connLimit struct {
	max      int
	shed     func(how string) // metrics: "evicted", "refused", "served-over-limit"
	refusing chan struct{}    // bounds the refusals being answered at once
	priority func(*http.Request) bool
	handler  http.Handler
	mu       sync.Mutex
	conns    map[net.Conn]connInfo
}

// maxRefusing bounds the goroutines answering turned-away connections (a probe among
// them waits on the app for at most its timeout): each holds a small buffer, so the
// refusals of a flood cost at most about 5 MiB.
const maxRefusing = 512

// refusedHeaderWait is how long a turned-away connection may take to send its request:
// a probe's request is written at once, a flood's silent connection frees its slot soon.
const refusedHeaderWait = 250 * time.Millisecond

// maxRefusedHeaderBytes bounds what is read of a turned-away request: a probe's is a
// request line and a few headers.
const maxRefusedHeaderBytes = 1 << 10

// maxHeaderBytes bounds a request's header when served (a JWT fits).
const maxHeaderBytes = 8 << 10

// stallAfter: an answer whose write has not finished for this long waits on a client
// that does not read it (an answer is a few hundred bytes): its connection may be closed
// to make room.
const stallAfter = 100 * time.Millisecond

// requestGrace is how long a new connection has to send its request before it may be
// closed to make room; a turned-away connection has as long (a probe's request is
// written with its connect, and its kernel has it in the socket's buffer).
const requestGrace = refusedHeaderWait

type connInfo struct {
	busy   bool // a request is under way
	served bool // idle after an answer, kept alive; else idle since its connect
	since  time.Time
}

// trackedConn is an accepted connection that knows since when a write to it has been
// blocked (0: no write under way).
type trackedConn struct {
	net.Conn
	writingSince atomic.Int64 // unix nanoseconds
}

func (c *trackedConn) Write(p []byte) (int, error) {
	c.writingSince.Store(time.Now().UnixNano())
	defer c.writingSince.Store(0)
	return c.Conn.Write(p)
}

// stalledSince is when the write under way began, when it has lasted over stallAfter.
func stalledSince(c net.Conn, now time.Time) (time.Time, bool) {
	tc, ok := c.(*trackedConn)
	if !ok {
		return time.Time{}, false
	}
	ns := tc.writingSince.Load()
	if ns == 0 || now.Sub(time.Unix(0, ns)) < stallAfter {
		return time.Time{}, false
	}
	return time.Unix(0, ns), true
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
	case http.StateNew:
		l.conns[c] = connInfo{since: time.Now()}
	case http.StateIdle:
		l.conns[c] = connInfo{served: true, since: time.Now()}
	case http.StateActive:
		l.conns[c] = connInfo{busy: true, since: time.Now()}
	case http.StateClosed, http.StateHijacked:
		delete(l.conns, c)
	}
}

// admit decides about a newly accepted connection: true to serve it (after closing a
// waiting or stalled one if the limit is reached), false when it was turned away.
func (l *connLimit) admit(c net.Conn) bool {
	l.mu.Lock()
	if len(l.conns) < l.max {
		l.mu.Unlock()
		return true
	}
	victim := l.victimLocked(time.Now())
	delete(l.conns, victim) // counted out now, its StateClosed follows (no-op when nil)
	l.mu.Unlock()
	if victim != nil {
		_ = victim.Close()
		l.shed("evicted")
		return true
	}
	// Every connection is busy with a request that moves: turn this one away (served if
	// it is a probe).
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

// victimLocked is the connection to close for a newcomer (see connLimit), or nil.
func (l *connLimit) victimLocked(now time.Time) net.Conn {
	var kept, silent, stalled candidate
	for c, info := range l.conns {
		switch {
		case !info.busy && info.served:
			kept.consider(c, info.since)
		case !info.busy:
			if now.Sub(info.since) >= requestGrace {
				silent.consider(c, info.since)
			}
		default:
			if since, ok := stalledSince(c, now); ok {
				stalled.consider(c, since)
			}
		}
	}
	for _, v := range []candidate{kept, silent, stalled} {
		if v.conn != nil {
			return v.conn
		}
	}
	return nil
}

// candidate is the connection waiting longest of one kind.
type candidate struct {
	conn  net.Conn
	since time.Time
}

func (v *candidate) consider(c net.Conn, since time.Time) {
	if v.conn == nil || since.Before(v.since) {
		v.conn, v.since = c, since
	}
}

// turnAway reads the request (an HTTP client does not take an answer to a request it has
// not finished sending); a priority request is served, any other answered 503; the
// connection is closed after one answer.
func (l *connLimit) turnAway(c net.Conn) {
	defer c.Close()
	_ = c.SetReadDeadline(time.Now().Add(refusedHeaderWait))
	req, err := http.ReadRequest(bufio.NewReaderSize(io.LimitReader(c, maxRefusedHeaderBytes), maxRefusedHeaderBytes))
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
		tc := &trackedConn{Conn: c}
		if l.limit.admit(tc) {
			return tc, nil
		}
	}
}
