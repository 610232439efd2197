// Package image builds minimal OCI images from static binaries with
// go-containerregistry: no Docker, no shell, no base image. It writes an OCI image
// layout tar (a multi-arch index, importable with `ctr images import`), a single-arch
// docker-archive tar, or pushes to a registry. The cluster's test doubles can use it
// too: a Spec is a list of files per architecture plus the run settings.
package image

import (
	"archive/tar"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
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
	Created    time.Time // fixed for reproducible builds; zero means the Unix epoch
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

// ContainerdName is ref as containerd and the kubelet name it: Docker Hub references
// get the docker.io (and library/) prefix, e.g. docker.io/kotaemon-k8s/kotaemon-health:0.1.0.
func ContainerdName(ref string) string {
	first, _, hasSlash := strings.Cut(ref, "/")
	switch {
	case !hasSlash:
		return "docker.io/library/" + ref
	case strings.ContainsAny(first, ".:") || first == "localhost":
		return ref
	}
	return "docker.io/" + ref
}

// layerTar builds an uncompressed tar of files and their parent directories, owned by
// root, with a fixed time.
func layerTar(files []File, mtime time.Time) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	dirs := map[string]bool{}
	for _, f := range files {
		if !path.IsAbs(f.Dst) {
			return nil, fmt.Errorf("%s: image path must be absolute", f.Dst)
		}
		var parents []string
		for d := path.Dir(f.Dst); d != "/"; d = path.Dir(d) {
			parents = append([]string{d}, parents...)
		}
		for _, d := range parents {
			if dirs[d] {
				continue
			}
			dirs[d] = true
			if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: strings.TrimPrefix(d, "/") + "/",
				Mode: 0o755, ModTime: mtime, Format: tar.FormatPAX}); err != nil {
				return nil, err
			}
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
	data, err := layerTar(p.Files, created)
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

// WriteOCITar writes idx as an OCI image layout tar whose index.json names it with both
// io.containerd.image.name and org.opencontainers.image.ref.name, so that
// `ctr -n k8s.io images import FILE` registers it under ContainerdName(ref).
func WriteOCITar(file, ref string, idx v1.ImageIndex) error {
	dir, err := os.MkdirTemp(filepath.Dir(file), ".oci-layout-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		return err
	}
	full := ContainerdName(ref)
	if err := p.AppendIndex(idx, layout.WithAnnotations(map[string]string{
		"io.containerd.image.name":          full,
		"org.opencontainers.image.ref.name": full,
	})); err != nil {
		return err
	}
	return tarDir(dir, file)
}

// tarDir writes the files under dir into a tar at file (paths relative to dir).
func tarDir(dir, file string) error {
	tmp := file + ".tmp"
	out, err := os.Create(tmp)
	if err != nil {
		return err
	}
	tw := tar.NewWriter(out)
	walkErr := filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		hdr, err := tar.FileInfoHeader(fi, "")
		if err != nil {
			return err
		}
		hdr.Name = filepath.ToSlash(rel)
		if fi.IsDir() {
			hdr.Name += "/"
		}
		hdr.Uid, hdr.Gid, hdr.Uname, hdr.Gname = 0, 0, "", ""
		hdr.ModTime = time.Unix(0, 0)
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if fi.Mode().IsRegular() {
			f, err := os.Open(p)
			if err != nil {
				return err
			}
			defer f.Close()
			_, err = io.Copy(tw, f)
			return err
		}
		return nil
	})
	if err := errors.Join(walkErr, tw.Close(), out.Close()); err != nil {
		os.Remove(tmp)
		return err
	}
	return os.Rename(tmp, file)
}

// WriteDockerTar writes one image as a docker-archive tar (docker load / ctr import).
func WriteDockerTar(file, ref string, img v1.Image) error {
	tag, err := name.NewTag(ref)
	if err != nil {
		return err
	}
	return tarball.WriteToFile(file, tag, img)
}

// Push uploads the index to its registry, with credentials from the usual docker
// config (never from this repository).
func Push(ref string, idx v1.ImageIndex) error {
	r, err := name.ParseReference(ref)
	if err != nil {
		return err
	}
	return remote.WriteIndex(r, idx, remote.WithAuthFromKeychain(authn.DefaultKeychain))
}

// WriteBinaryOCITar is the one-call form: static binaries (arch -> path) placed at dst,
// run as 65532:65532 with dst as entrypoint, written as an importable OCI layout tar.
func WriteBinaryOCITar(file, ref, dst string, binaries map[string]string) error {
	idx, err := Binary(ref, dst, binaries).Index()
	if err != nil {
		return err
	}
	return WriteOCITar(file, ref, idx)
}
