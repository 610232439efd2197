// Command imagebuild writes the agent's image from prebuilt static binaries, with the
// name and tag read from the chart's values.yaml (health.image.repository and
// health.image.tag), or pushes it. See make/agent.mk.
//
//	imagebuild -values charts/kotaemon/values.yaml -print tag
//	imagebuild -bin amd64=dist/linux-amd64/kotaemon-health -bin arm64=... -out dist
//	imagebuild -bin ... -push registry.example/team/kotaemon-health:0.1.0
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"kotaemon-k8s/internal/image"
)

// InImagePath is where the binary lives in the image.
const InImagePath = "/usr/local/bin/kotaemon-health"

// maxSize is the budget for the multi-arch tar.
const maxSize = 15 << 20

type binFlags map[string]string

func (b binFlags) String() string { return fmt.Sprint(map[string]string(b)) }

func (b binFlags) Set(v string) error {
	arch, p, ok := strings.Cut(v, "=")
	if !ok || arch == "" || p == "" {
		return fmt.Errorf("want ARCH=PATH, got %q", v)
	}
	b[arch] = p
	return nil
}

func main() {
	values := flag.String("values", "charts/kotaemon/values.yaml", "chart values holding health.image.repository and .tag")
	print := flag.String("print", "", "print repository, tag or ref and exit")
	out := flag.String("out", "dist", "output directory")
	push := flag.String("push", "", "push the multi-arch index to this reference instead of writing tars")
	bins := binFlags{}
	flag.Var(bins, "bin", "ARCH=PATH of a static binary (repeatable: amd64, arm64)")
	flag.Parse()

	repo, tag, found, err := image.ChartImage(*values)
	if err != nil {
		fail(err)
	}
	if !found {
		fmt.Fprintf(os.Stderr, "imagebuild: %s does not set health.image.repository/tag; using %s:%s\n", *values, repo, tag)
	}
	ref := repo + ":" + tag
	switch *print {
	case "":
	case "repository":
		fmt.Println(repo)
		return
	case "tag":
		fmt.Println(tag)
		return
	case "ref":
		fmt.Println(ref)
		return
	default:
		fail(fmt.Errorf("-print: want repository, tag or ref"))
	}
	if len(bins) == 0 {
		fail(fmt.Errorf("no -bin ARCH=PATH given"))
	}
	spec := image.Binary(ref, InImagePath, bins)
	spec.Labels = map[string]string{
		"org.opencontainers.image.title":   "kotaemon-health",
		"org.opencontainers.image.version": tag,
	}
	idx, err := spec.Index()
	if err != nil {
		fail(err)
	}
	if *push != "" {
		if err := image.Push(*push, idx); err != nil {
			fail(err)
		}
		fmt.Printf("pushed %s\n", *push)
		return
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		fail(err)
	}
	ociFile := filepath.Join(*out, fmt.Sprintf("kotaemon-health-%s.oci.tar", tag))
	if err := image.WriteOCITar(ociFile, ref, idx); err != nil {
		fail(err)
	}
	report(ociFile, "OCI layout, "+strings.Join(archs(bins), "+")+", name "+image.ContainerdName(ref))
	host := runtime.GOARCH
	if _, ok := bins[host]; ok {
		for _, p := range spec.Platforms {
			if p.Arch != host {
				continue
			}
			img, err := spec.Image(p)
			if err != nil {
				fail(err)
			}
			dockerFile := filepath.Join(*out, "kotaemon-health-"+host+".tar")
			if err := image.WriteDockerTar(dockerFile, ref, img); err != nil {
				fail(err)
			}
			report(dockerFile, "docker archive, "+host)
		}
	}
	if fi, err := os.Stat(ociFile); err == nil && fi.Size() > maxSize {
		fail(fmt.Errorf("%s is %d bytes, over the %d budget", ociFile, fi.Size(), maxSize))
	}
}

func archs(b binFlags) []string {
	var out []string
	for _, p := range image.Binary("", "/x", b).Platforms {
		out = append(out, p.Arch)
	}
	return out
}

func report(file, what string) {
	fi, err := os.Stat(file)
	if err != nil {
		fail(err)
	}
	fmt.Printf("%s  %.1f MB  (%s)\n", file, float64(fi.Size())/1e6, what)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "imagebuild:", err)
	os.Exit(1)
}
