// Command deployloaded is `make test-deploy-loaded`: it runs the deploy suite's binary
// several times in a row while a CPU hog keeps the machine's cores busy, and prints how
// often each test failed: the suite must pass on a machine that is also doing other work.
// The hog is bounded: it spins -hog goroutines, and only while the runs last.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"kotaemon-k8s/test/gotestout"
)

func main() {
	deploy := flag.String("deploy", "", "the deploy suite's test binary")
	dir := flag.String("dir", ".", "directory the suite runs in (test/deploy)")
	logs := flag.String("logs", ".cache/artifacts/loaded", "directory of each run's full output")
	runs := flag.Int("runs", 5, "runs of the suite, one after another")
	hog := flag.Int("hog", runtime.NumCPU(), "goroutines spinning on the CPU meanwhile (0: none)")
	parallel := flag.Int("parallel", 16, "-test.parallel of each run")
	pattern := flag.String("run", ".", "-test.run of each run")
	flag.Parse()
	if *deploy == "" {
		fmt.Fprintln(os.Stderr, "deployloaded: -deploy is required")
		os.Exit(2)
	}
	if err := os.MkdirAll(*logs, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "deployloaded:", err)
		os.Exit(1)
	}
	stop := spin(*hog)
	var all []gotestout.Run
	var took []time.Duration
	for i := 1; i <= *runs; i++ {
		start := time.Now()
		out := gotestout.RunBinary(*deploy, *dir, nil, *parallel, *pattern, filepath.Join(*logs, fmt.Sprintf("run-%d.log", i)))
		took = append(took, time.Since(start))
		all = append(all, gotestout.Parse(out))
		fmt.Fprintf(os.Stderr, "deployloaded: run %d of %d done in %s\n", i, *runs, took[i-1].Round(time.Second))
	}
	stop()
	fmt.Print(report(all, took, *hog))
	for _, r := range all {
		for _, res := range r.Results {
			if res == "FAIL" {
				os.Exit(1)
			}
		}
	}
}

// spin keeps n goroutines busy until the returned stop is called.
func spin(n int) func() {
	done := make(chan struct{})
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for x := 0; ; x++ {
				if x%1_000_000 == 0 {
					select {
					case <-done:
						return
					default:
					}
				}
			}
		}()
	}
	return func() { close(done); wg.Wait() }
}

// report is the table: for each test and subtest, runs passed and failed, and the first
// message of each failure.
func report(all []gotestout.Run, took []time.Duration, hog int) string {
	tests := map[string]bool{}
	for _, r := range all {
		for t := range r.Results {
			tests[t] = true
		}
	}
	names := make([]string, 0, len(tests))
	for t := range tests {
		names = append(names, t)
	}
	sort.Strings(names)
	var b strings.Builder
	fmt.Fprintf(&b, "%d runs of the deploy suite with %d goroutines spinning; wall times:", len(all), hog)
	for _, d := range took {
		fmt.Fprintf(&b, " %s", d.Round(time.Second))
	}
	b.WriteString("\n\n| test | passed | failed | skipped | first failure |\n|---|---|---|---|---|\n")
	flakes := 0
	for _, t := range names {
		var pass, fail, skip int
		var why string
		for _, r := range all {
			switch r.Results[t] {
			case "PASS":
				pass++
			case "FAIL":
				fail++
				if ms := r.Messages[strings.SplitN(t, "/", 2)[0]]; why == "" && len(ms) > 0 {
					why = ms[0]
				}
			case "SKIP":
				skip++
			}
		}
		if fail > 0 {
			flakes++
		}
		if len(why) > 140 {
			why = why[:137] + "..."
		}
		fmt.Fprintf(&b, "| %s | %d | %d | %d | %s |\n", t, pass, fail, skip, strings.ReplaceAll(why, "|", "\\|"))
	}
	fmt.Fprintf(&b, "\nTests that failed at least once: %d of %d.\n", flakes, len(names))
	return b.String()
}
