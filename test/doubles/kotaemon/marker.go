package kotaemon

// The marker proves the data dir is a volume: a start that finds its predecessor's
// marker ran on the same storage, one that does not lost it (emptyDir, wrong mount).

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// MarkerFile is the marker's name inside the data dir.
const MarkerFile = "standin-marker.json"

type marker struct {
	Starts       int       `json:"starts"`
	FirstStartAt time.Time `json:"firstStartAt"`
	LastStartAt  time.Time `json:"lastStartAt"`
	LastPID      int       `json:"lastPid"`
	LastAppID    string    `json:"lastAppId"`
}

type markerResult struct {
	found  bool
	starts int
	err    error // the data dir could not be used; the start carries on regardless
}

// recordStart creates the data dir if needed, counts this start and writes the marker.
func recordStart(dir string, now time.Time, pid int, appID string) markerResult {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return markerResult{starts: 1, err: fmt.Errorf("create data dir: %w", err)}
	}
	prev, found, readErr := readMarker(filepath.Join(dir, MarkerFile))
	m := marker{Starts: 1, FirstStartAt: now, LastStartAt: now, LastPID: pid, LastAppID: appID}
	if found {
		m.Starts, m.FirstStartAt = prev.Starts+1, prev.FirstStartAt
	}
	res := markerResult{found: found, starts: m.Starts, err: readErr}
	data, err := json.Marshal(m)
	if err == nil {
		err = writeFileAtomic(dir, MarkerFile, data)
	}
	if err != nil {
		res.err = errors.Join(res.err, fmt.Errorf("write marker: %w", err))
	}
	return res
}

// readMarker treats a missing file as a first start and an unreadable one as an error
// that a fresh marker will overwrite.
func readMarker(path string) (marker, bool, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return marker{}, false, nil
	}
	if err != nil {
		return marker{}, false, fmt.Errorf("read marker: %w", err)
	}
	var m marker
	if err := json.Unmarshal(data, &m); err != nil {
		return marker{}, false, fmt.Errorf("parse marker %s: %w", path, err)
	}
	return m, true, nil
}
