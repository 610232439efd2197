package localcluster

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"kotaemon-k8s/cluster/ociimage"
)

// pauseTarball builds the sandbox image from cluster/images/pause once per source
// version and Go version, and returns the cached tarball.
func (o Options) pauseTarball() (string, bool, error) {
	src := filepath.Join(o.Repo, "cluster", "images", "pause", "main.go")
	b, err := os.ReadFile(src)
	if err != nil {
		return "", false, err
	}
	sum := sha256.Sum256(append(b, runtime.Version()...))
	dir := filepath.Join(o.CacheDir, "pause-"+hex.EncodeToString(sum[:6]))
	out := filepath.Join(dir, "pause.tar")
	if _, err := os.Stat(out); err == nil {
		return out, true, nil
	}
	bin := filepath.Join(dir, "pause")
	if err := ociimage.BuildStatic(o.Repo, "./cluster/images/pause", bin); err != nil {
		return "", false, err
	}
	err = ociimage.Write(ociimage.Spec{Binary: bin, PathInImage: "/pause", Tag: PauseImage}, out)
	return out, false, err
}

// DistTarballs lists the image tarballs under dist/ (written by `make image` and by the
// test doubles).
func (o Options) DistTarballs() []string {
	files, _ := filepath.Glob(filepath.Join(o.Repo, "dist", "*.tar"))
	return files
}

// ImportImages imports image tarballs into containerd's k8s.io namespace, where the
// kubelet finds them; pods use imagePullPolicy Never or IfNotPresent.
func ImportImages(files []string) ([]string, error) {
	if _, err := os.Stat(ctrdSocket); err != nil {
		return nil, fmt.Errorf("the embedded cluster's containerd is not running (no %s): run `make cluster-up`", ctrdSocket)
	}
	var names []string
	for _, f := range files {
		out, err := run("ctr", "--address", ctrdSocket, "-n", "k8s.io", "images", "import", f)
		if err != nil {
			return names, fmt.Errorf("importing %s: %w", f, err)
		}
		for _, l := range strings.Split(out, "\n") {
			// ctr prints "unpacking NAME (sha256:...)...done" per image.
			if f := strings.Fields(l); len(f) >= 2 && f[0] == "unpacking" && !slices.Contains(names, f[1]) {
				names = append(names, f[1])
			}
		}
	}
	return names, nil
}

// BuildAll fills the cache (components and pause image) without starting anything.
func (o Options) BuildAll() error {
	p := phase{out: o.Out, start: time.Now()}
	if err := o.Build(p); err != nil {
		return err
	}
	_, cached, err := o.pauseTarball()
	if err == nil {
		p.say("pause image %s", map[bool]string{true: "(cached)", false: "built"}[cached])
	}
	return err
}
