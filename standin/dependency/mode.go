package dependency

// Every route asks one switch whether to answer, so a mode change (and a flap edge)
// reaches all dependencies at the same instant, and hung requests wake when it changes.

import (
	"sync"
	"time"
)

type modeSwitch struct {
	mu      sync.Mutex
	mode    Mode
	period  time.Duration
	since   time.Time
	changed chan struct{} // closed and replaced on every set, to wake hung requests
	now     func() time.Time
}

func newModeSwitch(mode Mode, period time.Duration, now func() time.Time) *modeSwitch {
	return &modeSwitch{mode: mode, period: period, since: now(), changed: make(chan struct{}), now: now}
}

// set switches the mode; period 0 keeps the current one.
func (m *modeSwitch) set(mode Mode, period time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.mode, m.since = mode, m.now()
	if period > 0 {
		m.period = period
	}
	close(m.changed)
	m.changed = make(chan struct{})
}

// verdict is what a request arriving now gets.
type verdict struct {
	up      bool
	hang    bool
	changed <-chan struct{} // for a hung request to wait on
}

func (m *modeSwitch) current() verdict {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.verdictLocked()
}

func (m *modeSwitch) verdictLocked() verdict {
	v := verdict{changed: m.changed}
	switch m.mode {
	case ModeUp:
		v.up = true
	case ModeHang:
		v.hang = true
	case ModeFlap:
		// Starting down: a probe's first look sees a failure, and the period after is up.
		v.up = int64(m.now().Sub(m.since)/m.period)%2 == 1
	}
	return v
}

// snapshot fills the mode part of State.
func (m *modeSwitch) snapshot(st *State) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v := m.verdictLocked()
	st.Mode, st.Period, st.PeriodSeconds, st.Since, st.Up = m.mode, m.period.String(), m.period.Seconds(), m.since, v.up
}
