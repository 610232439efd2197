package main

// Probe cost, side by side in one run: the agent's /health/ready, an exec probe (a new
// process per probe, what a health script costs; here the agent's own `check` command
// asking the app, so the figure is the process start and one HTTP request, a floor of
// what a runtime's exec adds), and the same generator talking to the app directly.

import (
	"context"
	"fmt"
	"os/exec"
	"sort"
	"sync"
	"syscall"
	"time"

	"kotaemon-k8s/bench/loadgen"
	"kotaemon-k8s/bench/results"
)

// costRate is one rate of the cost run and how long each repetition lasts there.
type costRate struct {
	name string
	rate float64
	dur  time.Duration
}

// costRates: one probe a second stands for the kubelet (the chart's defaults probe
// readiness every 10 s and liveness every 30 s, so this is more than the real rate), and
// 1,000 a second for a crowd of scrapers and probes.
var costRates = []costRate{{"kubelet-1-per-s", 1, 30 * time.Second}, {"1000-per-s", 1000, 5 * time.Second}}

// runCost measures every design at every rate, reps times, and returns the results.
func runCost(bin, tmp string, reps int) []*results.Result {
	a := startAgent(bin, tmp, "cost", 30*time.Second)
	defer a.stop()
	var out []*results.Result
	fmt.Printf("== probe cost: /health/ready through the agent, an exec probe (process per probe), the app directly (%d repetitions)\n", reps)
	for _, cr := range costRates {
		for rep := 1; rep <= reps; rep++ {
			designs := map[string]func() *results.Result{
				"agent":  func() *results.Result { return costHTTP("http://"+a.addr+"/health/ready", a.cmd.Process.Pid, cr) },
				"exec":   func() *results.Result { return costExec(bin, a.app.URL()+"/app_id", cr) },
				"direct": func() *results.Result { return costHTTP(a.app.URL()+"/app_id", 0, cr) },
			}
			names := []string{"agent", "exec", "direct"}
			got := make([]*results.Result, len(names))
			if cr.rate <= 1 {
				// At the kubelet's rate the designs cannot disturb each other: all at once.
				var wg sync.WaitGroup
				for i, n := range names {
					wg.Add(1)
					go func() { defer wg.Done(); got[i] = designs[n]() }()
				}
				wg.Wait()
			} else {
				for i, n := range names {
					got[i] = designs[n]()
				}
			}
			for i, n := range names {
				r := got[i]
				r.Part, r.Scenario, r.Config, r.Rep = "probe-cost", cr.name, n, rep
				r.Describe("ratePerSecond", cr.rate)
				r.Describe("seconds", cr.dur.Seconds())
				r.Describe("allAtOnce", cr.rate <= 1)
				out = append(out, r)
				fmt.Printf("%-16s %-7s rep %d: %v\n", cr.name, n, rep, r.Figures)
			}
		}
	}
	return out
}

// costHTTP drives url at the rate; with pid, it also reads that process's CPU and peak RSS.
func costHTTP(url string, pid int, cr costRate) *results.Result {
	r := results.New("", "", "", 0)
	var cpu0 time.Duration
	var peak int64
	stop := func() {}
	if pid > 0 {
		cpu0, _ = loadgen.CPUTime(pid)
		stop = sampleRSS(pid, &peak)
	}
	res := loadgen.Run(context.Background(), loadgen.NewClient(httpWorkers), url, cr.rate, cr.dur, httpWorkers)
	r.Describe("workers", httpWorkers)
	stop()
	r.Set("sent", float64(res.Sent))
	r.Set("failed", float64(res.Sent-res.Codes[200]))
	r.Set("p50Ms", ms(res.P50))
	r.Set("p99Ms", ms(res.P99))
	r.Set("dueP50Ms", ms(res.DueP50))
	r.Set("dueP99Ms", ms(res.DueP99))
	r.Set("achievedPerS", res.Achieved)
	if pid > 0 {
		cpu1, _ := loadgen.CPUTime(pid)
		if res.Sent > 0 {
			r.Set("cpuMsPer1000", ms(cpu1-cpu0)/float64(res.Sent)*1000)
		}
		r.Set("rssMiB", mib(peak))
	}
	return r
}

// httpWorkers is how many requests the HTTP designs have in flight at most, and
// execSlots how many exec probes run at once (a node's runtime queues the rest).
const (
	httpWorkers = 32
	execSlots   = 64
)

// costExec starts `bin check url` at the rate (at most execSlots at once) and measures
// each process: wall time, CPU and peak RSS.
func costExec(bin, url string, cr costRate) *results.Result {
	r := results.New("", "", "", 0)
	r.Describe("workers", execSlots)
	n := int(cr.rate * cr.dur.Seconds())
	var (
		mu        sync.Mutex
		lat       []time.Duration
		due       []time.Duration // from the slot: waiting for one of the execSlots counts
		cpu       time.Duration
		rss       int64
		failed    int
		wg        sync.WaitGroup
		slots     = make(chan struct{}, execSlots)
		interval  = time.Duration(float64(time.Second) / cr.rate)
		start     = time.Now()
		late      int
		lateSlack = 10 * time.Millisecond
	)
	for i := 0; i < n; i++ {
		slot := start.Add(time.Duration(i) * interval)
		time.Sleep(time.Until(slot))
		slots <- struct{}{}
		if time.Since(slot) > lateSlack {
			late++
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-slots }()
			t0 := time.Now()
			cmd := exec.Command(bin, "check", url)
			err := cmd.Run()
			d := time.Since(t0)
			mu.Lock()
			defer mu.Unlock()
			lat = append(lat, d)
			due = append(due, time.Since(slot))
			if err != nil {
				failed++
			}
			if ps := cmd.ProcessState; ps != nil {
				cpu += ps.UserTime() + ps.SystemTime()
				if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
					rss = max(rss, ru.Maxrss*1024)
				}
			}
		}()
	}
	wg.Wait()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	sort.Slice(due, func(i, j int) bool { return due[i] < due[j] })
	r.Set("sent", float64(n))
	r.Set("failed", float64(failed))
	r.Set("late", float64(late))
	r.Set("achievedPerS", float64(n)/time.Since(start).Seconds())
	if len(lat) > 0 {
		r.Set("p50Ms", ms(loadgen.Percentile(lat, 50)))
		r.Set("p99Ms", ms(loadgen.Percentile(lat, 99)))
		r.Set("dueP50Ms", ms(loadgen.Percentile(due, 50)))
		r.Set("dueP99Ms", ms(loadgen.Percentile(due, 99)))
		r.Set("cpuMsPer1000", ms(cpu)/float64(len(lat))*1000)
	}
	r.Set("rssMiB", mib(rss))
	return r
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
