// Command naiveprobes is a helm post-renderer that replaces the Kotaemon pod's probes
// with the naive configuration the benchmarks compare against (docs/BENCHMARKS.md):
// liveness and readiness both on the app's `/`, a 1 s timeout, no startup probe, a
// 30 s initial delay. The chart's guards refuse these values, which is the point: this
// is what a pod gets from a chart without them. Everything else the chart rendered is
// left as it is, so a comparison differs in the probes only.
//
//	helm install kh charts/kotaemon --post-renderer bin/naiveprobes
package main

import (
	"bufio"
	"fmt"
	"io"
	"os"

	"kotaemon-k8s/test/mutants"
)

// naiveProbe is the probe a hand-written Deployment often carries: the app's home page,
// a short timeout, a fixed delay guessed once.
var naiveProbe = map[string]any{
	"httpGet":             map[string]any{"path": "/", "port": "http"},
	"initialDelaySeconds": 30,
	"periodSeconds":       10,
	"timeoutSeconds":      1,
	"failureThreshold":    3,
}

// appContainer is the container the chart runs Kotaemon in.
const appContainer = "kotaemon"

func main() {
	if err := run(bufio.NewReader(os.Stdin), os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "naiveprobes:", err)
		os.Exit(1)
	}
}

func run(in io.Reader, out io.Writer) error {
	b, err := io.ReadAll(in)
	if err != nil {
		return err
	}
	naived, err := mutants.Rewrite(b, func(objects []map[string]any) error {
		found := false
		for _, obj := range objects {
			if obj["kind"] != "Deployment" {
				continue
			}
			replaced, err := naive(obj)
			if err != nil {
				return fmt.Errorf("Deployment: %w", err)
			}
			found = found || replaced
		}
		if !found {
			return fmt.Errorf("no Deployment with a container %q: nothing to make naive", appContainer)
		}
		return nil
	})
	if err != nil {
		return err
	}
	_, err = out.Write(naived)
	return err
}

// naive removes every probe of the pod template and puts the naive pair on the app
// container; it reports whether that container was there.
func naive(deploy map[string]any) (bool, error) {
	spec, ok := mutants.Dig(deploy, "spec", "template", "spec").(map[string]any)
	if !ok {
		return false, fmt.Errorf("spec.template.spec: missing")
	}
	found := false
	for _, key := range []string{"initContainers", "containers"} {
		list, _ := spec[key].([]any)
		for j, c := range list {
			container, ok := c.(map[string]any)
			if !ok {
				return false, fmt.Errorf("spec.template.spec.%s[%d]: not an object", key, j)
			}
			delete(container, "startupProbe")
			delete(container, "livenessProbe")
			delete(container, "readinessProbe")
			if key == "containers" && container["name"] == appContainer {
				container["livenessProbe"] = naiveProbe
				container["readinessProbe"] = naiveProbe
				found = true
			}
		}
	}
	return found, nil
}
