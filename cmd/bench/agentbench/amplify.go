package main

// Amplification, side by side in one run: calls each dependency receives while probes
// arrive at a fixed rate, for the agent (checks run in the background on their own
// interval; a probe reads the cached result) and for a pass-through design (every probe
// calls every dependency), each with its own doubles.

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"sync"
	"text/tabwriter"
	"time"

	"kotaemon-k8s/bench/loadgen"
	"kotaemon-k8s/bench/results"
)

// passThrough answers /health/ready by asking the app and every dependency, now.
type passThrough struct {
	*agent
	srv *http.Server
}

func startPassThrough() *passThrough {
	p := &passThrough{agent: newDoubles()}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	check(err)
	p.addr = ln.Addr().String()
	client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	urls := []string{p.app.URL() + "/app_id"}
	for name, d := range p.deps {
		urls = append(urls, d.URL()+p.depPath[name])
	}
	p.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for _, u := range urls {
			resp, err := client.Get(u)
			if err != nil {
				w.WriteHeader(http.StatusServiceUnavailable)
				return
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				w.WriteHeader(http.StatusServiceUnavailable)
				return
			}
		}
		w.WriteHeader(http.StatusOK)
	})}
	go func() { _ = p.srv.Serve(ln) }()
	return p
}

func (p *passThrough) stop() {
	_ = p.srv.Close()
	p.app.Close()
	for _, d := range p.deps {
		d.Close()
	}
}

// depCalls is the calls every dependency double of a received so far.
func depCalls(a *agent) int64 {
	var n int64
	for name, d := range a.deps {
		n += d.Calls(a.depPath[name])
	}
	return n
}

// runAmplification runs every rate for both designs at once, reps times, window each.
func runAmplification(bin, tmp string, rates []float64, window, interval time.Duration, reps int) []*results.Result {
	fmt.Printf("== amplification: calls each dependency receives per minute (agent: check interval %s, jitter ±10%%; pass-through: one call per probe), %s windows, %d repetitions\n", interval, window, reps)
	var out []*results.Result
	for rep := 1; rep <= reps; rep++ {
		type design struct {
			name  string
			rate  float64
			ag    *agent
			close func()
		}
		var ds []design
		for _, r := range rates {
			a := startAgent(bin, tmp, fmt.Sprintf("amp-%g-%d", r, rep), interval)
			ds = append(ds, design{"agent", r, a, a.stop})
			p := startPassThrough()
			ds = append(ds, design{"pass-through", r, p.agent, p.stop})
		}
		got := make([]*results.Result, len(ds))
		var wg sync.WaitGroup
		for i, d := range ds {
			wg.Add(1)
			go func() {
				defer wg.Done()
				before := depCalls(d.ag)
				res := loadgen.Run(context.Background(), loadgen.NewClient(8), "http://"+d.ag.addr+"/health/ready", d.rate, window, 8)
				calls := depCalls(d.ag) - before
				r := results.New("amplification", fmt.Sprintf("%g-probes-per-s", d.rate), d.name, rep)
				r.Set("probes", float64(res.Sent))
				r.Set("answered200", float64(res.Codes[200]))
				r.Set("callsPerDependencyPerMinute", float64(calls)/float64(len(d.ag.deps))/window.Minutes())
				r.Describe("probesPerSecond", d.rate)
				r.Describe("windowSeconds", window.Seconds())
				r.Describe("dependencies", len(d.ag.deps))
				if d.name == "agent" {
					r.Describe("checkIntervalSeconds", interval.Seconds())
				}
				got[i] = r
			}()
		}
		wg.Wait()
		for _, d := range ds {
			d.close()
		}
		tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintf(tw, "rep %d: probes/s\tdesign\tprobes (200)\tcalls per dependency per minute\t\n", rep)
		for i, d := range ds {
			f := got[i].Figures
			fmt.Fprintf(tw, "%g\t%s\t%.0f (%.0f)\t%.1f\t\n", d.rate, d.name, f["probes"], f["answered200"], f["callsPerDependencyPerMinute"])
		}
		tw.Flush()
		out = append(out, got...)
	}
	return out
}
