// valuesdoc regenerates the values table of charts/kotaemon/README.md from the `# --`
// comments of values.yaml (make docs). The render suite fails when the two drift.
package main

import (
	"fmt"
	"os"

	"kotaemon-k8s/test/chart"
)

func main() {
	_, updated, err := chart.ReadmeWithValuesTable()
	if err != nil {
		fmt.Fprintln(os.Stderr, "valuesdoc:", err)
		os.Exit(1)
	}
	if err := os.WriteFile(chart.ReadmePath(), []byte(updated), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "valuesdoc:", err)
		os.Exit(1)
	}
}
