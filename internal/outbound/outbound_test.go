package outbound

import (
	"bufio"
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// hostile serves raw answers: write is what the connection gets after the request, then
// it is held open until the test ends.
func hostile(t *testing.T, write string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	done := make(chan struct{})
	t.Cleanup(func() { close(done); ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_, _ = http.ReadRequest(bufio.NewReader(c))
				_, _ = c.Write([]byte(write))
				<-done
			}()
		}
	}()
	return "http://" + ln.Addr().String()
}

func client() *http.Client {
	return &http.Client{Transport: Bound(http.DefaultTransport.(*http.Transport).Clone())}
}

func get(t *testing.T, url string, timeout time.Duration) (*http.Response, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	t.Cleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	require.NoError(t, err)
	return Do(client(), req)
}

// A 101 hands the connection over: no answer, at once, and nothing left open.
func TestA101IsNoAnswer(t *testing.T) {
	t.Parallel()
	url := hostile(t, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\nConnection: Upgrade\r\n\r\n")
	begin := time.Now()
	_, err := get(t, url, 5*time.Second)
	assert.ErrorIs(t, err, ErrHandedOver)
	assert.Less(t, time.Since(begin), time.Second)
}

// A header past MaxHeaderBytes is refused instead of read into memory.
func TestAHugeHeaderIsRefused(t *testing.T) {
	t.Parallel()
	url := hostile(t, "HTTP/1.1 200 OK\r\nX-Flood: "+strings.Repeat("x", 2*MaxHeaderBytes)+"\r\nContent-Length: 0\r\n\r\n")
	_, err := get(t, url, 5*time.Second)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "header")
}

// A 200 whose body never comes is no answer: reading it fails at the request's deadline,
// with the reason.
func TestABodyThatStallsIsAFailure(t *testing.T) {
	t.Parallel()
	url := hostile(t, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this")
	resp, err := get(t, url, 300*time.Millisecond)
	require.NoError(t, err)
	begin := time.Now()
	_, err = Read(resp, 1<<10)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "reading the answer's body")
	assert.Less(t, time.Since(begin), 2*time.Second)
}

// A whole answer is read up to the limit.
func TestAWholeAnswerIsRead(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("0123456789")) }))
	t.Cleanup(srv.Close)
	resp, err := get(t, srv.URL, 5*time.Second)
	require.NoError(t, err)
	data, err := Read(resp, 4)
	require.NoError(t, err)
	assert.Equal(t, "0123", string(data), "bounded by the limit; the rest is dropped")
}
