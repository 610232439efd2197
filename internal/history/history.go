// Package history keeps what the probe advisor sizes probes from: each start-up of the
// app with its phases, each stall of the app's routes, and recent check latencies. It is
// bounded, survives restarts of the container in a small JSON file on the data volume,
// and the agent serves it to authenticated callers. Metrics say the same since the last
// start of the agent; this file says it across restarts, without Prometheus.
package history

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"
)

// Bounds of what is kept: the newest entries win.
const (
	MaxStarts    = 256 // start-ups: enough for a P99 with a few to spare
	MaxStalls    = 256
	MaxLatencies = 128 // per check
)

// Version of the file's layout.
const Version = 1

// Start-up phases, in the order they happen.
const (
	PhaseBound    = "bound"    // the app's port accepts connections
	PhaseAnswered = "answered" // the app answered a request
	PhaseReady    = "ready"    // the agent answered readiness with 200
)

// How a stall ended.
const (
	EndedByAnswer  = "answer"  // the route answered again
	EndedByRestart = "restart" // the container restarted first: the duration runs to the restart
)

// Start is one start-up: when it began (the app's process start in wrapper mode, the
// agent's own start in sidecar mode) and the seconds to each phase it reached.
type Start struct {
	At     time.Time          `json:"at"`
	Phases map[string]float64 `json:"phases"`
}

// Stall is one episode during which an app route stopped answering after the app had
// started.
type Stall struct {
	Route   string    `json:"route"`
	At      time.Time `json:"at"`
	Seconds float64   `json:"seconds"`
	EndedBy string    `json:"endedBy"`
}

// OpenStall is a stall still going on when the file was last written.
type OpenStall struct {
	Route string    `json:"route"`
	At    time.Time `json:"at"`
}

// Data is the whole history, as written and served.
type Data struct {
	Version int    `json:"version"`
	Mode    string `json:"mode"` // supervise or serve: what a start is measured from
	// ResolutionSeconds is how often, at least, the agent asked the app's live route:
	// phases and stalls are known to within it (0: only when probes asked).
	ResolutionSeconds float64 `json:"resolutionSeconds,omitempty"`
	Starts            []Start
	Stalls            []Stall
	Open              []OpenStall `json:"open,omitempty"`
	// Seconds of each check's recent passed runs (a failed run's time says nothing
	// about how long the dependency takes to answer).
	CheckLatencies map[string][]float64 `json:"checkLatencies"`
}

// Recorder keeps the history in memory and in its file. It is safe for concurrent use.
// Recording never touches the disk: the agent records from inside probe requests, and a
// slow data volume must not hold a probe. Start-ups and stalls wake the writer (Run),
// check latencies wait for its next round. A file that cannot be read or written is
// logged once and the history goes on in memory: observations never stop the agent.
type Recorder struct {
	mu      sync.Mutex // guards data, dirty
	data    Data
	dirty   bool
	writeMu sync.Mutex // one write at a time; guards warned
	warned  bool
	path    string // "" keeps the history in memory only
	wake    chan struct{}
	log     *slog.Logger
}

// Open loads the history from path (a missing file is an empty history), or keeps it in
// memory when path is empty. Stalls that were open when the file was last written ended
// with the restart that interrupted them, now.
func Open(path, mode string, log *slog.Logger, now time.Time) *Recorder {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	r := &Recorder{path: path, log: log, wake: make(chan struct{}, 1), data: Data{Version: Version, Mode: mode, CheckLatencies: map[string][]float64{}}}
	if path != "" {
		r.load()
	}
	r.data.Mode = mode
	for _, o := range r.data.Open {
		r.appendStall(Stall{Route: o.Route, At: o.At, Seconds: now.Sub(o.At).Seconds(), EndedBy: EndedByRestart})
	}
	if len(r.data.Open) > 0 {
		r.data.Open = nil
		r.Flush()
	}
	return r
}

// load reads the file; a file that does not parse is kept aside (path.corrupt), never
// overwritten unread.
func (r *Recorder) load() {
	raw, err := os.ReadFile(r.path)
	if errors.Is(err, fs.ErrNotExist) {
		return
	}
	if err == nil {
		var d Data
		if err = json.Unmarshal(raw, &d); err == nil && d.Version != Version {
			err = fmt.Errorf("version %d, this agent writes %d", d.Version, Version)
		}
		if err == nil {
			if d.CheckLatencies == nil {
				d.CheckLatencies = map[string][]float64{}
			}
			r.data = d
			return
		}
		aside := r.path + ".corrupt"
		if rerr := os.Rename(r.path, aside); rerr == nil {
			r.log.Warn("history file unreadable: kept aside, starting a new one", "path", r.path, "aside", aside, "error", err.Error())
			return
		}
	}
	r.warned = true
	r.log.Warn("history file unreadable: keeping the history in memory", "path", r.path, "error", err.Error())
	r.path = ""
}

// SetResolution records how often, at least, the agent asks the app's live route.
func (r *Recorder) SetResolution(every time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.data.ResolutionSeconds = every.Seconds()
	r.dirty = true
}

// StartBegan opens a new start-up at the given time. A start that reached no phase yet
// is moved, not kept (the agent learns the app's process start just after its own).
func (r *Recorder) StartBegan(at time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if n := len(r.data.Starts); n > 0 && len(r.data.Starts[n-1].Phases) == 0 {
		r.data.Starts[n-1].At = at
	} else {
		r.data.Starts = keepLast(append(r.data.Starts, Start{At: at, Phases: map[string]float64{}}), MaxStarts)
	}
	r.dirty = true
}

