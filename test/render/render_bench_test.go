package render

import (
	"context"
	"path/filepath"
	"testing"

	"kotaemon-k8s/test/chart"
)

// BenchmarkRender compares the two ways the suites render the chart, on the dev values:
// terratest (one helm process per render, what a user's command does) and the helm SDK
// in-process (what the render suite's property and bad-values tests use). make bench
// reports renders per second of each and their ratio.
func BenchmarkRender(b *testing.B) {
	if _, err := chart.UseHelm(); err != nil {
		b.Fatal(err)
	}
	files := []string{filepath.Join(chart.ValuesDir(), "dev.yaml")}
	b.Run("terratest", func(b *testing.B) {
		for b.Loop() {
			if _, err := chart.Render(b, context.Background(), files, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("sdk", func(b *testing.B) {
		r, err := chart.NewRenderer()
		if err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			if _, err := r.RenderFiles(files, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
}
