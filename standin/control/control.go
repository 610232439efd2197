// Package control is what the stand-ins share. Each has a control server beside the port
// it plays on, so a test can read its state and switch its behaviour while that port
// hangs or is closed; a typed client for it; flags that the environment can set (their
// containers have no shell); durations written as seconds or as Go durations; the
// serving, signal and exit plumbing of a process with two servers.
package control

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
)

// Paths every control server answers.
const (
	StatePath  = "/state"   // GET: the stand-in's state as JSON
	HealthPath = "/healthz" // GET: "ok" while the control server runs
)

// Mux answers GET StatePath with state() and GET HealthPath; the stand-in adds its
// switches to it.
func Mux(state func() any) *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+StatePath, func(w http.ResponseWriter, _ *http.Request) {
		WriteJSON(w, http.StatusOK, state())
	})
	mux.HandleFunc("GET "+HealthPath, func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("ok\n"))
	})
	return mux
}

// WriteJSON answers with v as JSON.
func WriteJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

// Client talks to one stand-in's control server (e.g. through the API server's pod
// proxy) and decodes its state as S.
type Client[S any] struct {
	BaseURL string       // e.g. http://127.0.0.1:9090
	HTTP    *http.Client // nil means http.DefaultClient; bound calls with ctx
}

// State fetches GET StatePath.
func (c Client[S]) State(ctx context.Context) (S, error) {
	return c.Do(ctx, http.MethodGet, StatePath)
}

// Do sends method to path (with its query) and decodes the state it answers.
func (c Client[S]) Do(ctx context.Context, method, path string) (S, error) {
	var st S
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimSuffix(c.BaseURL, "/")+path, nil)
	if err != nil {
		return st, fmt.Errorf("build %s %s: %w", method, path, err)
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return st, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return st, fmt.Errorf("%s %s: status %d: %s", method, path, resp.StatusCode, strings.TrimSpace(string(body)))
	}
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		return st, fmt.Errorf("decode state from %s %s: %w", method, path, err)
	}
	return st, nil
}

// Signals is the channel a stand-in stops on: injected (tests) or SIGTERM and SIGINT,
// and the function that stops listening.
func Signals(injected <-chan os.Signal) (<-chan os.Signal, func()) {
	if injected != nil {
		return injected, func() {}
	}
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, syscall.SIGTERM, os.Interrupt)
	return ch, func() { signal.Stop(ch) }
}

// Serve serves srv on ln and reports on errs why it stopped, unless it was closed.
func Serve(srv *http.Server, ln net.Listener, name string, errs chan<- error) {
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		errs <- fmt.Errorf("serve %s: %w", name, err)
	}
}

// ExitCode is a stand-in's exit code for how it ended.
func ExitCode(err error) int {
	if err == nil {
		return 0
	}
	return 1
}

// ErrString is err's text, "" for nil (a log field).
func ErrString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// Dialable is an address a client can dial: an all-addresses bind is reached on loopback.
func Dialable(a net.Addr) string {
	tcp, ok := a.(*net.TCPAddr)
	if !ok || !tcp.IP.IsUnspecified() {
		return a.String()
	}
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(tcp.Port))
}
