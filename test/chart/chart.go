// Package chart renders the repository's chart for the suites, either through the
// pinned helm binary (as users do, via terratest) or in process through the helm SDK
// (for draws by the thousand). Both render the same chart with the same Kubernetes
// version, and read the same values files.
package chart

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"kotaemon-k8s/versions"
)

// KubeVersion is the Kubernetes version every render targets (the embedded cluster's).
const KubeVersion = versions.Kubernetes

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

// AdvisedSuffix ends the name of a values override kotaemonctl advise wrote for the
// environment of the same name (values/prod.advised.yaml for values/prod.yaml).
const AdvisedSuffix = ".advised.yaml"

// ValuesFiles lists every *.yaml and *.yml in dir, sorted, but advised overrides: a file
// dropped there is checked by every suite with no code change.
func ValuesFiles(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("listing values files: %w", err)
	}
	var files []string
	for _, e := range entries {
		name := e.Name()
		if !e.IsDir() && (strings.HasSuffix(name, ".yaml") || strings.HasSuffix(name, ".yml")) && !strings.HasSuffix(name, AdvisedSuffix) {
			files = append(files, filepath.Join(dir, name))
		}
	}
	sort.Strings(files)
	return files, nil
}

// AdvisedFiles maps each advised override in dir to its environment's file, which must
// exist: an override is only ever installed on top of it.
func AdvisedFiles(dir string) (map[string]string, error) {
	advised, err := filepath.Glob(filepath.Join(dir, "*"+AdvisedSuffix))
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, a := range advised {
		env := strings.TrimSuffix(a, AdvisedSuffix) + ".yaml"
		if _, err := os.Stat(env); err != nil {
			return nil, fmt.Errorf("%s overrides %s, which does not exist", a, env)
		}
		out[a] = env
	}
	return out, nil
}
