package cli

// The end-to-end tests run this test binary as the agent (KH_CLI_AGENT=1 makes it call
// Main) and as a Kotaemon double (KH_CLI_APP=addr serves the app's routes there).

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == "app-double" {
		os.Exit(appDouble(os.Getenv("KH_CLI_APP")))
	}
	if os.Getenv("KH_CLI_AGENT") == "1" {
		os.Exit(Main(os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// appDouble answers Kotaemon's live and ready routes until SIGTERM, then exits 0.
func appDouble(addr string) int {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /startup-events", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "false") })
	mux.HandleFunc("GET /app_id", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, `{"app_id":7}`) })
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return 5
	}
	go func() { _ = http.Serve(ln, mux) }()
	<-sigs
	return 0
}

func run(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := Main(args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestVersionAndUsage(t *testing.T) {
	t.Parallel()
	code, out, _ := run("version")
	assert.Equal(t, 0, code)
	assert.True(t, strings.HasPrefix(out, "kotaemon-health dev "), out)

	code, _, errs := run()
	assert.Equal(t, 2, code)
	assert.Contains(t, errs, "usage:")
	code, _, errs = run("restart")
	assert.Equal(t, 2, code)
	assert.Contains(t, errs, `unknown command "restart"`)
	code, _, errs = run("supervise", "--config", "/x")
	assert.Equal(t, 2, code)
	assert.Contains(t, errs, "a command is required")
	code, _, _ = run("serve", "--config", "/x", "extra")
	assert.Equal(t, 2, code)
}

func TestInstallCopiesTheBinaryExecutable(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "bin")
	code, out, errs := run("install", dir)
	require.Equal(t, 0, code, errs)
	assert.Contains(t, out, filepath.Join(dir, BinaryName))
	fi, err := os.Stat(filepath.Join(dir, BinaryName))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o755), fi.Mode().Perm())
	self, err := os.Executable()
	require.NoError(t, err)
	si, err := os.Stat(self)
	require.NoError(t, err)
	assert.Equal(t, si.Size(), fi.Size())
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, entries, 1, "no temp file left behind")

	code, _, _ = run("install")
	assert.Equal(t, 2, code)
}

// A check that is refused at first (a network policy engine that has not seen the new
// client pod yet) succeeds within --retry-for, and says on which attempt; without
// --retry-for it fails at once; a usage error is never retried.
func TestCheckRetriesForAWhileWhenAsked(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) < 3 {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	t.Cleanup(srv.Close)
	code, out, _ := run("check", "--retry-for", "5s", "--retry-every", "10ms", srv.URL)
	assert.Equal(t, 0, code, out)
	assert.Contains(t, out, "(attempt 3)")
	assert.Equal(t, 1, strings.Count(out, "\n"), "exactly one line")

	calls.Store(0)
	code, out, _ = run("check", srv.URL)
	assert.Equal(t, 1, code, out)
	assert.Equal(t, int32(1), calls.Load(), "one attempt without --retry-for")

	code, _, _ = run("check", "--retry-for", "5s", "localhost:8000")
	assert.Equal(t, 2, code, "a usage error is not retried")
	code, _, _ = run("check", "--retry-every", "0s", srv.URL)
	assert.Equal(t, 2, code, "--retry-every must be positive")
}

