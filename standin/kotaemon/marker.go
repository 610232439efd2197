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
	// LastSigtermAt is when the process of LastPID got SIGTERM or SIGINT (null: not yet,
	// or never: it was killed or crashed): the record outlives the process and its pod.
	LastSigtermAt *time.Time `json:"lastSigtermAt"`
}

type markerResult struct {
	found  bool
	starts int
	// previousSigterm is when the previous process got SIGTERM (nil: never, or no marker).
	previousSigterm *time.Time
	err             error // the data dir could not be used; the start carries on regardless
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
	res := markerResult{found: found, starts: m.Starts, previousSigterm: prev.LastSigtermAt, err: readErr}
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

// recordSigterm writes into the marker when this process (pid) got SIGTERM, so the next
// start can tell even after this pod is gone.
func recordSigterm(dir string, pid int, at time.Time) error {
	m, found, err := readMarker(filepath.Join(dir, MarkerFile))
	if err != nil {
		return err
	}
	if !found || m.LastPID != pid {
		return fmt.Errorf("the marker in %s is not this process's", dir)
	}
	m.LastSigtermAt = &at
	data, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return writeFileAtomic(dir, MarkerFile, data)
}
