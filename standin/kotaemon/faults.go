package kotaemon

// The failures probes must tell apart (a hung event loop, a starved worker pool, a
// crash, a start that never finishes) are switched here, at run time, from the control port.

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"

	"kotaemon-k8s/standin/control"
)

// Fault is the kind parameter of POST /fault.
type Fault string

const (
	// FaultNone clears deadlock and exhaust.
	FaultNone Fault = "none"
	// FaultDeadlock makes every app request hang while the process stays alive.
	FaultDeadlock Fault = "deadlock"
	// FaultExhaust takes every worker: sync routes stall, /startup-events still answers.
	FaultExhaust Fault = "exhaust"
	// FaultCrash exits with code 1 right after answering the control request.
	FaultCrash Fault = "crash"
	// FaultNeverStart makes later starts never open the app port (persisted).
	FaultNeverStart Fault = "never-start"
	// FaultSlowStart makes later starts open the app port after `seconds` (persisted).
	FaultSlowStart Fault = "slow-start"
	// FaultNormalStart clears never-start and slow-start.
	FaultNormalStart Fault = "normal-start"
)

// Faults lists every kind POST /fault accepts.
var Faults = []Fault{FaultDeadlock, FaultExhaust, FaultCrash, FaultNone, FaultNeverStart, FaultSlowStart, FaultNormalStart}

// faultRequest is a parsed POST /fault.
type faultRequest struct {
	kind    Fault
	seconds float64 // slow-start only
}

// parseFaultRequest names the parameter at fault, so a failing suite says what it sent wrong.
func parseFaultRequest(q url.Values) (faultRequest, error) {
	kind := Fault(q.Get("kind"))
	if kind == "" {
		return faultRequest{}, fmt.Errorf("kind: required, one of %s", faultList())
	}
	if !slices.Contains(Faults, kind) {
		return faultRequest{}, fmt.Errorf("kind: %q is not one of %s", kind, faultList())
	}
	raw, given := q["seconds"]
	if kind != FaultSlowStart {
		if given {
			return faultRequest{}, fmt.Errorf("seconds: only applies to kind=%s", FaultSlowStart)
		}
		return faultRequest{kind: kind}, nil
	}
	if !given || raw[0] == "" {
		return faultRequest{}, fmt.Errorf("seconds: required with kind=%s", FaultSlowStart)
	}
	s, err := strconv.ParseFloat(raw[0], 64)
	if err != nil || s < 0 || s > control.MaxSeconds {
		return faultRequest{}, fmt.Errorf("seconds: %q must be a number of seconds from 0 to %d", raw[0], control.MaxSeconds)
	}
	return faultRequest{kind: kind, seconds: s}, nil
}

func faultList() string {
	names := make([]string, len(Faults))
	for i, f := range Faults {
		names[i] = string(f)
	}
	return strings.Join(names, ", ")
}

// switchFault applies a request; crash is only recorded here, the control handler
// triggers it once its answer is on the wire.
func (s *Standin) switchFault(req faultRequest) error {
	switch req.kind {
	case FaultNone, FaultDeadlock, FaultExhaust, FaultCrash:
		s.gate.shut(req.kind == FaultDeadlock)
		s.pool.hold(req.kind == FaultExhaust)
		s.rec.update(func(st *State) { st.Fault = req.kind })
	case FaultNeverStart, FaultSlowStart:
		n := NextStart{NeverStart: req.kind == FaultNeverStart, StartupSeconds: req.seconds}
		if err := saveNextStart(s.opts.DataDir, n); err != nil {
			return err
		}
		s.rec.update(func(st *State) { st.NextStart = &n })
	case FaultNormalStart:
		if err := clearNextStart(s.opts.DataDir); err != nil {
			return err
		}
		s.rec.update(func(st *State) { st.NextStart = nil })
	}
	s.log.Info("fault switched", "kind", string(req.kind), "seconds", req.seconds)
	return nil
}

// gate holds every app request while the deadlock fault is on, and lets them all go
// when it is cleared: the kernel still accepts connections, nothing is answered.
type gate struct {
	mu     sync.Mutex
	closed bool
	open   chan struct{} // closed while requests may pass
}

func newGate() *gate {
	g := &gate{open: make(chan struct{})}
	close(g.open)
	return g
}

func (g *gate) shut(closed bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	switch {
	case closed && !g.closed:
		g.open = make(chan struct{})
	case !closed && g.closed:
		close(g.open)
	}
	g.closed = closed
}

// pass waits until the gate is open or the client gives up.
func (g *gate) pass(ctx context.Context) error {
	g.mu.Lock()
	open := g.open
	g.mu.Unlock()
	select {
	case <-open:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
