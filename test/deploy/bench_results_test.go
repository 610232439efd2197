//go:build bench

package deploy

import (
	"context"
	"flag"
	"sync"
	"time"

	"github.com/stretchr/testify/require"

	"kotaemon-k8s/bench/results"
	"kotaemon-k8s/test/kube"
)

// benchResults is where the in-cluster results go (make bench-cluster: the committed
// docs/benchmarks/results/in-cluster); empty: the artifacts' bench/in-cluster.
var benchResults = flag.String("bench.results", "", "directory of the in-cluster results (empty: the artifacts' bench/in-cluster)")

// result starts the scenario's result; it is written to the results directory when the
// test ends, also when it fails half-way (the figures measured so far are kept, nothing
// is lost).
func (r *release) result(scenario, config string, rep int) *benchResult {
	res := &benchResult{results.New("in-cluster", scenario, config, rep)}
	dir := *benchResults
	if dir == "" {
		dir = kube.ArtifactsDir("bench/in-cluster")
	}
	r.t.Cleanup(func() {
		if err := results.Write(dir, res.Result); err != nil {
			r.t.Errorf("bench result not written: %v", err)
		}
	})
	return res
}

// benchResult records figures in the units docs/BENCHMARKS.md reads: seconds and counts.
type benchResult struct{ *results.Result }

func (res benchResult) seconds(name string, d time.Duration)     { res.Set(name, d.Seconds()) }
func (res benchResult) count(name string, n int)                 { res.Set(name, float64(n)) }
func (res benchResult) never(name string, watched time.Duration) { res.Never(name, watched.Seconds()) }

// watchApp follows the stand-in in pod: each process that opens the app port is marked
// "app-bound" at the moment it bound (its own clock, shifted to the test's by the offset
// seen in the same request), so the timeline has an "app answering" lane. It returns
// the first such moment (zero while none).
func (r *release) watchApp(pod string) func() time.Time {
	var (
		mu    sync.Mutex
		first time.Time
		seen  = map[string]bool{}
		done  = make(chan struct{})
	)
	// Says the timeline follows the app: no "app-bound" then means it never answered.
	r.tl.MarkAt(time.Now(), "app-watched", pod, "")
	go func() {
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
			}
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			st, onTestClock, err := r.stateOnTestClock(ctx, pod)
			cancel()
			if err != nil || st.BoundAt == nil || seen[st.AppID] {
				continue
			}
			seen[st.AppID] = true
			at := r.tl.MarkAt(onTestClock(*st.BoundAt), "app-bound", pod, "app "+st.AppID)
			mu.Lock()
			if first.IsZero() {
				first = at
			}
			mu.Unlock()
		}
	}()
	r.t.Cleanup(func() { close(done) })
	return func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		return first
	}
}

// readyWithin waits up to d for the pod to be Ready; it reports when, or false.
func (r *release) readyWithin(pod string, d time.Duration) (time.Time, bool) {
	since := time.Now()
	err := kube.AwaitE(pod+" is Ready", d, func(ctx context.Context) (bool, string) {
		p, why := r.pod(ctx, pod)
		if p == nil {
			return false, why
		}
		return kube.PodReady(p), podSummary(p)
	})
	if err != nil {
		return time.Time{}, false
	}
	if at, ok := r.firstAfter("pod", "ready", pod, since); ok {
		return at, true // the watch saw it first, closer to the moment
	}
	return time.Now(), true
}

// restarts is the pod's restart count now.
func (r *release) restarts(pod string) int {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	p, why := r.pod(ctx, pod)
	require.NotNil(r.t, p, why)
	return int(kube.Restarts(p))
}

// firstAfter is the first timeline entry of source/what for object since t0.
func (r *release) firstAfter(source, what, object string, t0 time.Time) (time.Time, bool) {
	e := r.tl.Find(source, what, object, t0)
	if len(e) == 0 {
		return time.Time{}, false
	}
	return e[0].At, true
}
