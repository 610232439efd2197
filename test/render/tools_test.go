package render

import (
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// pinnedTool is a program a test runs, at the version make/versions.mk pins: $env when
// make passes the one it built into bin/, else installed once into the user cache with
// `go install pkg@version`, so a plain `go test` needs nothing installed by hand.
type pinnedTool struct {
	env, pkg, version string

	once sync.Once
	bin  string
	err  error
	out  []byte
}

func (p *pinnedTool) path(t *testing.T) string {
	t.Helper()
	p.once.Do(func() {
		if p.bin = os.Getenv(p.env); p.bin != "" {
			return
		}
		cache, err := os.UserCacheDir()
		if err != nil {
			p.err = err
			return
		}
		name := path.Base(p.pkg)
		dir := filepath.Join(cache, "kotaemon-k8s", name+"-"+p.version)
		p.bin = filepath.Join(dir, name)
		if _, err := os.Stat(p.bin); err == nil {
			return
		}
		cmd := exec.Command("go", "install", p.pkg+"@"+p.version)
		cmd.Env = append(os.Environ(), "GOBIN="+dir)
		p.out, p.err = cmd.CombinedOutput()
	})
	require.NoError(t, p.err, "no $%s and installing the pinned %s failed (or run `make test-render`): %s", p.env, p.pkg, p.out)
	return p.bin
}
