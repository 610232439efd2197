// Command pictures turns the suites' JSON timelines (test/kube's Timeline, written to
// .cache/artifacts/timelines) into one picture per scenario: time on the x axis; for
// each Kotaemon pod a lane for the app process, the app answering, liveness probe
// failures, readiness, the pod's place in the Service and its restarts; faults shaded;
// the configured windows drawn where they start counting, so a reader sees the bound a
// test proved. It writes SVG, and PNG too where rsvg-convert is installed.
//
//	go run ./cmd/bench/pictures -in .cache/artifacts/timelines -out .cache/artifacts/pictures [-match regexp]
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"kotaemon-k8s/bench/results"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
)

func main() {
	in := flag.String("in", ".cache/artifacts/timelines", "directory of timeline JSON files")
	out := flag.String("out", ".cache/artifacts/pictures", "directory the pictures are written to")
	match := flag.String("match", ".", "only timelines whose file name (without .json) matches this regexp")
	png := flag.Bool("png", true, "also write PNG when rsvg-convert is on PATH")
	flag.Parse()
	n, err := run(*in, *out, *match, *png)
	if err != nil {
		fmt.Fprintln(os.Stderr, "pictures:", err)
		os.Exit(1)
	}
	fmt.Printf("pictures: %d timelines drawn into %s\n", n, *out)
}

func run(in, out, match string, png bool) (int, error) {
	re, err := regexp.Compile(match)
	if err != nil {
		return 0, fmt.Errorf("-match: %w", err)
	}
	files, err := filepath.Glob(filepath.Join(in, "*.json"))
	if err != nil {
		return 0, err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return 0, err
	}
	renderer, _ := exec.LookPath("rsvg-convert")
	n := 0
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".json")
		if !re.MatchString(name) {
			continue
		}
		svg, err := draw(f, filepath.Join(out, name+".svg"))
		if err != nil {
			return n, fmt.Errorf("%s: %w", f, err)
		}
		if png && renderer != "" {
			if b, err := exec.Command(renderer, "-o", strings.TrimSuffix(svg, ".svg")+".png", svg).CombinedOutput(); err != nil {
				return n, fmt.Errorf("%s: rsvg-convert: %v: %s", svg, err, b)
			}
		}
		n++
	}
	if n == 0 {
		return 0, fmt.Errorf("no timeline in %s matches %q (run the deploy suite or make bench-cluster first)", in, match)
	}
	return n, nil
}

func draw(file, svg string) (string, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return "", err
	}
	var tl timeline
	if err := json.Unmarshal(b, &tl); err != nil {
		return "", err
	}
	if tl.Started.IsZero() {
		return "", fmt.Errorf("started: missing (not a timeline)")
	}
	w, err := os.Create(svg)
	if err != nil {
		return "", err
	}
	p := build(tl)
	p.title = title(tl.Scenario)
	if err := p.svg(w); err != nil {
		w.Close()
		return "", err
	}
	return svg, w.Close()
}

// title reads a benchmark's test name as its scenario and configuration.
func title(scenario string) string {
	parts := strings.Split(scenario, "/")
	if len(parts) == 4 && parts[0] == "TestBenchInCluster" {
		return fmt.Sprintf("%s, %s (repetition %s)", parts[1], configTitle(parts[2]), parts[3])
	}
	return scenario
}

// configTitle names the benchmarks' configurations as docs/BENCHMARKS.md does.
func configTitle(name string) string {
	c := results.ConfigurationNamed(name)
	if c.Letter == "" {
		return name
	}
	return c.Label()
}
