package chart

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"

	"kotaemon-k8s/versions"
)

// HelmEnv names the helm binary the suites use; make passes the pinned one it built.
const HelmEnv = "HELM"

// UseHelm makes the pinned helm the `helm` that terratest runs (first on PATH) and
// returns its path: $HELM when set (make sets it), else the same pinned module built
// with `go build` into the user cache. Tests never run make. The fallback is built
// without helm's release ldflags: every render here passes --kube-version, and
// installs read the server's version, so helm's default Kubernetes version never applies.
func UseHelm() (string, error) {
	helmOnce.Do(func() {
		helmPath = os.Getenv(HelmEnv)
		if helmPath == "" {
			helmPath, helmErr = buildHelm()
			if helmErr != nil {
				return
			}
		}
		if filepath.Base(helmPath) != "helm" {
			helmErr = fmt.Errorf("%s=%s: terratest runs `helm` from PATH, so the binary must be named helm", HelmEnv, helmPath)
			return
		}
		helmErr = os.Setenv("PATH", filepath.Dir(helmPath)+string(os.PathListSeparator)+os.Getenv("PATH"))
	})
	return helmPath, helmErr
}

var (
	helmOnce sync.Once
	helmPath string
	helmErr  error
)

func buildHelm() (string, error) {
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	out := filepath.Join(cache, "kotaemon-k8s", "helm-"+versions.Helm, "helm")
	if _, err := os.Stat(out); err == nil {
		return out, nil
	}
	cmd := exec.Command("go", "build", "-o", out, "helm.sh/helm/v3/cmd/helm")
	cmd.Dir = Root()
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("no %s set, and building the pinned helm failed (or run `make test-render`, which builds it): %w\n%s", HelmEnv, err, b)
	}
	return out, nil
}
