package main

import (
	"bufio"
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
	"sync/atomic"
	"syscall"
	"text/tabwriter"
	"time"

	"kotaemon-k8s/bench/loadgen"
)

// The flood: what an agent does when anyone on the pod network floods its port while
// the app hangs. idleConns connections each send one live probe and then stay open;
// meanwhile probes arrive at floodRate for floodFor, and a kubelet-like client sends one
// fresh-connection probe per second. Reported: resident memory, and whether the
// kubelet's probes were answered within their timeout.
const (
	idleConns      = 4000
	floodRate      = 1000
	floodFor       = 20 * time.Second
	kubeletTimeout = 5 * time.Second // the chart's default readiness timeoutSeconds
)

type floodResult struct {
	name                  string
	rssBefore, rssPeak    int64
	rssAfter              int64
	idleOpen              int // idle connections still open at the end
	kubeletSent, answered int // kubelet probes, and those answered within kubeletTimeout
	kubeletP50, kubeletMx time.Duration
	flood                 loadgen.Result
}

// runFlood measures each binary in turn under the same flood and prints one table.
func runFlood(bins map[string]string, tmp string) {
	raiseFileLimit()
	names := make([]string, 0, len(bins))
	for n := range bins {
		names = append(names, n)
	}
	slices.Sort(names)
	var results []floodResult
	for _, n := range names {
		results = append(results, floodOne(n, bins[n], tmp))
	}
	fmt.Printf("== flood: %d idle connections + %d probes/s for %s against a hung app, kubelet-like probe 1/s with a %s timeout\n",
		idleConns, floodRate, floodFor, kubeletTimeout)
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "agent\tRSS before MiB\tRSS peak MiB\tRSS after MiB\tidle conns kept\tkubelet answered in time\tkubelet p50\tkubelet max\tflood codes\tflood errors\t")
	for _, r := range results {
		fmt.Fprintf(tw, "%s\t%.1f\t%.1f\t%.1f\t%d\t%d/%d\t%s\t%s\t%v\t%d\t\n", r.name, mib(r.rssBefore), mib(r.rssPeak), mib(r.rssAfter),
			r.idleOpen, r.answered, r.kubeletSent, us(r.kubeletP50), us(r.kubeletMx), r.flood.Codes, r.flood.Errors)
	}
	tw.Flush()
	if len(results) == 2 {
		fmt.Printf("peak RSS ratio %s/%s: %.2f\n", results[1].name, results[0].name, float64(results[1].rssPeak)/float64(results[0].rssPeak))
	}
}

func floodOne(name, bin, tmp string) floodResult {
	release := make(chan struct{})
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select { // the hung app: nothing answers
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer app.Close()
	defer close(release)
	addr := freeAddr()
	cfg := fmt.Sprintf("listen: %q\napp:\n  url: %s\n  live: {path: /startup-events, timeout: 2500ms}\n  ready: {path: /app_id, timeout: 4500ms}\ndetails: none\nlog: {level: error}\n", addr, app.URL)
	path := filepath.Join(tmp, "flood-"+name+".yaml")
	check(os.WriteFile(path, []byte(cfg), 0o600))
	cmd := exec.Command(bin, "serve", "--config", path)
	cmd.Env = append(os.Environ(), agentEnv...)
	cmd.Stderr = os.Stderr
	check(cmd.Start())
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	waitPort(addr)
	time.Sleep(time.Second) // settle before the first reading
	r := floodResult{name: name}
	r.rssBefore, _ = loadgen.RSS(cmd.Process.Pid)
	stopRSS := sampleRSS(cmd.Process.Pid, &r.rssPeak)

	ctx, cancel := context.WithCancel(context.Background())
	var open atomic.Int64
	var idleWG sync.WaitGroup
	for range idleConns {
		idleWG.Add(1)
		go func() {
			defer idleWG.Done()
			holdIdle(ctx, addr, &open)
		}()
	}
	var kubelet []time.Duration
	var kubeletMu sync.Mutex
	kubeletDone := make(chan struct{})
	go func() {
		defer close(kubeletDone)
		c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: kubeletTimeout}
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			begin := time.Now()
			resp, err := c.Get("http://" + addr + "/health/live")
			took := time.Since(begin)
			if err == nil {
				resp.Body.Close()
			} else {
				took = -1 // no answer in time
			}
			kubeletMu.Lock()
			kubelet = append(kubelet, took)
			kubeletMu.Unlock()
		}
	}()
	r.flood = loadgen.Run(ctx, floodClient(), "http://"+addr+"/health/ready", floodRate, floodFor, 5000)
	r.idleOpen = int(open.Load())
	cancel()
	<-kubeletDone
	idleWG.Wait()
	stopRSS()
	time.Sleep(time.Second)
	r.rssAfter, _ = loadgen.RSS(cmd.Process.Pid)

	var answered []time.Duration
	for _, d := range kubelet {
		if d >= 0 {
			answered = append(answered, d)
		}
	}
	slices.Sort(answered)
	r.kubeletSent, r.answered = len(kubelet), len(answered)
	if len(answered) > 0 {
		r.kubeletP50, r.kubeletMx = answered[len(answered)/2], answered[len(answered)-1]
	}
	return r
}

// holdIdle opens a connection, sends one live probe, reads the answer and then keeps
// the connection open, counting it while it is.
func holdIdle(ctx context.Context, addr string, open *atomic.Int64) {
	c, err := (&net.Dialer{Timeout: 5 * time.Second}).DialContext(ctx, "tcp", addr)
	if err != nil {
		return
	}
	defer c.Close()
	context.AfterFunc(ctx, func() { c.Close() })
	open.Add(1)
	defer open.Add(-1)
	if _, err := io.WriteString(c, "GET /health/live HTTP/1.1\r\nHost: agent\r\n\r\n"); err != nil {
		return
	}
	br := bufio.NewReader(c)
	if resp, err := http.ReadResponse(br, nil); err == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	_, _ = br.ReadByte() // blocks until the agent (or ctx) closes the connection
}

// floodClient opens a connection per worker and keeps none idle.
func floodClient() *http.Client {
	return &http.Client{Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 5000, MaxIdleConns: 5000, DisableCompression: true}, Timeout: 10 * time.Second}
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
