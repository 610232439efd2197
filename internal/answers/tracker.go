package answers

import (
	"net/netip"
	"time"
)

// Window is how close two sends must be for a connection to count as streaming: under
// Gradio's 15 s heartbeat, over the gap between an answer's tokens.
const Window = 3 * time.Second

// sameSend is within how much two observations of a send are the same send: the
// kernel counts in jiffies (up to 10 ms) and samples are taken a few times a second.
const sameSend = 50 * time.Millisecond

type connKey struct{ local, remote netip.AddrPort }

// Tracker remembers, per connection, the last two sends it observed.
type Tracker struct {
	sends map[connKey][2]time.Time // [0] latest, [1] the one before
}

// NewTracker starts with no history: a connection's first sample shows one send only.
func NewTracker() *Tracker { return &Tracker{sends: map[connKey][2]time.Time{}} }

// Observe records a sample taken at now and returns the connections with an answer in
// flight (see the package comment); connections gone since the last sample are
// forgotten.
func (t *Tracker) Observe(now time.Time, conns []Conn) []Conn {
	seen := make(map[connKey]bool, len(conns))
	var answering []Conn
	for _, c := range conns {
		if agentsOwn(c) {
			continue
		}
		k := connKey{c.Local, c.Remote}
		seen[k] = true
		sentAt := now.Add(-c.SinceSent)
		s := t.sends[k]
		if d := sentAt.Sub(s[0]); s[0].IsZero() || d > sameSend {
			s = [2]time.Time{sentAt, s[0]}
			t.sends[k] = s
		}
		// The kernel counts in milliseconds: a request that came with its connect, or an
		// answer sent within the millisecond of its request, shows equal times; the bytes
		// sent tell them apart.
		awaiting := c.SinceReceived < c.SinceSent || (c.SinceReceived == c.SinceSent && c.Sent == 0 && c.Received > 0)
		streaming := !s[1].IsZero() && now.Sub(s[1]) <= Window
		if awaiting || streaming {
			answering = append(answering, c)
		}
	}
	for k := range t.sends {
		if !seen[k] {
			delete(t.sends, k)
		}
	}
	return answering
}

// agentsOwn: a connection from loopback is the agent's own probe of the app (or kubectl
// port-forward), never a client's answer.
func agentsOwn(c Conn) bool { return c.Remote.Addr().IsLoopback() }
