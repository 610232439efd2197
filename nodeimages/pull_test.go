package nodeimages

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// registryWith serves an in-memory registry on loopback holding an index of two
// platforms under repo:tag; it returns the reference and each platform's image.
func registryWith(t *testing.T) (string, map[string]v1.Image, *httptest.Server) {
	t.Helper()
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	ref := strings.TrimPrefix(srv.URL, "http://") + "/kotaemon/app:1.0"
	images := map[string]v1.Image{}
	var idx v1.ImageIndex = empty.Index
	for _, arch := range []string{"amd64", "arm64"} {
		img, err := random.Image(64<<10, 3)
		require.NoError(t, err)
		images[arch] = img
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: img,
			Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: arch}}})
	}
	r, err := name.ParseReference(ref)
	require.NoError(t, err)
	require.NoError(t, remote.WriteIndex(r, idx))
	return ref, images, srv
}

func newPuller(t *testing.T, arch string, out *bytes.Buffer) *Puller {
	return &Puller{CacheDir: t.TempDir(), Platform: v1.Platform{OS: "linux", Architecture: arch}, Out: out, Reach: 5 * time.Second}
}

func TestFetchPullsThePlatformsImageAndThenServesItFromTheCache(t *testing.T) {
	t.Parallel()
	ref, images, srv := registryWith(t)
	var out bytes.Buffer
	p := newPuller(t, "arm64", &out)

	tar, err := p.Fetch(context.Background(), ref)
	require.NoError(t, err)
	want, err := images["arm64"].ConfigName()
	require.NoError(t, err)
	rec, err := readRecord(filepath.Join(filepath.Dir(tar), "record.json"))
	require.NoError(t, err)
	assert.Equal(t, want.String(), rec.Config, "the arm64 image of the index, not the other")
	assert.Equal(t, "linux/arm64", rec.Platform)
	assert.Contains(t, out.String(), "pulling "+ref+" (linux/arm64)")
	assert.Contains(t, out.String(), "100%")
	assert.Contains(t, out.String(), "ETA")
	assert.Contains(t, out.String(), "pulled "+ref)

	srv.Close() // the second fetch needs no registry
	out.Reset()
	again, err := p.Fetch(context.Background(), ref)
	require.NoError(t, err)
	assert.Equal(t, tar, again)
	assert.Empty(t, out.String(), "served from the cache without a word")
}

func TestACorruptedCacheIsNotUsed(t *testing.T) {
	t.Parallel()
	ref, _, _ := registryWith(t)
	p := newPuller(t, "amd64", &bytes.Buffer{})
	tar, err := p.Fetch(context.Background(), ref)
	require.NoError(t, err)
	rec, err := readRecord(filepath.Join(filepath.Dir(tar), "record.json"))
	require.NoError(t, err)
	rec.Layers[1] = "sha256:" + strings.Repeat("0", 64) // as if a layer had changed on disk
	require.NoError(t, writeRecord(filepath.Join(filepath.Dir(tar), "record.json"), rec))

	_, ok, err := p.Cached(ref)
	assert.False(t, ok)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "layer 1")
	assert.Contains(t, err.Error(), "delete "+filepath.Dir(tar))
}

func TestWithoutARegistryTheErrorNamesTheImage(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	ln.Close() // nothing listens: as refused as a registry gets
	p := newPuller(t, "amd64", &bytes.Buffer{})
	begin := time.Now()
	_, err = p.Fetch(context.Background(), addr+"/kotaemon/app:1.0")
	var unreachable *UnreachableError
	require.True(t, errors.As(err, &unreachable), "%v", err)
	assert.Equal(t, addr+"/kotaemon/app:1.0", unreachable.Ref)
	assert.Less(t, time.Since(begin), 10*time.Second)
	entries, _ := os.ReadDir(p.CacheDir)
	assert.Empty(t, entries, "nothing is left in the cache")
}

func TestAnAbsentImageIsUnreachableToo(t *testing.T) {
	t.Parallel()
	ref, _, _ := registryWith(t)
	p := newPuller(t, "amd64", &bytes.Buffer{})
	_, err := p.Fetch(context.Background(), strings.Replace(ref, ":1.0", ":2.0", 1))
	var unreachable *UnreachableError
	assert.True(t, errors.As(err, &unreachable), "%v", err)
}

func TestADigestReferenceIsRefusedWithAReason(t *testing.T) {
	t.Parallel()
	p := newPuller(t, "amd64", &bytes.Buffer{})
	_, err := p.Fetch(context.Background(), "example.invalid/app@sha256:"+strings.Repeat("a", 64))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "only tagged references")
}

func TestProgressLines(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	clock := time.Unix(0, 0)
	b := newBar(&out, "app:1", "linux/amd64", 100<<20)
	b.now = func() time.Time { return clock }
	b.start = clock
	clock = clock.Add(10 * time.Second)
	b.update(50<<20, 100<<20)
	assert.Contains(t, out.String(), "pulling app:1 (linux/amd64): 100.0 MiB to fetch")
	assert.Contains(t, out.String(), "50.0 MiB / 100.0 MiB   50%  5.0 MiB/s  ETA 10s")
	b.update(51<<20, 100<<20) // the same tenth: no new line
	assert.Equal(t, 2, strings.Count(out.String(), "\n"))
	clock = clock.Add(10 * time.Second)
	b.update(100<<20, 100<<20)
	b.finish(nil)
	assert.Contains(t, out.String(), "100%")
	assert.Contains(t, out.String(), "pulled app:1 (linux/amd64) in 20s")
}

func TestBytesIEC(t *testing.T) {
	t.Parallel()
	for n, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1024: "1.0 KiB", 3 << 29: "1.5 GiB"} {
		assert.Equal(t, want, bytesIEC(n))
	}
}
