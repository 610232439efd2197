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

	"github.com/distribution/reference"

	"kotaemon-k8s/ociimage"
)

// pauseTarball builds the sandbox image from cmd/pause once per source version and Go
// version, and returns the cached tarball.
func (o Options) pauseTarball() (string, bool, error) {
	src := filepath.Join(o.Repo, "cmd", "pause", "main.go")
	b, err := os.ReadFile(src)
	if err != nil {
		return "", false, err
	}
	// The key covers what shapes the tarball: the source, the Go version and the image name.
	sum := sha256.Sum256(append(append(b, runtime.Version()...), PauseImage...))
	dir := filepath.Join(o.CacheDir, "pause-"+hex.EncodeToString(sum[:6]))
	out := filepath.Join(dir, "pause.tar")
	if _, err := os.Stat(out); err == nil {
		return out, true, nil
	}
	err = ociimage.WriteProgramTar(o.Repo, ociimage.Program{Package: "./cmd/pause", Ref: PauseImage, Path: "/pause"}, out)
	return out, false, err
}

// DistTarballs lists the docker-archive image tarballs under dist/ (written by `make
// image`); the multi-arch *.oci.tar layouts there are for registries, not for loading.
func (o Options) DistTarballs() []string {
	files, _ := filepath.Glob(filepath.Join(o.Repo, "dist", "*.tar"))
	var out []string
	for _, f := range files {
		if !strings.HasSuffix(f, ".oci.tar") {
			out = append(out, f)
		}
	}
	return out
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

// HasImage reports whether the cluster's containerd holds ref (under the fully
// qualified name containerd gives imported images).
func HasImage(ref string) (bool, error) {
	named, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return false, fmt.Errorf("image reference %q: %w", ref, err)
	}
	full := reference.TagNameOnly(named).String()
	out, err := run("ctr", "--address", ctrdSocket, "-n", "k8s.io", "images", "ls", "-q", "name=="+full)
	if err != nil {
		return false, err
	}
	return strings.TrimSpace(out) == full, nil
}

// TagImage gives the image named src in the cluster's containerd the name dst too (an
// existing dst is moved): e.g. name@digest, the name the kubelet's runtime looks a
// name:tag@digest reference up by.
func TagImage(src, dst string) error {
	_, err := run("ctr", "--address", ctrdSocket, "-n", "k8s.io", "images", "tag", "--force", src, dst)
	return err
}

// TrustRegistry lets the cluster's containerd pull from a plain-HTTP registry at
// hostport, which must be on the cluster's own network (the node address): containerd
// reads the host's configuration at every pull, so this takes effect at once. The
// returned function removes it.
func TrustRegistry(hostport string) (remove func() error, err error) {
	dir := filepath.Join(registryHosts, hostport)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	// containerd 1.6 refuses a hosts.toml without a [host] table ("invalid `host` tree")
	// and then falls back to HTTPS: the host entry is what makes it pull over HTTP.
	url := "http://" + hostport
	hosts := fmt.Sprintf("# a registry on the cluster's own network, without TLS\nserver = %q\n\n[host.%q]\n  capabilities = [\"pull\", \"resolve\"]\n", url, url)
	if err := os.WriteFile(filepath.Join(dir, "hosts.toml"), []byte(hosts), 0o644); err != nil {
		return nil, err
	}
	return func() error { return os.RemoveAll(dir) }, nil
}
