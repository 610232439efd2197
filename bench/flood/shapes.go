// Package flood attacks a health port the ways anyone who can reach it can, and measures
// what the kubelet's probes get meanwhile. It only ever addresses loopback. The flood
// bench (cmd/bench/agentbench -flood) runs it at full size, the agent's end-to-end tests
// with small counts.
package flood

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Size is how hard a flood pushes.
type Size struct {
	Conns      int // connections each shape holds open (a quarter each in the mix)
	ReopenRate int // connections the agent closed that a shape opens again per second, all together
	ChurnRate  int // silent connections the churn shape opens per second
}

// Shape is one attack: Attack runs until ctx ends.
type Shape struct {
	Name, What string
	Attack     func(ctx context.Context, addr string)
}

// Requests of the shapes.
const (
	liveRequest   = "GET /health/live HTTP/1.1\r\nHost: a\r\n\r\n"
	bodyRequest   = "GET /health/live HTTP/1.1\r\nHost: a\r\nContent-Length: 1000000\r\n\r\n"
	scrapeRequest = "GET /metrics HTTP/1.1\r\nHost: a\r\n\r\n"
	pipelined     = 1000 // requests each pipelining connection writes at once
)

// Shapes are the attacks at size s: idle, busy-by-body, pipelined-unread, churn, and
// their mix.
func Shapes(s Size) []Shape {
	idle := func(ctx context.Context, addr string, n int) { s.hold(ctx, addr, n, liveRequest, true) }
	body := func(ctx context.Context, addr string, n int) { s.hold(ctx, addr, n, bodyRequest, false) }
	unread := func(ctx context.Context, addr string, n int) {
		s.hold(ctx, addr, n, strings.Repeat(scrapeRequest, pipelined), false)
	}
	churn := func(ctx context.Context, addr string, n int) { churn(ctx, addr, s.ChurnRate, n) }
	all := func(a func(context.Context, string, int)) func(context.Context, string) {
		return func(ctx context.Context, addr string) { a(ctx, addr, s.Conns) }
	}
	return []Shape{
		{"idle", fmt.Sprintf("%d kept-alive idle connections", s.Conns), all(idle)},
		{"busy-by-body", fmt.Sprintf("%d connections announcing a body they never send", s.Conns), all(body)},
		{"pipelined-unread", fmt.Sprintf("%d connections pipelining %d scrapes each, never reading", s.Conns, pipelined), all(unread)},
		{"churn", fmt.Sprintf("%d silent connections opened per second, up to %d open", s.ChurnRate, s.Conns), all(churn)},
		{"mix", fmt.Sprintf("%d of each: idle, busy-by-body, pipelined-unread, churn", s.Conns/4), func(ctx context.Context, addr string) {
			var wg sync.WaitGroup
			for _, a := range []func(context.Context, string, int){idle, body, unread, churn} {
				wg.Go(func() { a(ctx, addr, s.Conns/4) })
			}
			wg.Wait()
		}},
	}
}

// hold keeps n connections open that each write send once, then read their answers if
// read, else nothing; a connection the agent closed is opened again, at most ReopenRate
// per second for the n together (a flood of held connections, not of connects).
func (s Size) hold(ctx context.Context, addr string, n int, send string, read bool) {
	reopen := time.NewTicker(time.Second / time.Duration(max(1, s.ReopenRate)))
	defer reopen.Stop()
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			for ctx.Err() == nil {
				holdOnce(ctx, addr, send, read)
				select {
				case <-ctx.Done():
				case <-reopen.C:
				}
			}
		})
	}
	wg.Wait()
}

func holdOnce(ctx context.Context, addr, send string, read bool) {
	c, err := (&net.Dialer{Timeout: 5 * time.Second}).DialContext(ctx, "tcp", addr)
	if err != nil {
		return
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	go func() { _, _ = io.WriteString(c, send) }() // a write the agent never reads blocks
	if read {
		if resp, err := http.ReadResponse(bufio.NewReader(c), nil); err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		_, _ = c.Read(make([]byte, 1)) // until the agent (or ctx) closes it
		return
	}
	<-waitClosed(c) // never read: until the agent closes the connection or ctx ends
}

// waitClosed is closed once the agent has closed c, noticed without reading what it
// sent: a newline (HTTP allows one between requests) is written every 250 ms, and a
// write fails once the agent's side is gone. The socket's receive buffer is small, so
// the agent's own writes soon block on answers nobody reads.
func waitClosed(c net.Conn) <-chan struct{} {
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetReadBuffer(4 << 10)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			time.Sleep(250 * time.Millisecond)
			if _, err := c.Write([]byte("\n")); err != nil {
				return
			}
		}
	}()
	return done
}

// churn opens rate silent connections per second, each held until the agent closes it,
// at most max open at once.
func churn(ctx context.Context, addr string, rate, max int) {
	sem := make(chan struct{}, max)
	tick := time.NewTicker(time.Second / time.Duration(rate))
	defer tick.Stop()
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		select {
		case sem <- struct{}{}:
		default:
			continue
		}
		wg.Go(func() {
			defer func() { <-sem }()
			c, err := (&net.Dialer{Timeout: 5 * time.Second}).DialContext(ctx, "tcp", addr)
			if err != nil {
				return
			}
			defer c.Close()
			stop := context.AfterFunc(ctx, func() { c.Close() })
			defer stop()
			_, _ = c.Read(make([]byte, 1)) // until the agent closes it
		})
	}
}
