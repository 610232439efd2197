package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"

	"kotaemon-k8s/bench/flood"
	"kotaemon-k8s/bench/loadgen"
)

// The flood: what an agent does when anyone who can reach its port floods it while the
// app is healthy. Each shape (bench/flood) runs against a fresh agent for floodFor;
// meanwhile two kubelet-like clients send a liveness and a readiness probe every
// probeEvery, each on a fresh connection with a probeTimeout. Reported: the share of
// those probes answered truthfully (200: the app and its dependency are healthy) within
// the timeout, their p99, the agent's CPU and its peak resident memory (VmHWM).
const (
	floodFor     = 20 * time.Second
	probeEvery   = 100 * time.Millisecond
	probeTimeout = time.Second
)

// floodSize is the flood: 4,000 connections, churn above 400 per second
// (-reopen-rate changes how fast the shapes reconnect).
var floodSize = flood.Size{Conns: 4000, ReopenRate: 500, ChurnRate: 500}

// hostileMix is the mix with the agent's dependency checks on hostile servers.
const hostileMix = "mix+hostile"

type floodResult struct {
	shape, agent string
	live, ready  flood.Stats
	hwm          int64
	cpu          float64 // the agent's CPU time over the probes' time (1: one core)
}

// floodShapes are bench/flood's shapes, and the mix once more against hostile
// dependencies.
func floodShapes() []flood.Shape {
	shapes := flood.Shapes(floodSize)
	mix := shapes[len(shapes)-1]
	return append(shapes, flood.Shape{Name: hostileMix,
		What: "the mix, and four dependency checks on hostile servers (101, 10 MiB header, hung body, silent)", Attack: mix.Attack})
}

// runFlood runs every shape (or those named in only) against each binary in turn and
// prints one table.
func runFlood(bins map[string]string, tmp string, only []string) {
	raiseFileLimit()
	shapes := slices.DeleteFunc(floodShapes(), func(sh flood.Shape) bool {
		return len(only) > 0 && !slices.Contains(only, sh.Name)
	})
	names := slices.Sorted(func(yield func(string) bool) {
		for n := range bins {
			if !yield(n) {
				return
			}
		}
	})
	var results []floodResult
	for _, sh := range shapes {
		for _, n := range names {
			results = append(results, floodShape(sh, n, bins[n], tmp))
		}
	}
	fmt.Printf("== flood: each shape for %s against a healthy app, closed connections reopened at %d/s; kubelet-like liveness and readiness probes every %s each, fresh connection, %s timeout\n",
		floodFor, floodSize.ReopenRate, probeEvery, probeTimeout)
	for _, sh := range shapes {
		fmt.Printf("   %-16s %s\n", sh.Name, sh.What)
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "shape\tagent\tliveness 200 in time\tliveness p99\treadiness 200 in time\treadiness p99\tagent CPU\tVmHWM MiB\t")
	for _, r := range results {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%.0f%%\t%.1f\t\n", r.shape, r.agent, r.live.Percent(), msOrDash(r.live.P99),
			r.ready.Percent(), msOrDash(r.ready.P99), 100*r.cpu, mib(r.hwm))
	}
	tw.Flush()
	for _, r := range results {
		if r.live.OK < r.live.Sent || r.ready.OK < r.ready.Sent {
			fmt.Printf("   %s, %s: failed liveness: %s; failed readiness: %s\n", r.shape, r.agent, r.live.Failures(), r.ready.Failures())
		}
	}
}

// msOrDash is d in milliseconds, "-" when nothing was measured.
func msOrDash(d time.Duration) string {
	if d == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1fms", ms(d))
}

func floodShape(sh flood.Shape, name, bin, tmp string) floodResult {
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "true") }))
	defer app.Close()
	checks := "checks:\n  - {name: llm, type: http, url: \"" + app.URL + "\", interval: 1s, timeout: 500ms}\n"
	if sh.Name == hostileMix {
		urls, stop, err := flood.Hostile()
		check(err)
		defer stop()
		for i, url := range urls {
			checks += fmt.Sprintf("  - {name: hostile-%d, type: http, url: %q, critical: false, interval: 1s, timeout: 800ms}\n", i, url)
		}
	}
	addr := freeAddr()
	cfg := fmt.Sprintf("listen: %q\napp:\n  url: %s\n  live: {path: /startup-events, timeout: 800ms}\n  ready: {path: /app_id, timeout: 800ms}\ndetails: none\nlog: {level: error}\n%s",
		addr, app.URL, checks)
	path := filepath.Join(tmp, "flood-"+name+".yaml")
	check(os.WriteFile(path, []byte(cfg), 0o600))
	cmd := exec.Command(bin, "serve", "--config", path)
	cmd.Env = append(os.Environ(), agentEnv...)
	cmd.Stderr = os.Stderr
	check(cmd.Start())
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	waitPort(addr)
	time.Sleep(2 * time.Second) // the checks' first runs

	ctx, cancel := context.WithTimeout(context.Background(), floodFor)
	defer cancel()
	var attack sync.WaitGroup
	attack.Go(func() { sh.Attack(ctx, addr) })
	time.Sleep(2 * time.Second) // the attack builds up before the probes count
	cpu0, _ := loadgen.CPUTime(cmd.Process.Pid)
	began := time.Now()
	r := floodResult{shape: sh.Name, agent: name}
	var probes sync.WaitGroup
	probes.Go(func() { r.live = flood.Probes(ctx.Done(), addr, "/health/live", probeEvery, probeTimeout) })
	probes.Go(func() { r.ready = flood.Probes(ctx.Done(), addr, "/health/ready", probeEvery, probeTimeout) })
	probes.Wait()
	cpu1, _ := loadgen.CPUTime(cmd.Process.Pid)
	r.cpu = float64(cpu1-cpu0) / float64(time.Since(began))
	attack.Wait()
	r.hwm, _ = loadgen.HWM(cmd.Process.Pid)
	return r
}

func waitPort(addr string) {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	check(fmt.Errorf("agent not listening on %s", addr))
}

// raiseFileLimit lets this process (and the agents it starts) hold the flood's sockets:
// the soft limit up to the hard one.
func raiseFileLimit() {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return
	}
	lim.Cur = lim.Max
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		fmt.Fprintln(os.Stderr, "agentbench: cannot raise the file limit:", err)
	}
}
