// Package loadgen measures the agent from the outside: a fixed-rate (open-loop) HTTP
// load generator, counting dependency doubles, and readers for a process's resident
// memory and CPU time. It only ever addresses loopback.
package loadgen

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Double is a dependency (or app) stand-in on 127.0.0.1 that counts the calls it gets.
type Double struct {
	Server *httptest.Server
	calls  sync.Map // path -> *atomic.Int64
}

// NewDouble answers each "METHOD /path" key of routes with 200 and the body.
func NewDouble(routes map[string]string) *Double {
	d := &Double{}
	d.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := d.calls.LoadOrStore(r.URL.Path, new(atomic.Int64))
		c.(*atomic.Int64).Add(1)
		body, ok := routes[r.Method+" "+r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, body)
	}))
	return d
}

// URL is the double's base URL.
func (d *Double) URL() string { return d.Server.URL }

// Calls is how many requests path has received so far.
func (d *Double) Calls(path string) int64 {
	c, ok := d.calls.Load(path)
	if !ok {
		return 0
	}
	return c.(*atomic.Int64).Load()
}

// Close stops the double.
func (d *Double) Close() { d.Server.Close() }

// Result of one fixed-rate run.
type Result struct {
	Rate     float64
	Duration time.Duration
	Sent     int
	Errors   int // transport errors (a 503 is an answer, not an error)
	Codes    map[int]int
	P50      time.Duration
	P99      time.Duration
	Max      time.Duration
	Late     int // requests dispatched more than 1ms after their slot (generator saturated)
	// DueP50 and DueP99 are latencies from each request's slot in the schedule, not from
	// its send: the time spent waiting for a free worker counts, as a probe that is due
	// but queued still waits for its answer.
	DueP50, DueP99 time.Duration
	// Achieved is answers per second over the run, from the first slot to the last answer.
	Achieved float64
}

// NewClient keeps enough idle loopback connections for the workers.
func NewClient(workers int) *http.Client {
	return &http.Client{Transport: &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: 2 * time.Second}).DialContext,
		MaxIdleConns:        workers * 2,
		MaxIdleConnsPerHost: workers * 2,
		IdleConnTimeout:     time.Minute,
		DisableCompression:  true,
	}, Timeout: 10 * time.Second}
}

// Run sends GET url at a fixed rate for d, open loop: requests are dispatched on a
// schedule whatever the answers' latency, through a pool of workers. Latency is
// measured from the send to the end of the body (P50, P99, Max), and from the request's
// slot in the schedule (DueP50, DueP99).
func Run(ctx context.Context, client *http.Client, url string, rate float64, d time.Duration, workers int) Result {
	n := int(rate * d.Seconds())
	if n < 1 {
		n = 1
	}
	type sample struct {
		lat, due time.Duration
		code     int
	}
	type job struct {
		i  int
		at time.Time // its slot in the schedule
	}
	samples := make([]sample, n)
	jobs := make(chan job, n)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
				begin := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					samples[j.i] = sample{lat: time.Since(begin), due: time.Since(j.at), code: -1}
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				samples[j.i] = sample{lat: time.Since(begin), due: time.Since(j.at), code: resp.StatusCode}
			}
		}()
	}
	res := Result{Rate: rate, Duration: d, Sent: n, Codes: map[int]int{}}
	start := time.Now()
	for i := 0; i < n && ctx.Err() == nil; i++ {
		at := start.Add(time.Duration(float64(i) / rate * float64(time.Second)))
		if wait := time.Until(at); wait > 0 {
			time.Sleep(wait)
		} else if wait < -time.Millisecond {
			res.Late++
		}
		jobs <- job{i, at}
	}
	close(jobs)
	wg.Wait()
	elapsed := time.Since(start)
	lats := make([]time.Duration, 0, n)
	dues := make([]time.Duration, 0, n)
	for _, s := range samples {
		if s.code == -1 {
			res.Errors++
			continue
		}
		if s.code == 0 {
			continue // not sent (context ended)
		}
		res.Codes[s.code]++
		lats = append(lats, s.lat)
		dues = append(dues, s.due)
	}
	slices.Sort(lats)
	slices.Sort(dues)
	if len(lats) > 0 {
		res.P50, res.P99, res.Max = Percentile(lats, 50), Percentile(lats, 99), lats[len(lats)-1]
		res.DueP50, res.DueP99 = Percentile(dues, 50), Percentile(dues, 99)
		res.Achieved = float64(len(lats)) / elapsed.Seconds()
	}
	return res
}

// Percentile is the p-th percentile of sorted durations (not empty).
func Percentile(sorted []time.Duration, p int) time.Duration {
	return sorted[min(len(sorted)-1, len(sorted)*p/100)]
}

// RSS is the resident set size of pid in bytes (VmRSS of /proc/PID/status).
func RSS(pid int) (int64, error) { return statusBytes(pid, "VmRSS:") }

// HWM is pid's peak resident memory so far (VmHWM in /proc/PID/status).
func HWM(pid int) (int64, error) { return statusBytes(pid, "VmHWM:") }

// statusBytes reads one "<field> <n> kB" line of /proc/PID/status.
func statusBytes(pid int, field string) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field); ok {
			fields := strings.Fields(v)
			kb, err := strconv.ParseInt(fields[0], 10, 64)
			if err != nil {
				return 0, err
			}
			return kb * 1024, nil
		}
	}
	return 0, fmt.Errorf("no %s for pid %d", strings.TrimSuffix(field, ":"), pid)
}

// CPUTime is the user+system CPU time pid has used (/proc/PID/stat, clock ticks of 10ms).
func CPUTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// Fields after the command name (which may contain spaces) start after ") ".
	s := string(b)
	rest := s[strings.LastIndexByte(s, ')')+2:]
	f := strings.Fields(rest)
	if len(f) < 13 {
		return 0, fmt.Errorf("short stat for pid %d", pid)
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * 10 * time.Millisecond, nil
}
