// Command benchreport turns the benchmarks' JSON results (bench/results, committed under
// docs/benchmarks/results) into docs/BENCHMARKS.md: one markdown table per part, each
// cell the median and spread of its repetitions, ratios against this chart's defaults,
// links to the pictures, and the machine and load the figures were measured on. It also
// rewrites the README's key figures between their markers, so the README states what the
// last run measured and nothing else.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"regexp"
	"runtime"
	"strings"
	"time"

	"kotaemon-k8s/bench/results"
)

func main() {
	in := flag.String("in", "docs/benchmarks/results", "directory of the results (searched recursively)")
	out := flag.String("out", "docs/BENCHMARKS.md", "the report")
	readme := flag.String("readme", "README.md", "the README whose key figures are rewritten (empty: leave it)")
	pictures := flag.String("pictures", "benchmarks", "the pictures' directory, relative to the report")
	load := flag.String("load", "docs/benchmarks/results/load.txt", "load average samples taken during the run (one line per part)")
	flag.Parse()
	if err := run(*in, *out, *readme, *pictures, *load); err != nil {
		fmt.Fprintln(os.Stderr, "benchreport:", err)
		os.Exit(1)
	}
}

func run(in, out, readme, pictures, load string) error {
	rs, err := results.Load(in)
	if err != nil {
		return err
	}
	if len(rs) == 0 {
		return fmt.Errorf("no results under %s: run make bench (or one of its parts) first", in)
	}
	samples, _ := os.ReadFile(load) // absent when a part ran alone: the report says so
	var b bytes.Buffer
	header(&b, samples)
	key := keyFigures(rs)
	b.WriteString(key)
	inCluster(&b, rs, pictures)
	probeCost(&b, rs)
	amplification(&b, rs)
	testSpeed(&b, rs)
	if err := os.WriteFile(out, b.Bytes(), 0o644); err != nil {
		return err
	}
	if readme != "" {
		return rewriteKeyFigures(readme, key)
	}
	return nil
}

func header(b *bytes.Buffer, samples []byte) {
	fmt.Fprintf(b, `# Benchmarks: what the probe settings do, measured

Written by `+"`make bench`"+` (cmd/bench/benchreport) on %s. Every figure is measured on one
machine; the configurations or designs a table compares ran side by side in the same run
of its part; nothing here is a target or an assertion. Section 1 gives each figure's median
and worst draw beside the limit the probe schedule puts on it; elsewhere a cell is the
median of its repetitions with the spread (lowest–highest) in brackets. Ratios divide a
configuration's median by this chart's defaults'. Every number and setting in the text
comes from the raw results in docs/benchmarks/results. Repeat one part with the command
named in its section; the parts' runs are listed below.

**Machine**: %d cores, %s, the embedded cluster (one node, this machine). `, time.Now().UTC().Format("2006-01-02"), runtime.NumCPU(), memTotal())
	if len(bytes.TrimSpace(samples)) == 0 {
		b.WriteString("No load average was sampled (a part was run on its own).\n\n")
		return
	}
	b.WriteString("Load average (1, 5, 15 min) when each part started:\n\n")
	for _, l := range strings.Split(strings.TrimSpace(string(samples)), "\n") {
		fmt.Fprintf(b, "- `%s`\n", strings.TrimSpace(l))
	}
	b.WriteString("\n")
}

func memTotal() string {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return "memory unknown"
	}
	var kb float64
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "MemTotal:") {
			fmt.Sscanf(strings.TrimPrefix(l, "MemTotal:"), "%f", &kb)
		}
	}
	return fmt.Sprintf("%.0f GiB", kb/(1<<20))
}

// keyMarkers delimit the README's key figures.
var keyMarkers = regexp.MustCompile(`(?s)<!-- bench:key-figures -->.*<!-- /bench:key-figures -->`)

func rewriteKeyFigures(readme, key string) error {
	b, err := os.ReadFile(readme)
	if err != nil {
		return err
	}
	if !keyMarkers.Match(b) {
		return fmt.Errorf("%s: no <!-- bench:key-figures --> ... <!-- /bench:key-figures --> block to rewrite", readme)
	}
	block := "<!-- bench:key-figures -->\n" + strings.Replace(key, "## Key figures\n\n", "", 1) + "<!-- /bench:key-figures -->"
	return os.WriteFile(readme, keyMarkers.ReplaceAll(b, []byte(block)), 0o644)
}
