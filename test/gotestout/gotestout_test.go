package gotestout

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// Results of tests and subtests, and each failure message under the test whose output
// it is, however parallel tests interleave.
func TestParseAttributesResultsAndMessagesToTheirTests(t *testing.T) {
	t.Parallel()
	out := `=== RUN   TestA
=== PAUSE TestA
=== RUN   TestB
=== CONT  TestA/wrapper
    a_test.go:10: waited 30s for the pod is Ready
=== NAME  TestB/sidecar
        	Error:      	Should be true
        	Test:       	TestB/sidecar
        	Messages:   	PI-04: not Ready
    --- FAIL: TestA/wrapper (1.00s)
    --- PASS: TestB/sidecar (2.00s)
--- FAIL: TestA (1.00s)
--- FAIL: TestB (2.00s)
--- SKIP: TestC (0.00s)
`
	r := Parse([]byte(out))
	assert.Equal(t, map[string]string{"TestA/wrapper": "FAIL", "TestB/sidecar": "PASS", "TestA": "FAIL", "TestB": "FAIL", "TestC": "SKIP"}, r.Results)
	assert.Equal(t, []string{"waited 30s for the pod is Ready"}, r.Messages["TestA"])
	assert.Equal(t, []string{"Should be true", "PI-04: not Ready"}, r.Messages["TestB"])
}
