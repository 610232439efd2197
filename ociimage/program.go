package ociimage

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
)

// Program is a Go main package of this module packaged alone in an image: the cluster's
// pause image and the test stand-ins (the agent's release image is built by cmd/imagebuild).
type Program struct {
	Package string            // import path or ./relative path of the main package
	Ref     string            // image reference, e.g. kotaemon-k8s/pause:1
	Path    string            // where the binary lands in the image, e.g. /pause
	Dirs    []string          // empty directories the program expects (e.g. a working directory)
	Links   map[string]string // symbolic links: path in the image -> what it points to
	User    string            // "" runs as 65532:65532
	LDFlags string            // extra -ldflags (e.g. -X for a version), after -s -w
}

// Spec builds p for this machine's architecture into binDir and returns the image's
// Spec (its file is read when an image is made from it). moduleDir is where `go build`
// runs: any directory of the module.
func (p Program) Spec(moduleDir, binDir string) (Spec, error) {
	bin := filepath.Join(binDir, filepath.Base(p.Path))
	if err := BuildStatic(moduleDir, p.Package, runtime.GOARCH, p.LDFlags, bin); err != nil {
		return Spec{}, err
	}
	spec := Binary(p.Ref, p.Path, map[string]string{runtime.GOARCH: bin})
	spec.Dirs = p.Dirs
	spec.Links = p.Links
	if p.User != "" {
		spec.User = p.User
	}
	return spec, nil
}

// WriteProgramTar builds p and writes it as a docker-archive tar at out.
func WriteProgramTar(moduleDir string, p Program, out string) error {
	dir, err := os.MkdirTemp("", "ociimage-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	spec, err := p.Spec(moduleDir, dir)
	if err != nil {
		return err
	}
	img, err := spec.Image(spec.Platforms[0])
	if err != nil {
		return fmt.Errorf("image %s: %w", p.Ref, err)
	}
	return WriteDockerTar(out, p.Ref, img)
}

// BuildStatic compiles a Go main package (CGO off, stripped, linux/arch) into out; dir
// is the directory go runs in (the module that holds pkg), env is added to the
// environment last (e.g. GOTOOLCHAIN, GOCACHE). Nothing of the machine or the checkout
// goes into the binary (-trimpath, -buildvcs=false, one microarchitecture level, no
// GOFLAGS or experiments of the caller's), so one source tree and one toolchain give
// one binary: the agent image's digest depends on it.
func BuildStatic(dir, pkg, arch, ldflags, out string, env ...string) error {
	cmd := exec.Command("go", "build", "-trimpath", "-buildvcs=false", "-ldflags=-s -w "+ldflags, "-o", out, pkg)
	cmd.Dir = dir
	cmd.Env = append(append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+arch,
		"GOAMD64=v1", "GOARM64=v8.0", "GOFLAGS=", "GOEXPERIMENT="), env...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build %s: %w", pkg, err)
	}
	return nil
}
