package agentimage

import (
	"fmt"
	"path/filepath"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"kotaemon-k8s/ociimage"
	"kotaemon-k8s/versions"
)

// Package is the agent's main package.
const Package = "kotaemon-k8s/cmd/kotaemon-health"

// Path is where the binary lives in the image.
const Path = "/usr/local/bin/kotaemon-health"

// Archs are the architectures of the published index.
var Archs = []string{"amd64", "arm64"}

// Image is one build of the agent image.
type Image struct {
	Tag    string
	Index  v1.ImageIndex
	Digest string // the index's, sha256:...
}

// Build compiles the agent for every architecture into binDir and assembles the image
// index. moduleDir is any directory of the module; env is added to the build's environment (a
// test's fresh GOCACHE). The toolchain is pinned (versions.AgentGo, fetched by the go
// command when this machine has another) and the build leaves the machine and the
// checkout out of the binaries, so the digest is a function of the source tree and tag.
func Build(moduleDir, binDir, tag string, env ...string) (*Image, error) {
	bins := map[string]string{}
	for _, arch := range Archs {
		out := filepath.Join(binDir, "linux-"+arch, "kotaemon-health")
		ldflags := "-X kotaemon-k8s/internal/version.Version=" + tag
		if err := ociimage.BuildStatic(moduleDir, Package, arch, ldflags, out, append([]string{"GOTOOLCHAIN=" + versions.AgentGo}, env...)...); err != nil {
			return nil, err
		}
		bins[arch] = out
	}
	spec := ociimage.Binary(Repository+":"+tag, Path, bins)
	spec.Labels = map[string]string{
		"org.opencontainers.image.title":   "kotaemon-health",
		"org.opencontainers.image.version": tag,
	}
	idx, err := spec.Index()
	if err != nil {
		return nil, err
	}
	d, err := idx.Digest()
	if err != nil {
		return nil, fmt.Errorf("the index's digest: %w", err)
	}
	return &Image{Tag: tag, Index: idx, Digest: d.String()}, nil
}

// Pin is where this build is published under registry.
func (im *Image) Pin(registry string) Pin {
	return Pin{Registry: registry, Repository: Repository, Tag: im.Tag, Digest: im.Digest}
}
