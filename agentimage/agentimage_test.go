package agentimage

import (
	"archive/tar"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"kotaemon-k8s/ociimage"
)

// root is the module's root, seen from this package.
const root = ".."

var valuesFile = filepath.Join(root, "charts", "kotaemon", "values.yaml")

// Two builds of this tree, one in a copy of it at another path with an empty build
// cache, give one digest, and it is the digest values.yaml pins: the chart never names
// an older build of the agent, and anyone can check the published digest by building
// the tree. A change to the agent, its modules, the toolchain or the tag fails here
// until `make pin-agent` pins the new build.
func TestTheAgentImageIsReproducibleAndIsTheOneTheChartPins(t *testing.T) {
	t.Parallel()
	pin, err := ReadPin(valuesFile)
	require.NoError(t, err)

	here, err := Build(root, t.TempDir(), pin.Tag)
	require.NoError(t, err)

	elsewhere := copyTree(t)
	again, err := Build(elsewhere, t.TempDir(), pin.Tag, "GOCACHE="+t.TempDir())
	require.NoError(t, err)

	assert.Equal(t, here.Digest, again.Digest, "two builds of one tree (another path, an empty build cache) differ")
	assert.Equal(t, pin.Digest, here.Digest, "values.yaml's health.image.digest is not what this tree builds: run `make pin-agent` and commit")
}

// copyTree copies the files git knows of (tracked, and new ones not ignored) as they are
// in the working tree to a temporary directory.
func copyTree(t *testing.T) string {
	t.Helper()
	list, err := exec.Command("git", "-C", root, "ls-files", "-z", "--cached", "--others", "--exclude-standard").Output()
	require.NoError(t, err)
	dst := t.TempDir()
	for _, f := range strings.Split(strings.TrimRight(string(list), "\x00"), "\x00") {
		src := filepath.Join(root, f)
		fi, err := os.Lstat(src)
		if os.IsNotExist(err) {
			continue // deleted in the working tree
		}
		require.NoError(t, err)
		if !fi.Mode().IsRegular() {
			continue
		}
		b, err := os.ReadFile(src)
		require.NoError(t, err)
		require.NoError(t, os.MkdirAll(filepath.Join(dst, filepath.Dir(f)), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(dst, f), b, fi.Mode().Perm()))
	}
	return dst
}

// SetPin changes health.image's four values and not one other byte of values.yaml.
func TestSetPinChangesOnlyTheFourKeys(t *testing.T) {
	t.Parallel()
	before, err := os.ReadFile(valuesFile)
	require.NoError(t, err)
	want := Pin{Registry: "ghcr.io/acme", Repository: "kotaemon-health", Tag: "9.9.9", Digest: "sha256:" + strings.Repeat("ab", 32)}
	after, err := SetPin(before, want)
	require.NoError(t, err)

	file := filepath.Join(t.TempDir(), "values.yaml")
	require.NoError(t, os.WriteFile(file, after, 0o644))
	got, err := ReadPin(file)
	require.NoError(t, err)
	assert.Equal(t, want, got)

	b, a := strings.Split(string(before), "\n"), strings.Split(string(after), "\n")
	require.Len(t, a, len(b), "no line added or removed")
	var changed []string
	for i := range b {
		if b[i] != a[i] {
			changed = append(changed, strings.TrimSpace(a[i]))
		}
	}
	assert.ElementsMatch(t, []string{`registry: "ghcr.io/acme"`, `tag: "9.9.9"`, `digest: "` + want.Digest + `"`}, changed,
		"the repository is already kotaemon-health; every other line stays")
}

func TestAPinNamesWhatIsWrong(t *testing.T) {
	t.Parallel()
	err := Pin{Repository: "kotaemon-health", Digest: "sha256:abc"}.Check()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "health.image.tag is empty")
	assert.Contains(t, err.Error(), `health.image.digest "sha256:abc"`)
	_, err = SetPin([]byte("health:\n  image: {}\n"), Pin{Repository: "r", Tag: "1", Digest: "sha256:" + strings.Repeat("0", 64)})
	assert.ErrorContains(t, err, "health.image.registry is not a scalar")
}

func TestReferencesNameTheDigest(t *testing.T) {
	t.Parallel()
	p := Pin{Registry: "reg.example:5000/team/", Repository: "kotaemon-health", Tag: "0.1.0", Digest: "sha256:" + strings.Repeat("1", 64)}
	assert.Equal(t, "reg.example:5000/team/kotaemon-health:0.1.0", p.Tagged())
	assert.Equal(t, "reg.example:5000/team/kotaemon-health:0.1.0@"+p.Digest, p.Ref())
	assert.Equal(t, "reg.example:5000/team/kotaemon-health@"+p.Digest, p.DigestRef())
	p.Registry = ""
	assert.Equal(t, "kotaemon-health:0.1.0@"+p.Digest, p.Ref())
}

// The archive `make image` writes carries the index whose digest a registry serves it
// under, named for the nodes that load it, and reading it back gives that pin.
func TestTheArchiveCarriesTheIndexAndItsDigest(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bins := map[string]string{}
	for _, arch := range Archs {
		bins[arch] = filepath.Join(dir, arch)
		require.NoError(t, os.WriteFile(bins[arch], []byte(arch), 0o644))
	}
	idx, err := ociimage.Binary("x", Path, bins).Index()
	require.NoError(t, err)
	d, err := idx.Digest()
	require.NoError(t, err)
	im := &Image{Tag: "0.1.0", Index: idx, Digest: d.String()}
	file, err := im.WriteArchive(dir)
	require.NoError(t, err)
	assert.Equal(t, ArchivePath(dir, "0.1.0"), file)

	gotFile, pin, err := ReadArchive(dir, "0.1.0")
	require.NoError(t, err)
	assert.Equal(t, file, gotFile)
	assert.Equal(t, Pin{Registry: LocalRegistry, Repository: Repository, Tag: "0.1.0", Digest: d.String()}, pin)
	var index struct {
		Manifests []struct{ Annotations map[string]string }
	}
	require.NoError(t, json.Unmarshal([]byte(indexJSON(t, file)), &index))
	require.Len(t, index.Manifests, 1)
	assert.Equal(t, "localhost/kotaemon-health:0.1.0", index.Manifests[0].Annotations["org.opencontainers.image.ref.name"])

	_, _, err = ReadArchive(t.TempDir(), "0.1.0")
	assert.ErrorContains(t, err, "make image")
}

func indexJSON(t *testing.T, file string) string {
	t.Helper()
	f, err := os.Open(file)
	require.NoError(t, err)
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		require.NoError(t, err)
		if h.Name == "index.json" {
			b, err := io.ReadAll(tr)
			require.NoError(t, err)
			return string(b)
		}
	}
}
