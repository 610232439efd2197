// Package statelog rate-limits the agent's state-change log lines per component: a
// route or a dependency that flaps on every probe would otherwise write a line per
// probe (1,500 in 5 s were seen). What is held back is counted, and the count rides on
// the next line let through.
package statelog

import (
	"sync"
	"time"
)

// Defaults: a component may change state Burst times per Window before lines are held.
const (
	DefaultWindow = 10 * time.Second
	DefaultBurst  = 5
)

// Limiter decides, per component, whether a state-change line may be written.
type Limiter struct {
	window time.Duration
	burst  int
	now    func() time.Time

	mu    sync.Mutex
	slots map[string]*slot
}

type slot struct {
	start      time.Time // of the current window
	written    int       // lines let through in it
	suppressed int       // lines held back since the last one let through
}

// New makes a limiter of burst lines per window and component.
func New(window time.Duration, burst int) *Limiter {
	return &Limiter{window: window, burst: burst, now: time.Now, slots: map[string]*slot{}}
}

// Allow reports whether a line for component may be written now and, if so, how many
// were held back before it.
func (l *Limiter) Allow(component string) (ok bool, suppressed int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	s := l.slots[component]
	if s == nil {
		s = &slot{start: now}
		l.slots[component] = s
	}
	if now.Sub(s.start) >= l.window {
		s.start, s.written = now, 0
	}
	if s.written >= l.burst {
		s.suppressed++
		return false, 0
	}
	s.written++
	n := s.suppressed
	s.suppressed = 0
	return true, n
}
