package answers

import (
	"context"
	"log/slog"
	"time"
)

// Every is how often the app port's connections are sampled while waiting.
const Every = 250 * time.Millisecond

// Outcome is how a wait ended.
type Outcome string

const (
	Quiet    Outcome = "quiet"     // no answer in flight
	TimedOut Outcome = "timed out" // answers still in flight at the timeout
	Unknown  Outcome = "unknown"   // the connections could not be read: not waited for
	Cut      Outcome = "cut short" // ctx ended (a second stop signal)
)

// Wait returns once no connection from list has had an answer in flight for Window
// (at once when there is no connection at all), or after timeout. list is Established
// for the app port; tests give their own.
func Wait(ctx context.Context, list func() ([]Conn, error), timeout time.Duration, log *slog.Logger) Outcome {
	begin := time.Now()
	deadline := begin.Add(timeout)
	t := NewTracker()
	var quietSince time.Time
	tick := time.NewTicker(Every)
	defer tick.Stop()
	for {
		now := time.Now()
		conns, err := list()
		if err != nil {
			log.Warn("answers in flight cannot be seen: the app is stopped without waiting for them", "error", err.Error())
			return Unknown
		}
		answering := t.Observe(now, conns)
		switch {
		case len(answering) > 0:
			quietSince = time.Time{}
		case quietSince.IsZero():
			quietSince = now
		}
		if n := counted(conns); n == 0 || (!quietSince.IsZero() && now.Sub(quietSince) >= Window) {
			log.Info("state change", "component", "answers", "from", "waiting", "to", string(Quiet),
				"connections", n, "waited", now.Sub(begin).Round(time.Millisecond).String())
			return Quiet
		}
		if !now.Before(deadline) {
			log.Warn("state change", "component", "answers", "from", "waiting", "to", string(TimedOut),
				"answering", len(answering), "timeout", timeout.String())
			return TimedOut
		}
		select {
		case <-ctx.Done():
			return Cut
		case <-tick.C:
		}
	}
}

// counted is how many connections are not the agent's own.
func counted(conns []Conn) int {
	n := 0
	for _, c := range conns {
		if !agentsOwn(c) {
			n++
		}
	}
	return n
}
