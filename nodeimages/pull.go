// Package nodeimages puts the images a release needs where the cluster's nodes find
// them: pulled on the host's network into a cache outside the clone (the embedded
// cluster's pods have no route out, on purpose: only this pull uses the network) and
// imported into the embedded cluster's containerd, or loaded into a kind cluster's
// nodes. A cached tarball is verified against the digests recorded when it was pulled
// before it is used again.
package nodeimages

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// Puller fetches images for one platform into CacheDir.
type Puller struct {
	CacheDir string
	Platform v1.Platform
	// Out receives the progress (nil: none); a terminal gets a redrawn line.
	Out io.Writer
	// Reach bounds the wait for the registry's first answer: without a network the
	// caller hears so in seconds, not after a TCP timeout.
	Reach time.Duration
	// Options are extra remote options (tests: a transport).
	Options []remote.Option
}

// New is a Puller for linux on this machine's architecture, with the default cache.
func New(out io.Writer) *Puller {
	return &Puller{CacheDir: DefaultCacheDir(), Platform: v1.Platform{OS: "linux", Architecture: runtime.GOARCH},
		Out: out, Reach: 20 * time.Second}
}

// DefaultCacheDir is $KOTAEMON_IMAGE_CACHE, else a directory outside any clone (next to
// the embedded cluster's cache), so a fresh clone reuses what an earlier one pulled.
func DefaultCacheDir() string {
	if d := os.Getenv("KOTAEMON_IMAGE_CACHE"); d != "" {
		return d
	}
	if os.Geteuid() == 0 {
		return "/var/cache/kotaemon-k8s/images"
	}
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "kotaemon-k8s", "images")
	}
	return filepath.Join(os.TempDir(), "kotaemon-k8s-images")
}

// UnreachableError is a registry that could not be asked (no network, a refusal, no
// such image): the image cannot be pulled from here.
type UnreachableError struct {
	Ref string
	Err error
}

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("cannot pull %s from its registry: %v", e.Ref, e.Err)
}

func (e *UnreachableError) Unwrap() error { return e.Err }

// record is what a pull leaves beside its tarball, to verify it by later.
type record struct {
	Ref      string   `json:"ref"`
	Platform string   `json:"platform"`
	Digest   string   `json:"digest"` // of the platform's manifest in the registry
	Config   string   `json:"config"` // the image ID
	Layers   []string `json:"layers"` // compressed layer digests, in order
	Size     int64    `json:"size"`   // bytes of the layers
	Pulled   string   `json:"pulled"`
}

var unsafeChars = regexp.MustCompile(`[^a-zA-Z0-9._-]+`)

// dir is the cache entry of ref for the platform.
func (p *Puller) dir(ref name.Reference) string {
	key := unsafeChars.ReplaceAllString(ref.Name()+"_"+p.Platform.String(), "_")
	return filepath.Join(p.CacheDir, key)
}

// Cached returns the verified tarball of ref when the cache holds one.
func (p *Puller) Cached(ref string) (string, bool, error) {
	r, err := parse(ref)
	if err != nil {
		return "", false, err
	}
	tar := filepath.Join(p.dir(r), "image.tar")
	rec, err := readRecord(filepath.Join(p.dir(r), "record.json"))
	if errors.Is(err, os.ErrNotExist) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	if err := verify(tar, rec); err != nil {
		return "", false, fmt.Errorf("cached %s does not verify (%v): delete %s to pull it again", ref, err, p.dir(r))
	}
	return tar, true, nil
}

// Recorded reports whether the cache holds a pull of ref (its tarball is verified when
// it is used, by Cached).
func (p *Puller) Recorded(ref string) bool {
	r, err := parse(ref)
	if err != nil {
		return false
	}
	_, err = readRecord(filepath.Join(p.dir(r), "record.json"))
	return err == nil
}

// Reachable asks ref's registry for the platform's image, bounded by Reach, and pulls
// nothing: an UnreachableError says why it cannot be pulled from here.
func (p *Puller) Reachable(ctx context.Context, ref string) error {
	r, err := parse(ref)
	if err != nil {
		return err
	}
	_, _, err = p.resolve(ctx, r)
	return err
}

// Fetch returns a docker-archive tarball of ref: the cached one when it verifies, else
// one pulled now with progress on Out.
func (p *Puller) Fetch(ctx context.Context, ref string) (string, error) {
	if tar, ok, err := p.Cached(ref); ok || err != nil {
		return tar, err
	}
	r, err := parse(ref)
	if err != nil {
		return "", err
	}
	tag, ok := r.(name.Tag)
	if !ok {
		return "", fmt.Errorf("%s: only tagged references can be imported (a docker archive names its image by tag)", ref)
	}
	img, digest, err := p.resolve(ctx, r)
	if err != nil {
		return "", err
	}
	rec, err := describe(ref, p.Platform, digest, img)
	if err != nil {
		return "", &UnreachableError{Ref: ref, Err: err}
	}
	dir := p.dir(r)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	tmp := filepath.Join(dir, "image.tar.partial")
	if err := p.write(ctx, tmp, tag, img, rec.Size); err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("pulling %s: %w", ref, err)
	}
	if err := verify(tmp, rec); err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("pulled %s does not verify: %w", ref, err)
	}
	tar := filepath.Join(dir, "image.tar")
	if err := os.Rename(tmp, tar); err != nil {
		return "", err
	}
	return tar, writeRecord(filepath.Join(dir, "record.json"), rec)
}