// Phase records the seconds from the current start to one of its phases, once.
func (r *Recorder) Phase(phase string, took time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := len(r.data.Starts)
	if n == 0 {
		return
	}
	cur := &r.data.Starts[n-1]
	if _, seen := cur.Phases[phase]; seen {
		return
	}
	cur.Phases[phase] = took.Seconds()
	r.changed()
}

// StallBegan notes that a route stopped answering at the given time.
func (r *Recorder) StallBegan(route string, at time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, o := range r.data.Open {
		if o.Route == route {
			return
		}
	}
	r.data.Open = append(r.data.Open, OpenStall{Route: route, At: at})
	r.changed()
}

// StallEnded closes a route's stall and returns its length (0 when none was open).
func (r *Recorder) StallEnded(route string, at time.Time) time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, o := range r.data.Open {
		if o.Route != route {
			continue
		}
		r.data.Open = append(r.data.Open[:i:i], r.data.Open[i+1:]...)
		took := at.Sub(o.At)
		r.appendStall(Stall{Route: route, At: o.At, Seconds: took.Seconds(), EndedBy: EndedByAnswer})
		r.changed()
		return took
	}
	return 0
}

// CheckLatency keeps one passed run's duration (written with the next event or Flush).
func (r *Recorder) CheckLatency(check string, took time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.data.CheckLatencies[check] = keepLast(append(r.data.CheckLatencies[check], took.Seconds()), MaxLatencies)
	r.dirty = true
}

// Run writes the history when a start-up or a stall wakes it, at least every period
// (check latencies), and once more when ctx ends.
func (r *Recorder) Run(ctx context.Context, every time.Duration) {
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			r.Flush()
			return
		case <-r.wake:
		case <-tick.C:
		}
		r.Flush()
	}
}

// changed marks the history to write and wakes the writer (under mu).
func (r *Recorder) changed() {
	r.dirty = true
	select {
	case r.wake <- struct{}{}:
	default: // a wake-up is already pending
	}
}

// Flush writes what changed since the last write, the file whole (a temporary file, then
// a rename: a reader or a crash never sees half of it). The disk is touched outside mu.
func (r *Recorder) Flush() {
	r.writeMu.Lock()
	defer r.writeMu.Unlock()
	if r.path == "" {
		return
	}
	theirs, _ := os.ReadFile(r.path)
	r.mu.Lock()
	if !r.dirty {
		r.mu.Unlock()
		return
	}
	r.mergeFile(theirs)
	raw, err := json.Marshal(r.data)
	r.dirty = false
	r.mu.Unlock()
	if err == nil {
		err = os.MkdirAll(filepath.Dir(r.path), 0o750)
	}
	if err == nil {
		tmp := r.path + ".tmp"
		if err = os.WriteFile(tmp, raw, 0o640); err == nil {
			err = os.Rename(tmp, r.path)
		}
	}
	if err != nil {
		r.mu.Lock()
		r.dirty = true
		r.mu.Unlock()
		if !r.warned {
			r.warned = true
			r.log.Warn("history file not written: keeping the history in memory", "path", r.path, "error", err.Error())
		}
	}
}

// MarshalJSON is the history as written and served.
func (r *Recorder) MarshalJSON() ([]byte, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return json.Marshal(r.data)
}

// Snapshot is a deep copy of the history.
func (r *Recorder) Snapshot() Data {
	raw, _ := r.MarshalJSON()
	var d Data
	_ = json.Unmarshal(raw, &d)
	return d
}

func (r *Recorder) appendStall(s Stall) {
	r.data.Stalls = keepLast(append(r.data.Stalls, s), MaxStalls)
	r.dirty = true
}

// mergeFile takes in what another agent wrote to the file since: while a replaced pod
// stops, its successor already runs on the same volume, and neither may erase the other's
// start-ups and stalls. Entries are the same when they began at the same time (and
// route); open stalls stay each agent's own. raw is the file as read (under mu).
func (r *Recorder) mergeFile(raw []byte) {
	var theirs Data
	if json.Unmarshal(raw, &theirs) != nil || theirs.Version != Version {
		return
	}
	starts := map[int64]int{}
	for i, st := range r.data.Starts {
		starts[st.At.UnixNano()] = i
	}
	for _, st := range theirs.Starts {
		if i, ok := starts[st.At.UnixNano()]; ok {
			for p, v := range st.Phases {
				if _, have := r.data.Starts[i].Phases[p]; !have {
					r.data.Starts[i].Phases[p] = v
				}
			}
			continue
		}
		r.data.Starts = append(r.data.Starts, st)
	}
	slices.SortStableFunc(r.data.Starts, func(a, b Start) int { return a.At.Compare(b.At) })
	r.data.Starts = keepLast(r.data.Starts, MaxStarts)
	// By the instant, not its String(): a time read from the clock prints its monotonic
	// reading too, which the file does not keep.
	type stallKey struct {
		route string
		at    int64
	}
	stalls := map[stallKey]bool{}
	for _, st := range r.data.Stalls {
		stalls[stallKey{st.Route, st.At.UnixNano()}] = true
	}
	for _, st := range theirs.Stalls {
		if !stalls[stallKey{st.Route, st.At.UnixNano()}] {
			r.data.Stalls = append(r.data.Stalls, st)
		}
	}
	slices.SortStableFunc(r.data.Stalls, func(a, b Stall) int { return a.At.Compare(b.At) })
	r.data.Stalls = keepLast(r.data.Stalls, MaxStalls)
	for name, l := range theirs.CheckLatencies {
		if _, ok := r.data.CheckLatencies[name]; !ok {
			r.data.CheckLatencies[name] = l
		}
	}
}

func keepLast[T any](s []T, n int) []T {
	if len(s) <= n {
		return s
	}
	return append(s[:0:0], s[len(s)-n:]...)
}
