package kotaemon

// A restart test needs the NEXT container start to misbehave (never bind, bind late),
// and only the data-dir volume survives a restart, so those settings are kept there.

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// NextStartFile is where the next-start settings live inside the data dir.
const NextStartFile = "standin-next-start.json"

// NextStart overrides the start-up flags of every later start until normal-start.
type NextStart struct {
	NeverStart     bool    `json:"neverStart"`
	StartupSeconds float64 `json:"startupSeconds"`
}

// startup is the delay this setting asks for.
func (n NextStart) startup() time.Duration {
	return durationOf(n.StartupSeconds)
}

// loadNextStart returns nil when nothing is persisted.
func loadNextStart(dir string) (*NextStart, error) {
	data, err := os.ReadFile(filepath.Join(dir, NextStartFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read next-start settings: %w", err)
	}
	var n NextStart
	if err := json.Unmarshal(data, &n); err != nil {
		return nil, fmt.Errorf("parse next-start settings: %w", err)
	}
	return &n, nil
}

func saveNextStart(dir string, n NextStart) error {
	data, err := json.Marshal(n)
	if err != nil {
		return fmt.Errorf("encode next-start settings: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create data dir: %w", err)
	}
	return writeFileAtomic(dir, NextStartFile, data)
}

func clearNextStart(dir string) error {
	err := os.Remove(filepath.Join(dir, NextStartFile))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove next-start settings: %w", err)
	}
	return nil
}
