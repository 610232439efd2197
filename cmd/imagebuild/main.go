// Command imagebuild writes the agent's image from prebuilt static binaries, with the
// name and tag read from the chart's values.yaml (health.image.repository and
// health.image.tag, the one place they live), or pushes it. See make/agent.mk.
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

	"go.yaml.in/yaml/v3"

	"kotaemon-k8s/ociimage"
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

	repo, tag, err := chartImage(*values)
	if err != nil {
		fail(err)
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
	spec := ociimage.Binary(ref, InImagePath, bins)
	spec.Labels = map[string]string{
		"org.opencontainers.image.title":   "kotaemon-health",
		"org.opencontainers.image.version": tag,
	}
	idx, err := spec.Index()
	if err != nil {
		fail(err)
	}
	if *push != "" {
		if err := ociimage.Push(*push, idx); err != nil {
			fail(err)
		}
		fmt.Printf("pushed %s\n", *push)
		return
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		fail(err)
	}
	ociFile := filepath.Join(*out, fmt.Sprintf("kotaemon-health-%s.oci.tar", tag))
	if err := ociimage.WriteOCITar(ociFile, ref, idx); err != nil {
		fail(err)
	}
	report(ociFile, "OCI layout, "+strings.Join(archs(bins), "+")+", for registries")
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
			dockerFile := ociimage.AgentArchive(*out, tag, host)
			if err := ociimage.WriteDockerTar(dockerFile, ref, img); err != nil {
				fail(err)
			}
			report(dockerFile, "docker archive, "+host+", what clusters load")
		}
	}
	if fi, err := os.Stat(ociFile); err == nil && fi.Size() > maxSize {
		fail(fmt.Errorf("%s is %d bytes, over the %d budget", ociFile, fi.Size(), maxSize))
	}
}

func archs(b binFlags) []string {
	var out []string
	for _, p := range ociimage.Binary("", "/x", b).Platforms {
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

// chartImage reads health.image.repository and health.image.tag from the chart's
// values.yaml; both must be set there.
func chartImage(valuesFile string) (repository, tag string, err error) {
	data, err := os.ReadFile(valuesFile)
	if err != nil {
		return "", "", err
	}
	var v struct {
		Health struct {
			Image struct {
				Repository string `yaml:"repository"`
				Tag        any    `yaml:"tag"`
			} `yaml:"image"`
		} `yaml:"health"`
	}
	if err := yaml.Unmarshal(data, &v); err != nil {
		return "", "", fmt.Errorf("%s: %w", valuesFile, err)
	}
	img := v.Health.Image
	if img.Repository == "" || img.Tag == nil || fmt.Sprint(img.Tag) == "" {
		return "", "", fmt.Errorf("%s: health.image.repository and health.image.tag must both be set (got %q, %v)", valuesFile, img.Repository, img.Tag)
	}
	return img.Repository, fmt.Sprint(img.Tag), nil
}
