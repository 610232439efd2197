// Package cli implements the agent's command line (docs/agent-config.md).
package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"kotaemon-k8s/internal/agent"
	"kotaemon-k8s/internal/config"
	"kotaemon-k8s/internal/outbound"
	"kotaemon-k8s/internal/version"
)

// DefaultConfigPath is where the chart mounts the config.
const DefaultConfigPath = "/etc/kotaemon-health/config.yaml"

// BinaryName is the file name install writes.
const BinaryName = "kotaemon-health"

const usage = `usage:
  kotaemon-health supervise --config FILE [--companion JSON]... -- CMD [ARGS...]
                                                             wrapper mode: run CMD as a child, serve health;
                                                             each --companion (a JSON array, e.g. ["ollama","serve"])
                                                             is started before CMD and stopped after it
  kotaemon-health serve --config FILE                        sidecar mode: serve health, no child
  kotaemon-health install DIR                                copy this binary to DIR/kotaemon-health
  kotaemon-health stop [--config FILE] [--pid N]             sidecar mode's preStop: drain delay, wait for the app's
                                                             answers in flight, then its stop signal
  kotaemon-health check [--timeout D] [--retry-for D] [--header K:V] URL   exit 0 on a 2xx answer
  kotaemon-health version
`

// Main runs one command line and returns the process exit code.
func Main(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "supervise":
		return runAgent(args[1:], true, stderr)
	case "serve":
		return runAgent(args[1:], false, stderr)
	case "install":
		return install(args[1:], stdout, stderr)
	case "check":
		return check(args[1:], stdout, stderr)
	case "stop":
		return stop(args[1:], stderr)
	case "version", "--version":
		fmt.Fprintf(stdout, "kotaemon-health %s %s %s/%s\n", version.Version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
		return 0
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "kotaemon-health: unknown command %q\n%s", args[0], usage)
	return 2
}

func runAgent(args []string, withChild bool, stderr io.Writer) int {
	name := "serve"
	if withChild {
		name = "supervise"
	}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", DefaultConfigPath, "config file")
	var companions companionFlag
	if withChild {
		fs.Var(&companions, "companion", `a process the app needs beside it, as a JSON array (["ollama","serve"]); repeatable`)
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	command := fs.Args()
	if withChild && len(command) == 0 {
		fmt.Fprintln(stderr, "kotaemon-health supervise: a command is required after --")
		return 2
	}
	if !withChild && len(command) > 0 {
		fmt.Fprintf(stderr, "kotaemon-health serve: unexpected arguments %q\n", command)
		return 2
	}
	cfg, err := config.Load(*path)
	if err != nil {
		agent.NewLogger("info", stderr).Error("configuration refused", "error", err.Error())
		return 2
	}
	log := agent.NewLogger(cfg.Log.Level, stderr)
	log.Info("starting", "mode", name, "version", version.Version, "listen", cfg.Listen, "checks", len(cfg.Checks))
	if withChild {
		return agent.Supervise(cfg, log, version.Version, command, companions...)
	}
	return agent.Serve(cfg, log, version.Version)
}

func install(args []string, stdout, stderr io.Writer) int {
	if len(args) != 1 || args[0] == "" {
		fmt.Fprintln(stderr, "usage: kotaemon-health install DIR")
		return 2
	}
	self, err := os.Executable()
	if err == nil {
		err = InstallFile(self, args[0])
	}
	if err != nil {
		fmt.Fprintf(stderr, "kotaemon-health install: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "installed %s\n", filepath.Join(args[0], BinaryName))
	return 0
}

// InstallFile copies src to dir/kotaemon-health with mode 0755, atomically (a temp
// file renamed into place), creating dir if needed.
func InstallFile(src, dir string) error {
	in, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("opening own binary: %w", err)
	}
	defer in.Close()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, "."+BinaryName+"-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	if _, err := io.Copy(tmp, in); err != nil {
		tmp.Close()
		return fmt.Errorf("copying: %w", err)
	}
	if err := tmp.Chmod(0o755); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), filepath.Join(dir, BinaryName))
}

type headerList [][2]string

func (h *headerList) String() string { return fmt.Sprint(*h) }

func (h *headerList) Set(v string) error {
	k, val, ok := strings.Cut(v, ":")
	if !ok || strings.TrimSpace(k) == "" {
		return errors.New("want NAME:VALUE")
	}
	*h = append(*h, [2]string{strings.TrimSpace(k), strings.TrimSpace(val)})
	return nil
}

func check(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	timeout := fs.Duration("timeout", 5*time.Second, "give up on one attempt after this long")
	retryFor := fs.Duration("retry-for", 0, "keep retrying a failed attempt for this long (0: one attempt)")
	retryEvery := fs.Duration("retry-every", time.Second, "pause between attempts")
	var headers headerList
	fs.Var(&headers, "header", "request header NAME:VALUE (repeatable)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() != 1 || *retryFor < 0 || *retryEvery <= 0 {
		fmt.Fprintln(stderr, "usage: kotaemon-health check [--timeout D] [--retry-for D] [--retry-every D] [--header K:V] URL")
		return 2
	}
	code, line := CheckUntil(fs.Arg(0), *timeout, *retryFor, *retryEvery, headers)
	fmt.Fprintln(stdout, line)
	return code
}

// CheckUntil runs Check until it succeeds or retryFor has passed, a pause apart: a client
// pod that has just started may be refused for a moment by a network policy engine that
// has not seen it yet. Usage errors are not retried. The line says how many attempts.
func CheckUntil(rawURL string, timeout, retryFor, pause time.Duration, headers [][2]string) (int, string) {
	deadline := time.Now().Add(retryFor)
	for attempt := 1; ; attempt++ {
		code, line := Check(rawURL, timeout, headers)
		if code != 1 || !time.Now().Add(pause).Before(deadline) {
			if attempt > 1 {
				line = fmt.Sprintf("%s (attempt %d)", line, attempt)
			}
			return code, line
		}
		time.Sleep(pause)
	}
}

// Check GETs rawURL and returns the exit code (0 on 2xx) and the one line to print.
func Check(rawURL string, timeout time.Duration, headers [][2]string) (int, string) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return 2, fmt.Sprintf("FAIL %s: not an http(s) URL", rawURL)
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return 2, fmt.Sprintf("FAIL %s: %v", rawURL, err)
	}
	req.Header.Set("User-Agent", "kotaemon-health")
	for _, h := range headers {
		req.Header.Set(h[0], h[1])
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	client := &http.Client{Transport: outbound.Bound(tr), CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := outbound.Do(client, req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return 1, fmt.Sprintf("FAIL %s: %v", rawURL, err)
	}
	if _, err := outbound.Read(resp, 64<<10); err != nil {
		return 1, fmt.Sprintf("FAIL %s: %s: %v", rawURL, resp.Status, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return 1, fmt.Sprintf("FAIL %s: %s", rawURL, resp.Status)
	}
	return 0, fmt.Sprintf("OK %s: %s", rawURL, resp.Status)
}

// companionFlag collects --companion values: each a JSON array of strings, so arguments
// with spaces survive the chart's rendering unchanged.
type companionFlag [][]string

func (c *companionFlag) String() string { return fmt.Sprint([][]string(*c)) }

func (c *companionFlag) Set(v string) error {
	var command []string
	if err := json.Unmarshal([]byte(v), &command); err != nil {
		return fmt.Errorf("want a JSON array of strings, e.g. [\"ollama\",\"serve\"]: %w", err)
	}
	if len(command) == 0 || command[0] == "" {
		return errors.New("want a command: the JSON array is empty or names no program")
	}
	*c = append(*c, command)
	return nil
}