func parse(ref string) (name.Reference, error) {
	r, err := name.ParseReference(ref)
	if err != nil {
		return nil, fmt.Errorf("image reference %q: %w", ref, err)
	}
	return r, nil
}

// resolve asks the registry for the platform's image, bounded by Reach.
func (p *Puller) resolve(ctx context.Context, r name.Reference) (v1.Image, string, error) {
	rctx, cancel := context.WithTimeout(ctx, p.Reach)
	defer cancel()
	opts := append([]remote.Option{remote.WithContext(rctx), remote.WithPlatform(p.Platform),
		remote.WithAuthFromKeychain(authn.DefaultKeychain)}, p.Options...)
	desc, err := remote.Get(r, opts...)
	if err != nil {
		return nil, "", &UnreachableError{Ref: r.String(), Err: err}
	}
	img, err := desc.Image() // for an index, the manifest of p.Platform
	if err != nil {
		return nil, "", &UnreachableError{Ref: r.String(), Err: err}
	}
	digest, err := img.Digest()
	if err != nil {
		return nil, "", &UnreachableError{Ref: r.String(), Err: err}
	}
	// The layers are fetched later with the caller's context, not the reach bound.
	img, err = remote.Image(r.Context().Digest(digest.String()), append([]remote.Option{remote.WithContext(ctx),
		remote.WithAuthFromKeychain(authn.DefaultKeychain)}, p.Options...)...)
	if err != nil {
		return nil, "", &UnreachableError{Ref: r.String(), Err: err}
	}
	return img, digest.String(), nil
}

// write streams img into a docker archive at path, reporting progress.
func (p *Puller) write(ctx context.Context, path string, tag name.Tag, img v1.Image, size int64) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	updates := make(chan v1.Update, 16)
	bar := newBar(p.Out, tag.String(), p.Platform.String(), size)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for u := range updates {
			bar.update(u.Complete, u.Total)
		}
	}()
	werr := tarball.Write(tag, img, &ctxWriter{ctx: ctx, w: f}, tarball.WithProgress(updates))
	close(updates) // the writer sends from inside Write only, and never closes the channel
	<-done
	bar.finish(werr)
	if werr != nil {
		return werr
	}
	return f.Close()
}

// ctxWriter stops a long write when ctx ends (an interrupted install).
type ctxWriter struct {
	ctx context.Context
	w   io.Writer
}

func (c *ctxWriter) Write(b []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.w.Write(b)
}

func describe(ref string, plat v1.Platform, digest string, img v1.Image) (*record, error) {
	cfg, err := img.ConfigName()
	if err != nil {
		return nil, err
	}
	layers, err := img.Layers()
	if err != nil {
		return nil, err
	}
	rec := &record{Ref: ref, Platform: plat.String(), Digest: digest, Config: cfg.String(), Pulled: time.Now().UTC().Format(time.RFC3339)}
	for _, l := range layers {
		d, err := l.Digest()
		if err != nil {
			return nil, err
		}
		n, err := l.Size()
		if err != nil {
			return nil, err
		}
		rec.Layers = append(rec.Layers, d.String())
		rec.Size += n
	}
	return rec, nil
}

// verify recomputes the tarball's config and layer digests from its bytes and compares
// them with the record.
func verify(path string, rec *record) error {
	img, err := tarball.ImageFromPath(path, nil)
	if err != nil {
		return err
	}
	cfg, err := img.ConfigName()
	if err != nil {
		return err
	}
	if cfg.String() != rec.Config {
		return fmt.Errorf("config %s, recorded %s", cfg, rec.Config)
	}
	layers, err := img.Layers()
	if err != nil {
		return err
	}
	if len(layers) != len(rec.Layers) {
		return fmt.Errorf("%d layers, recorded %d", len(layers), len(rec.Layers))
	}
	for i, l := range layers {
		rc, err := l.Compressed()
		if err != nil {
			return err
		}
		h, _, err := v1.SHA256(rc)
		rc.Close()
		if err != nil {
			return fmt.Errorf("layer %d: %w", i, err)
		}
		if h.String() != rec.Layers[i] {
			return fmt.Errorf("layer %d is %s, recorded %s", i, h, rec.Layers[i])
		}
	}
	return nil
}

func readRecord(path string) (*record, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var rec record
	if err := json.Unmarshal(b, &rec); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &rec, nil
}

func writeRecord(path string, rec *record) error {
	b, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}
