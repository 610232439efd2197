package flood

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// HostileAnswers are what hostile dependencies answer: a 101 then silence, a 10 MiB
// header, a 200 whose body never comes, and silence.
var HostileAnswers = []string{
	"HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\nConnection: Upgrade\r\n\r\n",
	"HTTP/1.1 200 OK\r\nX-Flood: " + strings.Repeat("x", 10<<20) + "\r\n\r\n",
	"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\npartial",
	"",
}

// Hostile serves each of HostileAnswers on its own loopback port, to every request,
// holding the connection a minute; stop closes the ports and their connections.
func Hostile() (urls []string, stop func(), err error) {
	var lns []net.Listener
	var mu sync.Mutex
	open := map[net.Conn]bool{}
	stopped := false
	var conns sync.WaitGroup
	stop = func() {
		for _, ln := range lns {
			ln.Close()
		}
		mu.Lock()
		stopped = true
		for c := range open {
			c.Close()
		}
		mu.Unlock()
		conns.Wait()
	}
	for _, answer := range HostileAnswers {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			stop()
			return nil, nil, err
		}
		lns = append(lns, ln)
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				mu.Lock()
				if stopped {
					mu.Unlock()
					c.Close()
					return
				}
				open[c] = true
				mu.Unlock()
				conns.Go(func() {
					defer func() { mu.Lock(); delete(open, c); mu.Unlock(); c.Close() }()
					_ = c.SetDeadline(time.Now().Add(time.Minute))
					_, _ = http.ReadRequest(bufio.NewReader(c))
					_, _ = io.WriteString(c, answer)
					_, _ = io.Copy(io.Discard, c)
				})
			}
		}()
		urls = append(urls, "http://"+ln.Addr().String())
	}
	return urls, stop, nil
}
