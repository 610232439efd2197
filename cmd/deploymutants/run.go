package main

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"

	"kotaemon-k8s/test/gotestout"
	"kotaemon-k8s/test/mutants"
)

// runner runs the suite's binary once per variant.
type runner struct {
	deploy, renderer, dir, logs string
	parallel                    int
}

// verdict is what a PB test did on a variant.
type verdict string

const (
	caught   verdict = "failed, naming the invariant"
	unnamed  verdict = "failed, naming no invariant (flagged)"
	missed   verdict = "PASSED: a defect of the test"
	notFound verdict = "did not run (flagged)"
)

type outcome struct {
	test, variant string
	verdict       verdict
	message       string
}

// Env names the suite reads (test/deploy/release_test.go).
const (
	envVariant  = "KOTAEMON_MUTANT"
	envRenderer = "KOTAEMON_MUTANT_RENDERER"
)

func (r runner) variant(v mutants.Variant) []outcome {
	pattern := "^(" + strings.Join(v.Tests, "|") + ")$"
	out := gotestout.RunBinary(r.deploy, r.dir, []string{envVariant + "=" + v.Name, envRenderer + "=" + r.renderer},
		r.parallel, pattern, filepath.Join(r.logs, v.Name+".log"))
	return judge(v, out)
}

// invariant is how a failure names what it guards.
var invariant = regexp.MustCompile(`\bP[BI]-\d\d`)

// judge reads one run's output (package gotestout): each of the variant's tests, passed
// or failed, and the first of its failure messages that names an invariant.
func judge(v mutants.Variant, out []byte) []outcome {
	run := gotestout.Parse(out)
	results, messages := run.Results, run.Messages
	var outs []outcome
	for _, t := range v.Tests {
		o := outcome{test: t, variant: v.Name}
		switch results[t] {
		case "PASS":
			o.verdict = missed
		case "FAIL":
			o.verdict, o.message = unnamed, first(messages[t])
			for _, m := range messages[t] {
				if invariant.MatchString(m) {
					o.verdict, o.message = caught, m
					break
				}
			}
		default:
			o.verdict = notFound
		}
		outs = append(outs, o)
	}
	return outs
}

func first(ms []string) string {
	if len(ms) == 0 {
		return ""
	}
	return ms[0]
}

// table is the run's result as markdown.
func table(all []outcome) string {
	var b strings.Builder
	b.WriteString("| PB test | variant (chart bug) | outcome | first assertion naming the invariant |\n|---|---|---|---|\n")
	for _, o := range all {
		name := o.test
		if i := strings.Index(name, "_"); i > 0 {
			name = name[len("Test"):i]
		}
		msg := o.message
		if len(msg) > 160 {
			msg = msg[:157] + "..."
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", name, o.variant, o.verdict, strings.ReplaceAll(msg, "|", "\\|"))
	}
	return b.String()
}
