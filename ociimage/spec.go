// Package ociimage builds minimal OCI images from static binaries with
// go-containerregistry: no Docker, no shell, no base image. It is the project's one image
// builder: the health agent's release image (multi-arch index, pushed or written as an
// OCI layout tar), the embedded cluster's pause image and the test stand-ins (single-arch
// docker archives that `ctr images import` names the way the kubelet looks them up).
package ociimage

import (
	"archive/tar"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"sort"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// File is one file copied into the image.
type File struct {
	Src  string // path on this machine
	Dst  string // absolute path in the image
	Mode int64  // e.g. 0o755
}

// Platform is the content for one architecture (linux only).
type Platform struct {
	Arch  string // amd64 | arm64
	Files []File
}

// Spec describes an image.
type Spec struct {
	Ref        string // repository:tag, e.g. kotaemon-k8s/kotaemon-health:0.1.0
	Platforms  []Platform
	Entrypoint []string
	Cmd        []string
	User       string // e.g. 65532:65532
	Env        []string
	WorkingDir string
	Labels     map[string]string
	Dirs       []string          // empty directories (0755, root) the program expects, e.g. its working directory
	Links      map[string]string // symbolic links: path in the image -> what it points to
	Created    time.Time         // fixed for reproducible builds; zero means the Unix epoch
}

// Binary is the common case: one static binary per architecture at dst, used as the
// entrypoint, run as 65532:65532.
func Binary(ref, dst string, binaries map[string]string) Spec {
	s := Spec{Ref: ref, Entrypoint: []string{dst}, User: "65532:65532", WorkingDir: "/",
		Env: []string{"PATH=/usr/local/bin:/usr/bin:/bin"}}
	archs := make([]string, 0, len(binaries))
	for a := range binaries {
		archs = append(archs, a)
	}
	sort.Strings(archs)
	for _, a := range archs {
		s.Platforms = append(s.Platforms, Platform{Arch: a, Files: []File{{Src: binaries[a], Dst: dst, Mode: 0o755}}})
	}
	return s
}

// layerTar builds an uncompressed tar of the directories, the files, the links and their
// parent directories, owned by root, with a fixed time, in a fixed order.
func layerTar(dirs []string, files []File, links map[string]string, mtime time.Time) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	written := map[string]bool{}
	writeDirs := func(leaf string) error {
		var chain []string
		for d := leaf; d != "/"; d = path.Dir(d) {
			chain = append([]string{d}, chain...)
		}
		for _, d := range chain {
			if written[d] {
				continue
			}
			written[d] = true
			if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: strings.TrimPrefix(d, "/") + "/",
				Mode: 0o755, ModTime: mtime, Format: tar.FormatPAX}); err != nil {
				return err
			}
		}
		return nil
	}
	for _, d := range dirs {
		if !path.IsAbs(d) {
			return nil, fmt.Errorf("%s: image path must be absolute", d)
		}
		if err := writeDirs(path.Clean(d)); err != nil {
			return nil, err
		}
	}
	for _, f := range files {
		if !path.IsAbs(f.Dst) {
			return nil, fmt.Errorf("%s: image path must be absolute", f.Dst)
		}
		if err := writeDirs(path.Dir(f.Dst)); err != nil {
			return nil, err
		}
		data, err := os.ReadFile(f.Src)
		if err != nil {
			return nil, err
		}
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: strings.TrimPrefix(f.Dst, "/"),
			Mode: f.Mode, Size: int64(len(data)), ModTime: mtime, Format: tar.FormatPAX}); err != nil {
			return nil, err
		}
		if _, err := tw.Write(data); err != nil {
			return nil, err
		}
	}
	paths := make([]string, 0, len(links))
	for p := range links {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		if !path.IsAbs(p) {
			return nil, fmt.Errorf("%s: image path must be absolute", p)
		}
		if err := writeDirs(path.Dir(p)); err != nil {
			return nil, err
		}
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeSymlink, Name: strings.TrimPrefix(p, "/"), Linkname: links[p],
			Mode: 0o777, ModTime: mtime, Format: tar.FormatPAX}); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func platformOf(arch string) (v1.Platform, error) {
	switch arch {
	case "amd64":
		return v1.Platform{OS: "linux", Architecture: "amd64"}, nil
	case "arm64":
		return v1.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}, nil
	}
	return v1.Platform{}, fmt.Errorf("unsupported architecture %q (want amd64 or arm64)", arch)
}

// Image builds the single-architecture image for p.
func (s Spec) Image(p Platform) (v1.Image, error) {
	plat, err := platformOf(p.Arch)
	if err != nil {
		return nil, err
	}
	created := s.Created
	if created.IsZero() {
		created = time.Unix(0, 0).UTC()
	}
	data, err := layerTar(s.Dirs, p.Files, s.Links, created)
	if err != nil {
		return nil, err
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(data)), nil
	}, tarball.WithMediaType(types.OCILayer), tarball.WithCompressionLevel(9))
	if err != nil {
		return nil, fmt.Errorf("layer: %w", err)
	}
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	img, err = mutate.Append(img, mutate.Addendum{Layer: layer, History: v1.History{
		Created: v1.Time{Time: created}, CreatedBy: "kotaemon-k8s imagebuild", Comment: "static binaries"}})
	if err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture, cf.Variant = plat.OS, plat.Architecture, plat.Variant
	cf.Created = v1.Time{Time: created}
	cf.Config.Entrypoint = s.Entrypoint
	cf.Config.Cmd = s.Cmd
	cf.Config.User = s.User
	cf.Config.Env = s.Env
	cf.Config.WorkingDir = s.WorkingDir
	cf.Config.Labels = s.Labels
	return mutate.ConfigFile(img, cf)
}

// Index builds the multi-architecture image index.
func (s Spec) Index() (v1.ImageIndex, error) {
	if len(s.Platforms) == 0 {
		return nil, errors.New("no platforms")
	}
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	for _, p := range s.Platforms {
		img, err := s.Image(p)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p.Arch, err)
		}
		plat, _ := platformOf(p.Arch)
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &plat}})
	}
	return idx, nil
}
