package chart

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
)

// ArchiveEnv names the chart archive `make package` wrote; make test-deploy passes it.
const ArchiveEnv = "KOTAEMON_CHART_ARCHIVE"

var (
	archiveOnce sync.Once
	archivePath string
	archiveErr  error
)

// Archive is the packaged chart the cluster suites install, so that what a user
// installs from a release (a file .helmignore left out included) is what is tested:
// $KOTAEMON_CHART_ARCHIVE, else the chart packaged once by the pinned helm into a
// temporary directory.
func Archive() (string, error) {
	archiveOnce.Do(func() {
		if archivePath = os.Getenv(ArchiveEnv); archivePath != "" {
			_, archiveErr = os.Stat(archivePath)
			return
		}
		helm, err := UseHelm()
		if err != nil {
			archiveErr = err
			return
		}
		dir, err := os.MkdirTemp("", "kotaemon-chart-")
		if err != nil {
			archiveErr = err
			return
		}
		out, err := exec.Command(helm, "package", Dir(), "--destination", dir).CombinedOutput()
		if err != nil {
			archiveErr = fmt.Errorf("helm package: %w: %s", err, out)
			return
		}
		matches, _ := filepath.Glob(filepath.Join(dir, "kotaemon-*.tgz"))
		if len(matches) != 1 {
			archiveErr = fmt.Errorf("helm package wrote %v, want one archive: %s", matches, strings.TrimSpace(string(out)))
			return
		}
		archivePath = matches[0]
	})
	return archivePath, archiveErr
}
