// Package chart locates the repository's chart and values files and renders the chart,
// either through the pinned helm binary (as users do, via terratest) or in process
// through the helm SDK (for draws by the thousand). Both render the same chart with the
// same Kubernetes version.
package chart

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
)

// KubeVersion is the Kubernetes version every render targets (the embedded cluster's).
const KubeVersion = "v1.34.4"

// Modes are the values of health.mode.
var Modes = []string{"wrapper", "sidecar", "none"}

// Root is the repository root (the directory holding go.mod).
func Root() string {
	rootOnce.Do(func() {
		dir, err := os.Getwd()
		if err != nil {
			rootErr = err
			return
		}
		for {
			if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
				root = dir
				return
			}
			parent := filepath.Dir(dir)
			if parent == dir {
				rootErr = fmt.Errorf("no go.mod above the working directory")
				return
			}
			dir = parent
		}
	})
	if rootErr != nil {
		panic(rootErr)
	}
	return root
}

var (
	rootOnce sync.Once
	root     string
	rootErr  error
)

// Dir is the chart directory.
func Dir() string { return filepath.Join(Root(), "charts", "kotaemon") }

// ValuesDir is the directory of per-environment values files.
func ValuesDir() string { return filepath.Join(Root(), "values") }

// ValuesFiles lists every *.yaml and *.yml in dir, sorted: a file dropped there is
// checked by every suite with no code change.
func ValuesFiles(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("listing values files: %w", err)
	}
	var files []string
	for _, e := range entries {
		if !e.IsDir() && (strings.HasSuffix(e.Name(), ".yaml") || strings.HasSuffix(e.Name(), ".yml")) {
			files = append(files, filepath.Join(dir, e.Name()))
		}
	}
	sort.Strings(files)
	return files, nil
}

// EnsureHelm builds the pinned helm into bin/ (through make, where its flags live) and
// puts bin/ first on PATH, so terratest's `helm` is the pinned one.
func EnsureHelm() error {
	helmOnce.Do(func() {
		cmd := exec.Command("make", "-s", "tools")
		cmd.Dir = Root()
		if out, err := cmd.CombinedOutput(); err != nil {
			helmErr = fmt.Errorf("building the pinned helm (make tools): %w\n%s", err, out)
			return
		}
		bin := filepath.Join(Root(), "bin")
		helmErr = os.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	})
	return helmErr
}

var (
	helmOnce sync.Once
	helmErr  error
)
