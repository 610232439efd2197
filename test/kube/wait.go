package kube

import (
	"context"
	"testing"
	"time"
)

// pollEvery is how often Await asks again: fine enough for bounds of seconds.
const pollEvery = 250 * time.Millisecond

// Await polls cond until it holds or timeout passes; the last reason cond gave is in
// the failure message. cond returns (done, why-not-yet).
func Await(t testing.TB, what string, timeout time.Duration, cond func(ctx context.Context) (bool, string)) {
	t.Helper()
	if err := AwaitE(what, timeout, cond); err != nil {
		t.Fatal(err)
	}
}

// AwaitE is Await returning the failure instead of ending the test.
func AwaitE(what string, timeout time.Duration, cond func(ctx context.Context) (bool, string)) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	reason := "not checked yet"
	for {
		ok, why := cond(ctx)
		if ok {
			return nil
		}
		if why != "" {
			reason = why
		}
		select {
		case <-ctx.Done():
			return &AwaitError{What: what, Timeout: timeout, Last: reason}
		case <-time.After(pollEvery):
		}
	}
}

// AwaitError says what did not happen in time and the last state seen.
type AwaitError struct {
	What    string
	Timeout time.Duration
	Last    string
}

func (e *AwaitError) Error() string {
	return e.What + ": not within " + e.Timeout.String() + "; last: " + e.Last
}

// Hold checks cond for the whole duration and fails at the first sample where it does
// not hold: for states that must NOT change (no restart, still Ready).
func Hold(t testing.TB, what string, d time.Duration, cond func(ctx context.Context) (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		ok, why := cond(ctx)
		cancel()
		if !ok {
			t.Fatalf("%s: broken after %s of %s: %s", what, (d - time.Until(deadline)).Round(time.Second), d, why)
		}
		time.Sleep(pollEvery) // sampling a state that must not change
	}
}