func TestCheckCommand(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/ok":
			if r.Header.Get("X-Token") != "abc" {
				w.WriteHeader(http.StatusForbidden)
			}
		case "/hang":
			select {
			case <-release:
			case <-r.Context().Done():
			}
		case "/upgrade":
			// A 101 hands the connection over; the raw connection then stays silent.
			c, bw, err := http.NewResponseController(w).Hijack()
			if err != nil {
				return
			}
			defer c.Close()
			_, _ = bw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\nConnection: Upgrade\r\n\r\n")
			_ = bw.Flush()
			select {
			case <-release:
			case <-time.After(10 * time.Second):
			}
		default:
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	t.Cleanup(func() { close(release); srv.Close() })
	cases := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  string
	}{
		{"2xx with the header exits 0", []string{"--header", "X-Token: abc", srv.URL + "/ok"}, 0, "OK " + srv.URL + "/ok: 200 OK"},
		{"missing header gets 403, exits 1", []string{srv.URL + "/ok"}, 1, "FAIL " + srv.URL + "/ok: 403 Forbidden"},
		{"503 exits 1", []string{srv.URL + "/health/ready"}, 1, "503 Service Unavailable"},
		{"timeout exits 1", []string{"--timeout", "50ms", srv.URL + "/hang"}, 1, "deadline exceeded"},
		{"a 101 is no answer, at once", []string{"--timeout", "1s", srv.URL + "/upgrade"}, 1, "switched protocols"},
		{"not a URL exits 2", []string{"localhost:8000"}, 2, "not an http(s) URL"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, out, _ := run(append([]string{"check"}, tc.args...)...)
			assert.Equal(t, tc.wantCode, code)
			assert.Contains(t, out, tc.wantOut)
			assert.Equal(t, 1, strings.Count(out, "\n"), "exactly one line")
		})
	}
}

func TestBadConfigIsRefusedAtStartNamingTheField(t *testing.T) {
	t.Parallel()
	p := filepath.Join(t.TempDir(), "config.yaml")
	require.NoError(t, os.WriteFile(p, []byte("checks:\n  - name: a\n    type: tcp\n    interval: 1s\n    timeout: 2s\n    address: h:1\n"), 0o600))
	var errb bytes.Buffer
	code := Main([]string{"serve", "--config", p}, io.Discard, &errb)
	assert.Equal(t, 2, code)
	assert.Contains(t, errb.String(), `"msg":"configuration refused"`)
	assert.Contains(t, errb.String(), "checks[0].timeout: 2s must be shorter than interval 1s")

	marker := filepath.Join(t.TempDir(), "started")
	code = Main([]string{"supervise", "--config", p, "--", "touch", marker}, io.Discard, io.Discard)
	assert.Equal(t, 2, code)
	_, err := os.Stat(marker)
	assert.True(t, os.IsNotExist(err), "the child is never started with a refused config")
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func httpCode(url string) int {
	c := &http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

func awaitCode(t *testing.T, url string, want int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	got := 0
	for time.Now().Before(deadline) {
		if got = httpCode(url); got == want {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s answered %d, want %d before the deadline", url, got, want)
}

// The whole agent as the container would run it: supervise a child app, become ready,
// then on SIGTERM fail readiness, stop the child and exit with its code.
func TestSuperviseEndToEnd(t *testing.T) {
	t.Parallel()
	self, err := os.Executable()
	require.NoError(t, err)
	appAddr, agentAddr := freeAddr(t), freeAddr(t)
	cfgPath := filepath.Join(t.TempDir(), "config.yaml")
	cfg := fmt.Sprintf("listen: %q\napp:\n  url: http://%s\nshutdown:\n  drainDelay: 300ms\n  stopTimeout: 5s\n", agentAddr, appAddr)
	require.NoError(t, os.WriteFile(cfgPath, []byte(cfg), 0o600))

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, self, "supervise", "--config", cfgPath, "--", self, "app-double")
	cmd.Env = append(os.Environ(), "KH_CLI_AGENT=1", "KH_CLI_APP="+appAddr, "GORACE=atexit_sleep_ms=0")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill() })

	ready := "http://" + agentAddr + "/health/ready"
	awaitCode(t, ready, 200)
	assert.Equal(t, 200, httpCode("http://"+agentAddr+"/health/live"))

	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	awaitCode(t, ready, 503)
	err = cmd.Wait()
	assert.NoError(t, err, "the agent exits 0 because the app exited 0; log:\n%s", stderr.String())
	logs := stderr.String()
	assert.Contains(t, logs, `"to":"draining"`)
	assert.Contains(t, logs, `"exitCode":0`)
	var ee *exec.ExitError
	assert.False(t, errors.As(err, &ee))
}

// Sidecar mode: no child; live and ready follow the neighbouring app; SIGTERM makes
// readiness fail with "draining" for shutdown.drainDelay, then the agent exits 0.
func TestServeEndToEnd(t *testing.T) {
	t.Parallel()
	self, err := os.Executable()
	require.NoError(t, err)
	appAddr, agentAddr := freeAddr(t), freeAddr(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	startAppDouble(ctx, t, self, appAddr)

	cfgPath := filepath.Join(t.TempDir(), "config.yaml")
	cfg := fmt.Sprintf("listen: %q\napp:\n  url: http://%s\ndetails: public\nshutdown:\n  drainDelay: 2s\n", agentAddr, appAddr)
	require.NoError(t, os.WriteFile(cfgPath, []byte(cfg), 0o600))
	cmd := exec.CommandContext(ctx, self, "serve", "--config", cfgPath)
	cmd.Env = append(os.Environ(), "KH_CLI_AGENT=1", "GORACE=atexit_sleep_ms=0")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill() })

	base := "http://" + agentAddr
	awaitCode(t, base+"/health/ready", 200)
	assert.Equal(t, 200, httpCode(base+"/health/live"))

	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	awaitCode(t, base+"/health/ready", 503)
	resp, err := (&http.Client{Timeout: 2 * time.Second}).Get(base + "/health/ready")
	if err == nil { // still inside the drain delay
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		assert.Contains(t, string(body), `"status":"draining"`)
	}
	assert.NoError(t, cmd.Wait(), "log:\n%s", stderr.String())
}

