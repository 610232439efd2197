package main

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"kotaemon-k8s/test/mutants"
)

// A run's output gives each test of the variant its verdict: failed naming an invariant
// (testify's Messages, or a t.Fatalf line), failed naming none, passed (the test's
// defect), or not run; messages count for the test whose output they are.
func TestJudgeGivesEachTestOfTheVariantItsVerdict(t *testing.T) {
	t.Parallel()
	v := mutants.Variant{Name: "v", Tests: []string{"TestPB01_A", "TestPB02_B", "TestPB03_C", "TestPB04_D", "TestPB05_E"}}
	out := `=== RUN   TestPB01_A
=== PAUSE TestPB01_A
=== CONT  TestPB01_A/wrapper
    startup_test.go:80:
        	Error Trace:	x.go:1
        	Error:      	Should be zero, but was 1
        	Test:       	TestPB01_A/wrapper
        	Messages:   	PI-05: restarts during a start-up the budget promises to cover (12s)
=== NAME  TestPB02_B/sidecar
    startup_test.go:90: waited 30s for the container is restarted; last: phase=Running
=== NAME  TestPB03_C/wrapper
    liveness_test.go:12: PB-03 note that names an invariant but belongs to a passing test
--- FAIL: TestPB01_A (20.00s)
--- FAIL: TestPB02_B (30.00s)
--- PASS: TestPB03_C (10.00s)
--- FAIL: TestPB04_D (1.00s)
`
	got := judge(v, []byte(out))
	assert.Equal(t, []outcome{
		{"TestPB01_A", "v", caught, "PI-05: restarts during a start-up the budget promises to cover (12s)"},
		{"TestPB02_B", "v", unnamed, "waited 30s for the container is restarted; last: phase=Running"},
		{"TestPB03_C", "v", missed, ""},
		{"TestPB04_D", "v", unnamed, ""},
		{"TestPB05_E", "v", notFound, ""},
	}, got)
	assert.Contains(t, table(got), "| PB01 | v | failed, naming the invariant | PI-05: restarts")
}
