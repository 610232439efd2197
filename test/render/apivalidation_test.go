package render

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"kotaemon-k8s/test/chart"
	"kotaemon-k8s/versions"
)

// The API server's own create-time checks (test/apivalidation: the registry strategies of
// KUBE_VERSION) run on every object of every render the suite makes: a render the API
// server would refuse fails the test that made it, with the field path. One
// `apivalidate -serve` process answers the whole suite; $APIVALIDATE names the binary
// (make test-render builds it), else it is built once into the user's cache.

// apiValidation is the suite's validator process.
var apiValidation struct {
	once             sync.Once
	err              error
	mu               sync.Mutex
	renders, objects int // what was validated, for the summary
	cmd              *exec.Cmd
	in               io.WriteCloser
	out              *bufio.Reader
}

// apiVerdict is apivalidate's answer for one manifest.
type apiVerdict struct {
	Errors  []string `json:"errors"`
	Skipped []string `json:"skipped"`
	Checked int      `json:"checked"`
}

// apiValidate returns what the API server would refuse in manifest.
func apiValidate(manifest string) (apiVerdict, error) {
	v := &apiValidation
	v.once.Do(func() { v.err = startAPIValidation() })
	if v.err != nil {
		return apiVerdict{}, v.err
	}
	req, err := json.Marshal(map[string]string{"yaml": manifest})
	if err != nil {
		return apiVerdict{}, err
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if _, err := v.in.Write(append(req, '\n')); err != nil {
		return apiVerdict{}, fmt.Errorf("apivalidate: %w", err)
	}
	line, err := v.out.ReadBytes('\n')
	if err != nil {
		return apiVerdict{}, fmt.Errorf("apivalidate: %w", err)
	}
	var verdict apiVerdict
	if err := json.Unmarshal(line, &verdict); err != nil {
		return apiVerdict{}, err
	}
	v.renders++
	v.objects += verdict.Checked
	return verdict, nil
}

// requireAPIAccepts fails t when the API server would refuse an object of manifest.
func requireAPIAccepts(t *testing.T, manifest string, files []string, set map[string]string) {
	t.Helper()
	verdict, err := apiValidate(manifest)
	if err != nil {
		t.Fatalf("the API server's validation did not run: %v", err)
	}
	if len(verdict.Errors) > 0 {
		t.Errorf("the API server (Kubernetes %s) would refuse this render of %v %v:\n  %s",
			versions.Kubernetes, files, set, strings.Join(verdict.Errors, "\n  "))
	}
}

// apiRefusal is what the API server would refuse in manifest, "" when nothing; for
// tests that gather verdicts off the test goroutine.
func apiRefusal(manifest string) string {
	verdict, err := apiValidate(manifest)
	if err != nil {
		return "the API server's validation did not run: " + err.Error()
	}
	return strings.Join(verdict.Errors, "; ")
}

func startAPIValidation() error {
	bin := os.Getenv("APIVALIDATE")
	if bin == "" {
		var err error
		if bin, err = buildAPIValidation(); err != nil {
			return err
		}
	}
	cmd := exec.Command(bin, "-serve")
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting %s: %w", bin, err)
	}
	v := &apiValidation
	v.cmd, v.in, v.out = cmd, in, bufio.NewReaderSize(out, 1<<20)
	return nil
}

// buildAPIValidation builds test/apivalidation as the cluster's components are built
// (trimmed paths, no cgo), so their compiled packages are reused.
func buildAPIValidation() (string, error) {
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	bin := filepath.Join(cache, "kotaemon-k8s", "apivalidate-"+versions.Kubernetes, "apivalidate")
	cmd := exec.Command("go", "build", "-trimpath", "-o", bin, ".")
	cmd.Dir = filepath.Join(chart.Root(), "test", "apivalidation")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOWORK=off", "GOFLAGS=-mod=readonly -buildvcs=false")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("no $APIVALIDATE and building test/apivalidation failed (or run `make test-render`): %v: %s", err, out)
	}
	return bin, nil
}

// stopAPIValidation ends the validator process, if one started.
func stopAPIValidation() {
	v := &apiValidation
	if v.cmd != nil {
		_ = v.in.Close()
		_ = v.cmd.Wait()
		fmt.Printf("the API server's validation (Kubernetes %s) checked %d objects of %d renders\n", versions.Kubernetes, v.objects, v.renders)
	}
}

// The validation every render goes through is the API server's, and it can fail: a
// default render has each of its objects checked and accepted, and the same render
// broken the ways the API server refuses is refused with each field path.
func TestTheAPIServersValidationChecksEveryObjectAndNamesWhatItRefuses(t *testing.T) {
	t.Parallel()
	out, err := renderInProcess(t, nil, map[string]string{"health.mode": "sidecar", "metrics.enabled": "true", "networkPolicy.enabled": "true"})
	if err != nil {
		t.Fatal(err)
	}
	sound, err := apiValidate(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(sound.Errors) != 0 || sound.Checked < 7 {
		t.Fatalf("a default render: %d objects checked (want every one of at least 7), refused: %v, skipped: %v", sound.Checked, sound.Errors, sound.Skipped)
	}

	broken := strings.Replace(out, "          readinessProbe:\n", "          readinessProbe:\n            terminationGracePeriodSeconds: 10\n", 1)
	broken = strings.Replace(broken, "name: kh-kotaemon-metrics\n", "name: kh-kotaemon-metrics-"+strings.Repeat("x", 50)+"\n", 1)
	refused, err := apiValidate(broken)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"readinessProbe.terminationGracePeriodSeconds", "metadata.name"} {
		found := false
		for _, e := range refused.Errors {
			found = found || strings.Contains(e, want)
		}
		if !found {
			t.Errorf("the API server's validation does not name %s in %v", want, refused.Errors)
		}
	}
}
