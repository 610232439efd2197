package localcluster

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"kotaemon-k8s/versions"
)

// component is one upstream project built from its own module under cluster/build.
type component struct {
	name     string
	version  string
	binaries map[string]string // binary name -> main package
	ldflags  string
	coldMins int // measured cold build on 2 cores, printed before a build starts
}

// kubeVersionFlags stamp the version Kubernetes' release build would (a plain build
// reports v0.0.0-master, and nodes would too).
func kubeVersionFlags(v string) string {
	major, minor, _ := strings.Cut(strings.TrimPrefix(v, "v"), ".")
	minor, _, _ = strings.Cut(minor, ".")
	var b strings.Builder
	b.WriteString("-s -w")
	for _, p := range []string{"k8s.io/component-base/version", "k8s.io/client-go/pkg/version"} {
		fmt.Fprintf(&b, " -X %[1]s.gitVersion=%[2]s -X %[1]s.gitMajor=%[3]s -X %[1]s.gitMinor=%[4]s"+
			" -X %[1]s.gitTreeState=clean -X %[1]s.gitCommit=%[2]s -X %[1]s.buildDate=2026-01-01T00:00:00Z", p, v, major, minor)
	}
	return b.String()
}

// components are built at the versions of make/versions.mk; their build modules pin
// every dependency (and a test ties the two).
var components = []component{
	{
		name: "kubernetes", version: versions.Kubernetes, coldMins: 12,
		binaries: map[string]string{
			"kube-apiserver":          "k8s.io/kubernetes/cmd/kube-apiserver",
			"kube-controller-manager": "k8s.io/kubernetes/cmd/kube-controller-manager",
			"kube-scheduler":          "k8s.io/kubernetes/cmd/kube-scheduler",
			"kubelet":                 "k8s.io/kubernetes/cmd/kubelet",
			"kube-proxy":              "k8s.io/kubernetes/cmd/kube-proxy",
			"kubectl":                 "k8s.io/kubernetes/cmd/kubectl", // for people and suites, not the cluster
		},
		ldflags: kubeVersionFlags(versions.Kubernetes),
	},
	{
		name: "etcd", version: versions.Etcd, coldMins: 1,
		binaries: map[string]string{"etcd": "go.etcd.io/etcd/server/v3"},
		ldflags:  "-s -w",
	},
	{
		name: "coredns", version: versions.CoreDNS, coldMins: 4,
		binaries: map[string]string{"coredns": "github.com/coredns/coredns"},
		ldflags:  "-s -w",
	},
	{
		name: "kube-router", version: versions.KubeRouter, coldMins: 4,
		binaries: map[string]string{"kube-router": "github.com/cloudnativelabs/kube-router/v2/cmd/kube-router"},
		ldflags: "-s -w -X github.com/cloudnativelabs/kube-router/v2/pkg/version.Version=" + versions.KubeRouter +
			" -X github.com/cloudnativelabs/kube-router/v2/pkg/version.BuildDate=2026-01-01",
	},
}

// binDir is where a component's binaries live in the cache: one directory per version.
func (o Options) binDir(c component) string {
	return filepath.Join(o.CacheDir, c.name+"-"+c.version, "bin")
}

// bin is the cached path of a named binary.
func (o Options) bin(name string) string {
	for _, c := range components {
		if _, ok := c.binaries[name]; ok {
			return filepath.Join(o.binDir(c), name)
		}
	}
	panic("unknown binary " + name)
}

// stamp is written last and lists the binaries it vouches for, so an interrupted
// build is never mistaken for a finished one.
const stamp = ".complete"

// missing lists the binaries of c that still have to be built.
func (o Options) missing(c component) []string {
	b, _ := os.ReadFile(filepath.Join(o.binDir(c), stamp))
	done := map[string]bool{}
	for _, n := range strings.Fields(string(b)) {
		done[n] = true
	}
	var out []string
	for name := range c.binaries {
		if _, err := os.Stat(filepath.Join(o.binDir(c), name)); err != nil || !done[name] {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// Build makes sure every component is in the cache, building the missing ones one at a
// time (the machine is small and the builds are heavy).
func (o Options) Build(p phase) error {
	for _, c := range components {
		todo := o.missing(c)
		if len(todo) == 0 {
			p.say("building %s %s (cached)", c.name, c.version)
			continue
		}
		if len(todo) < len(c.binaries) {
			p.say("building %s %s: %v (a few minutes at most, once)", c.name, c.version, todo)
		} else {
			p.say("building %s %s from the Go module proxy: this takes about %d min on 2 idle cores (more on a busy machine), once", c.name, c.version, c.coldMins)
		}
		t := time.Now()
		if err := o.buildComponent(c, todo); err != nil {
			return err
		}
		p.say("built %s %s in %.0fs", c.name, c.version, time.Since(t).Seconds())
	}
	return nil
}

func (o Options) buildComponent(c component, todo []string) error {
	dir := o.binDir(c)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	mod := filepath.Join(o.Repo, "cluster", "build", c.name)
	for _, b := range todo {
		pkg := c.binaries[b]
		cmd := exec.Command("go", "build", "-trimpath", "-ldflags", c.ldflags, "-o", filepath.Join(dir, b), pkg)
		cmd.Dir = mod
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOWORK=off", "GOFLAGS=-mod=readonly -buildvcs=false")
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("building %s (%s) in %s: %w", b, pkg, mod, err)
		}
	}
	names := make([]string, 0, len(c.binaries))
	for n := range c.binaries {
		names = append(names, n)
	}
	sort.Strings(names)
	return os.WriteFile(filepath.Join(dir, stamp), []byte(strings.Join(names, "\n")+"\n"), 0o644)
}
