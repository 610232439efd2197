package server

import (
	"bufio"
	"io"
	"net"
	"net/http"
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
// cannot lock the kubelet out. Only when every connection is busy is the newcomer
// answered 503 at once and closed.
type connLimit struct {
	max      int
	shed     func(how string) // metrics: "evicted" or "refused"
	refusing chan struct{}    // bounds the refusals being answered at once
	mu       sync.Mutex
	conns    map[net.Conn]connInfo
}

// maxRefusing bounds the goroutines answering refused connections.
const maxRefusing = 32

// maxHeaderBytes bounds a request's header, served or refused.
const maxHeaderBytes = 8 << 10

type connInfo struct {
	busy  bool
	since time.Time
}

func newConnLimit(max int, shed func(string)) *connLimit {
	return &connLimit{max: max, shed: shed, refusing: make(chan struct{}, maxRefusing), conns: map[net.Conn]connInfo{}}
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
	if victim != nil {
		delete(l.conns, victim) // counted out now; its StateClosed follows
	}
	l.mu.Unlock()
	if victim != nil {
		_ = victim.Close()
		l.shed("evicted")
		return true
	}
	l.shed("refused")
	select {
	case l.refusing <- struct{}{}:
		go func() {
			defer func() { <-l.refusing }()
			refuse(c)
		}()
	default: // even the refusals are at their limit: close without a word
		_ = c.Close()
	}
	return false
}

// refuse reads the request (an HTTP client does not take an answer to a request it has
// not finished sending), answers 503 and closes, all within a second.
func refuse(c net.Conn) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Second))
	if _, err := http.ReadRequest(bufio.NewReader(io.LimitReader(c, maxHeaderBytes))); err != nil {
		return
	}
	_, _ = io.WriteString(c, "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n")
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
