package dependency

// The deploy suite asserts on what the dependency saw (which checks called, how often)
// and what it was doing, so both are served as one JSON State.

import (
	"maps"
	"sync"
	"time"
)

// State is the JSON of GET /state on the control port.
type State struct {
	Mode          Mode             `json:"mode"`
	Period        string           `json:"period"`        // flap half-cycle as a Go duration, e.g. "5s"
	PeriodSeconds float64          `json:"periodSeconds"` // the same in seconds
	Since         time.Time        `json:"since"`         // when the mode was last set
	Up            bool             `json:"up"`            // whether a request arriving now is answered 200
	Calls         map[string]int64 `json:"calls"`         // request path -> requests received
	Models        []string         `json:"models"`
	ListenAddr    string           `json:"listenAddr"` // bound dependency address
}

// calls counts requests on arrival, so hung and refused ones count too.
type calls struct {
	mu     sync.Mutex
	byPath map[string]int64
}

func (c *calls) add(path string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.byPath == nil {
		c.byPath = map[string]int64{}
	}
	c.byPath[path]++
}

func (c *calls) snapshot() map[string]int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := maps.Clone(c.byPath)
	if out == nil {
		out = map[string]int64{}
	}
	return out
}
