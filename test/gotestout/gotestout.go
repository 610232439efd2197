// Package gotestout runs a test binary with -test.v and reads its output: each test's
// result and the failure messages printed under it. The deploy suite's mutation run and
// its loaded runs run and judge the suite by it.
package gotestout

import (
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
)

// RunBinary runs a compiled test binary in dir with -test.v (as make test-deploy does:
// one count, a 30 min timeout, parallel at most, tests matching pattern), with env
// added to this process's, keeps its whole output in logFile (its directory must exist)
// and returns it. A failing
// run is an outcome to read, not an error.
func RunBinary(bin, dir string, env []string, parallel int, pattern, logFile string) []byte {
	cmd := exec.Command(bin, "-test.v", "-test.count=1", "-test.timeout=30m",
		fmt.Sprintf("-test.parallel=%d", parallel), "-test.run="+pattern)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if _, failed := err.(*exec.ExitError); err != nil && !failed {
		out = append(out, fmt.Sprintf("\n(the test binary could not run: %v)\n", err)...)
	}
	_ = os.WriteFile(logFile, out, 0o644)
	return out
}

// Run is one run's outcome.
type Run struct {
	// Results maps each test and subtest (TestX, TestX/sub) to PASS, FAIL or SKIP.
	Results map[string]string
	// Messages maps each top-level test to the failure messages printed in its output,
	// in order: testify's Messages and Error lines, and t.Fatal/t.Error lines.
	Messages map[string][]string
}

var (
	resultLine = regexp.MustCompile(`^\s*--- (PASS|FAIL|SKIP): (Test\S+) `)
	testName   = regexp.MustCompile(`^=== (?:RUN|CONT|NAME|PAUSE)\s+(Test[^ /]+)`)
	testField  = regexp.MustCompile(`^\s+Test:\s+(Test[^ /]+)`)
	message    = regexp.MustCompile(`^\s+(Messages|Error):\s+(.*)$`)
	fatalLine  = regexp.MustCompile(`^\s+\S+_test\.go:\d+: (.+)$`)
)

// Parse reads -test.v output. A message counts for the test whose output it is: go test
// names the test (=== NAME, RUN, CONT) before its lines, and testify names it in Test:.
func Parse(out []byte) Run {
	r := Run{Results: map[string]string{}, Messages: map[string][]string{}}
	var current string
	for _, line := range strings.Split(string(out), "\n") {
		if m := resultLine.FindStringSubmatch(line); m != nil {
			r.Results[m[2]] = m[1]
			continue
		}
		if m := testName.FindStringSubmatch(line); m != nil {
			current = m[1]
			continue
		}
		if m := testField.FindStringSubmatch(line); m != nil {
			current = m[1]
			continue
		}
		if current == "" {
			continue
		}
		if m := message.FindStringSubmatch(line); m != nil {
			r.Messages[current] = append(r.Messages[current], strings.TrimSpace(m[2]))
		} else if m := fatalLine.FindStringSubmatch(line); m != nil {
			r.Messages[current] = append(r.Messages[current], m[1])
		}
	}
	return r
}