// --companion takes a JSON array; anything else is refused naming the flag before any
// process starts.
func TestCompanionFlagIsAJSONArray(t *testing.T) {
	t.Parallel()
	for _, bad := range []string{"ollama serve", "[]", `[""]`, `{"a":1}`} {
		code, _, errs := run("supervise", "--config", "/x", "--companion", bad, "--", "true")
		assert.Equal(t, 2, code, bad)
		assert.Contains(t, errs, fmt.Sprintf("invalid value %q for flag -companion", bad), bad)
	}
	code, _, errs := run("serve", "--config", "/x", "--companion", `["ollama","serve"]`)
	assert.Equal(t, 2, code)
	assert.Contains(t, errs, "flag provided but not defined: -companion", "serve has no child, so no companion")
}

// The companion runs beside the app under the agent: started first, still running while
// the app drains, and its file is written before the agent exits.
func TestSuperviseStartsTheCompanion(t *testing.T) {
	t.Parallel()
	appAddr, agentAddr := freeAddr(t), freeAddr(t)
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "config.yaml")
	cfg := fmt.Sprintf("listen: %q\napp:\n  url: http://%s\nshutdown:\n  drainDelay: 100ms\n  stopTimeout: 5s\n", agentAddr, appAddr)
	require.NoError(t, os.WriteFile(cfgPath, []byte(cfg), 0o600))
	marker := filepath.Join(dir, "companion-ran")
	companion, err := json.Marshal([]string{"touch", marker})
	require.NoError(t, err)
	self, err := os.Executable()
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, self, "supervise", "--config", cfgPath, "--companion", string(companion), "--", self, "app-double")
	cmd.Env = append(os.Environ(), "KH_CLI_AGENT=1", "KH_CLI_APP="+appAddr, "GORACE=atexit_sleep_ms=0")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Start())
	// touch exits at once: a companion that ends stops the app and fails the container.
	err = cmd.Wait()
	var ee *exec.ExitError
	require.ErrorAs(t, err, &ee, "log:\n%s", stderr.String())
	assert.Equal(t, 1, ee.ExitCode(), "a companion that ended with 0 still fails the container")
	_, statErr := os.Stat(marker)
	assert.NoError(t, statErr, "the companion ran")
	assert.Contains(t, stderr.String(), `"component":"companion"`)
	assert.Contains(t, stderr.String(), `"reason":"companion exited"`)
}

// startAppDouble runs this test binary as the app double on addr until the test ends.
func startAppDouble(ctx context.Context, t *testing.T, self, addr string) {
	t.Helper()
	app := exec.CommandContext(ctx, self, "app-double")
	app.Env = append(os.Environ(), "KH_CLI_APP="+addr, "GORACE=atexit_sleep_ms=0")
	require.NoError(t, app.Start())
	t.Cleanup(func() { _ = app.Process.Kill(); _ = app.Wait() })
}
