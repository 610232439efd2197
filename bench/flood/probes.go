package flood

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Stats are what the kubelet-like probes got.
type Stats struct {
	Sent, OK int
	P99      time.Duration  // of the answered ones
	Failed   map[string]int // why the others failed
}

// Percent is the share of probes answered 200 in time, with the counts.
func (p Stats) Percent() string {
	if p.Sent == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f%% (%d/%d)", 100*float64(p.OK)/float64(p.Sent), p.OK, p.Sent)
}

// Failures names why the probes that failed did, "none" when none did.
func (p Stats) Failures() string {
	var parts []string
	for why, n := range p.Failed {
		parts = append(parts, fmt.Sprintf("%d %s", n, why))
	}
	if len(parts) == 0 {
		return "none"
	}
	slices.Sort(parts)
	return strings.Join(parts, ", ")
}

// Probes sends a probe of path every `every` until done is closed, as the kubelet does: a
// fresh connection each, timeout, success on 200 only.
func Probes(done <-chan struct{}, addr, path string, every, timeout time.Duration) Stats {
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true, Proxy: nil}, Timeout: timeout}
	defer client.CloseIdleConnections()
	st := Stats{Failed: map[string]int{}}
	var took []time.Duration
	var mu sync.Mutex
	var wg sync.WaitGroup
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-done:
			wg.Wait()
			slices.Sort(took)
			if len(took) > 0 {
				st.P99 = took[(len(took)*99)/100]
			}
			return st
		case <-tick.C:
		}
		st.Sent++
		wg.Go(func() {
			begin := time.Now()
			resp, err := client.Get("http://" + addr + path)
			code := 0
			if err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				code = resp.StatusCode
			}
			mu.Lock()
			defer mu.Unlock()
			if code == http.StatusOK {
				st.OK++
				took = append(took, time.Since(begin))
				return
			}
			st.Failed[failureKind(err, code)]++
		})
	}
}

// failureKind sorts a failed probe: no connection, no answer in time, the connection
// reset or closed without an answer, or an answer that is not 200.
func failureKind(err error, code int) string {
	var ne net.Error
	var op *net.OpError
	switch {
	case err == nil:
		return fmt.Sprintf("answered %d", code)
	case errors.As(err, &op) && op.Op == "dial":
		return "no connection"
	case errors.As(err, &ne) && ne.Timeout():
		return "no answer in time"
	case errors.Is(err, syscall.ECONNRESET):
		return "reset"
	default: // io.EOF, or net/http's "server closed idle connection"
		return "closed unanswered"
	}
}
