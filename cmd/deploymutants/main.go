// Command deploymutants is `make test-deploy-mutants`: it runs the deploy suite's PB
// tests against the named broken variants of the chart (package test/mutants), each
// variant's tests in one run of the suite's binary with every release installed
// through cmd/chartmutant, and prints the table test x variant. A PB test that passes
// on one of its variants is a defect of the test; one that fails without naming the
// invariant it guards (PB-nn or PI-nn) is flagged too. Exit 1 on either.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"kotaemon-k8s/test/mutants"
)

func main() {
	deploy := flag.String("deploy", "", "the deploy suite's test binary (make test-deploy-mutants builds it)")
	renderer := flag.String("renderer", "", "the chartmutant post-renderer binary")
	dir := flag.String("dir", ".", "directory the suite runs in (test/deploy)")
	logs := flag.String("logs", ".cache/artifacts/mutants", "directory of each variant's full output")
	parallel := flag.Int("parallel", 16, "-test.parallel of each run")
	jobs := flag.Int("jobs", 3, "variants run at once")
	only := flag.String("variants", "", "comma-separated variants to run (empty: all)")
	flag.Parse()
	if *deploy == "" || *renderer == "" {
		fmt.Fprintln(os.Stderr, "deploymutants: -deploy and -renderer are required")
		os.Exit(2)
	}
	variants, err := chosen(*only)
	if err != nil {
		fmt.Fprintln(os.Stderr, "deploymutants:", err)
		os.Exit(2)
	}
	abs := func(p string) string { a, _ := filepath.Abs(p); return a }
	run := runner{deploy: abs(*deploy), renderer: abs(*renderer), dir: *dir, logs: abs(*logs), parallel: *parallel}
	if err := os.MkdirAll(run.logs, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "deploymutants:", err)
		os.Exit(1)
	}

	outcomes := make([][]outcome, len(variants))
	var wg sync.WaitGroup
	slots := make(chan struct{}, max(1, *jobs))
	for i, v := range variants {
		wg.Add(1)
		go func() {
			defer wg.Done()
			slots <- struct{}{}
			defer func() { <-slots }()
			outcomes[i] = run.variant(v)
			fmt.Fprintf(os.Stderr, "deploymutants: %s done\n", v.Name)
		}()
	}
	wg.Wait()

	var all []outcome
	for _, os := range outcomes {
		all = append(all, os...)
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].test < all[j].test })
	fmt.Print(table(all))
	for _, o := range all {
		if o.verdict != caught {
			os.Exit(1)
		}
	}
}

func chosen(only string) ([]mutants.Variant, error) {
	if only == "" {
		return mutants.Variants, nil
	}
	var out []mutants.Variant
	for _, name := range strings.Split(only, ",") {
		v, err := mutants.Named(strings.TrimSpace(name))
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}
