// Command chartmutant is a helm post-renderer that applies one named broken variant of
// the chart (package test/mutants) to the rendered release: the deploy suite's mutation
// run installs it so each PB test can be shown to fail on the bug it exists to catch.
//
//	helm install kh charts/kotaemon --post-renderer bin/chartmutant --post-renderer-args no-startup-probe
package main

import (
	"fmt"
	"io"
	"os"

	"kotaemon-k8s/test/mutants"
)

func main() {
	if err := run(os.Args[1:], os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "chartmutant:", err)
		os.Exit(1)
	}
}

func run(args []string, in io.Reader, out io.Writer) error {
	if len(args) != 1 {
		return fmt.Errorf("usage: chartmutant <variant> (reads a rendered release on stdin)")
	}
	v, err := mutants.Named(args[0])
	if err != nil {
		return err
	}
	manifest, err := io.ReadAll(in)
	if err != nil {
		return err
	}
	mutated, err := v.Apply(manifest)
	if err != nil {
		return err
	}
	_, err = out.Write(mutated)
	return err
}
