package kotaemon

// The deploy suite asserts on what the process saw (when it bound, when SIGTERM came,
// what it answered), so every such fact is recorded here and served as one JSON State.

import (
	"maps"
	"sync"
	"time"
)

// State is the JSON of GET /state on the control port.
type State struct {
	PID            int        `json:"pid"`
	AppID          string     `json:"appId"`          // what /app_id answers; new per process
	StartedAt      time.Time  `json:"startedAt"`      // process start
	BoundAt        *time.Time `json:"boundAt"`        // null until the app port is open
	AppAddr        string     `json:"appAddr"`        // bound app address; "" until bound
	StartupSeconds float64    `json:"startupSeconds"` // configured delay of this start
	NeverStart     bool       `json:"neverStart"`     // this start never opens the app port
	IgnoreSigterm  bool       `json:"ignoreSigterm"`  // SIGTERM/SIGINT are logged and ignored
	SSO            bool       `json:"sso"`            // the SSO entrypoint's shape: Gradio under /app behind a login
	Fault          Fault      `json:"fault"`          // none, deadlock, exhaust or crash
	Workers        int        `json:"workers"`        // pool size
	WorkersBusy    int        `json:"workersBusy"`    // workers held by requests (not by exhaust)
	NextStart      *NextStart `json:"nextStart"`      // persisted settings for the next start
	MarkerFound    bool       `json:"markerFound"`    // an earlier start left its marker
	Starts         int        `json:"starts"`         // starts counted by the marker, this one included
	MarkerError    string     `json:"markerError"`    // why the data dir could not be used; "" if fine
	NextStartError string     `json:"nextStartError"` // why the persisted settings were unreadable
	SigtermAt      *time.Time `json:"sigtermAt"`      // null until the first stop signal (SIGTERM or SIGINT)
	StopSignal     string     `json:"stopSignal"`     // which one that was: "SIGTERM" or "SIGINT"
	// PreviousSigtermAt is when the previous process on the data dir got SIGTERM (its
	// marker): how a test learns it after that process and its pod are gone.
	PreviousSigtermAt *time.Time `json:"previousSigtermAt"`
	// Users are Kotaemon's users as this start left them on the data dir (users.go), and
	// AdminCreated whether this start created the admin its environment names.
	Users        []User           `json:"users"`
	AdminCreated bool             `json:"adminCreated"`
	UsersError   string           `json:"usersError"` // why the users could not be read or written
	Served       map[string]int64 `json:"served"`     // route -> answered requests
	InFlight     int64            `json:"inFlight"`   // app requests not yet answered
	Queued       int64            `json:"queued"`     // streamed answers waiting for the chat event's concurrency
	Tabs         int64            `json:"tabs"`       // open /heartbeat streams (one per browser tab), counted in InFlight too
	Now          time.Time        `json:"now"`        // when this state was read: the process clock, to relate its times to another's
}

// recorder guards the mutable part of State; handlers and the lifecycle both write it.
type recorder struct {
	mu sync.Mutex
	st State
}

func newRecorder(base State) *recorder {
	base.Served = map[string]int64{}
	if base.Fault == "" {
		base.Fault = FaultNone
	}
	return &recorder{st: base}
}

func (r *recorder) snapshot() State {
	r.mu.Lock()
	defer r.mu.Unlock()
	st := r.st
	st.Now = time.Now()
	st.Served = maps.Clone(r.st.Served)
	st.BoundAt = copyTime(r.st.BoundAt)
	st.SigtermAt = copyTime(r.st.SigtermAt)
	st.PreviousSigtermAt = copyTime(r.st.PreviousSigtermAt)
	if r.st.NextStart != nil {
		ns := *r.st.NextStart
		st.NextStart = &ns
	}
	return st
}

func (r *recorder) update(f func(*State)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	f(&r.st)
}

func (r *recorder) bound(addr string, at time.Time) {
	r.update(func(st *State) { st.AppAddr, st.BoundAt = addr, &at })
}

// signalled keeps the first arrival: the suite measures the drain from it.
func (r *recorder) signalled(at time.Time, sig string) {
	r.update(func(st *State) {
		if st.SigtermAt == nil {
			st.SigtermAt, st.StopSignal = &at, sig
		}
	})
}

func (r *recorder) served(route string) {
	r.update(func(st *State) { st.Served[route]++ })
}

func (r *recorder) queued(delta int64) {
	r.update(func(st *State) { st.Queued += delta })
}

func (r *recorder) tabs(delta int64) {
	r.update(func(st *State) { st.Tabs += delta })
}

func (r *recorder) inFlight(delta int64) {
	r.update(func(st *State) { st.InFlight += delta })
}

func copyTime(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	c := *t
	return &c
}
