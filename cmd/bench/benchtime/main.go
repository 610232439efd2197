// Command benchtime measures the project's own commands for make bench's test-speed
// part and writes the figures as JSON results (bench/results) for cmd/bench/benchreport.
//
//	benchtime -results DIR -scenario NAME -config NAME -reps 3 -- make test-render
//	    runs the command reps times and records each run's wall time (seconds); a run
//	    that fails is an error, not a figure.
//	benchtime -results DIR -scenario NAME -gobench -- go test -bench ... -count 3
//	    runs a Go benchmark once and records ops per second of every sub-benchmark
//	    and count (the sub-benchmark's name is the configuration).
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"time"

	"kotaemon-k8s/bench/results"
)

func main() {
	dir := flag.String("results", "", "directory of the JSON results (required)")
	scenario := flag.String("scenario", "", "the results' scenario (required)")
	config := flag.String("config", "", "the results' configuration (without -gobench: required)")
	reps := flag.Int("reps", 3, "runs of the command (without -gobench)")
	gobench := flag.Bool("gobench", false, "the command is `go test -bench`: record ops/s per sub-benchmark instead of wall time")
	flag.Parse()
	cmd := flag.Args()
	if err := run(*dir, *scenario, *config, *reps, *gobench, cmd); err != nil {
		fmt.Fprintln(os.Stderr, "benchtime:", err)
		os.Exit(1)
	}
}

func run(dir, scenario, config string, reps int, gobench bool, cmd []string) error {
	switch {
	case dir == "":
		return fmt.Errorf("-results: required")
	case scenario == "":
		return fmt.Errorf("-scenario: required")
	case len(cmd) == 0:
		return fmt.Errorf("no command after --")
	case !gobench && config == "":
		return fmt.Errorf("-config: required without -gobench")
	case reps < 1:
		return fmt.Errorf("-reps: %d, must be at least 1", reps)
	}
	if gobench {
		var out bytes.Buffer
		if err := execute(cmd, io.MultiWriter(os.Stdout, &out)); err != nil {
			return err
		}
		rs, err := parseGoBench(scenario, &out)
		if err != nil {
			return err
		}
		return write(dir, rs)
	}
	var rs []*results.Result
	for rep := 1; rep <= reps; rep++ {
		start := time.Now()
		if err := execute(cmd, os.Stdout); err != nil {
			return fmt.Errorf("run %d: %w", rep, err)
		}
		r := results.New("test-speed", scenario, config, rep)
		r.Set("wallSeconds", time.Since(start).Seconds())
		fmt.Fprintf(os.Stderr, "benchtime: %s run %d: %.1f s\n", scenario, rep, r.Figures["wallSeconds"])
		rs = append(rs, r)
	}
	return write(dir, rs)
}

func execute(cmd []string, out io.Writer) error {
	c := exec.Command(cmd[0], cmd[1:]...)
	c.Stdout, c.Stderr = out, os.Stderr
	if err := c.Run(); err != nil {
		return fmt.Errorf("%s: %w", strings.Join(cmd, " "), err)
	}
	return nil
}

// benchLine is one result line of `go test -bench`: name-GOMAXPROCS, iterations, ns/op.
var benchLine = regexp.MustCompile(`^Benchmark[^/\s]+/(\S+?)(?:-\d+)?\s+\d+\s+([0-9.]+) ns/op`)

func parseGoBench(scenario string, out io.Reader) ([]*results.Result, error) {
	var rs []*results.Result
	reps := map[string]int{}
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		m := benchLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		ns, err := strconv.ParseFloat(m[2], 64)
		if err != nil || ns <= 0 {
			return nil, fmt.Errorf("%q: ns/op not a positive number", sc.Text())
		}
		reps[m[1]]++
		r := results.New("test-speed", scenario, m[1], reps[m[1]])
		r.Set("perSecond", 1e9/ns)
		rs = append(rs, r)
	}
	if len(rs) == 0 {
		return nil, fmt.Errorf("no sub-benchmark result in the output (want lines like BenchmarkX/name-2 10 123 ns/op)")
	}
	return rs, sc.Err()
}

func write(dir string, rs []*results.Result) error {
	for _, r := range rs {
		if err := results.Write(dir, r); err != nil {
			return err
		}
	}
	return nil
}
