package kotaemon

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func ssoOptions(t *testing.T) Options {
	o := testOptions(t)
	o.SSO = true
	return o
}

// browser is a client that keeps cookies and follows no redirect, so each 307 is seen.
type browser struct{ c *http.Client }

func newBrowser(t *testing.T) *browser {
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	return &browser{&http.Client{Jar: jar, Timeout: waitLimit, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

// get is one request: status, Location and body (a transport error fails the test).
func (b *browser) get(t *testing.T, url string) (int, string, string) {
	t.Helper()
	resp, err := b.c.Get(url)
	require.NoError(t, err, url)
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err, url)
	return resp.StatusCode, resp.Header.Get("Location"), string(body)
}

// login goes through the stand-in's OAuth callback, as a user back from the provider.
func (b *browser) login(t *testing.T, base string) {
	t.Helper()
	code, loc, _ := b.get(t, base+RouteAuth+"google")
	require.Equal(t, http.StatusTemporaryRedirect, code)
	require.Equal(t, "/", loc)
}

// In SSO shape, gradiologin 0.1.0's gate answers every path without a session with a 307
// to /login, Gradio's routes included; /login answers 200, and the two Gradio routes the
// gate lets through reach Gradio (which serves neither to a GET here).
func TestSSOGateSendsEveryPathButTheLoginRoutesToLogin(t *testing.T) {
	t.Parallel()
	h := start(t, ssoOptions(t))
	base := h.bound(t)
	b := newBrowser(t)

	gated := []string{"/", SSOMount + RouteAppID, SSOMount + RouteStartupEvents, SSOMount + "/", SSOMount + StreamPath(1), RouteAppID, "/logout"}
	for _, path := range gated {
		code, loc, _ := b.get(t, base+path)
		assert.Equal(t, http.StatusTemporaryRedirect, code, path)
		assert.Equal(t, RouteLogin, loc, path)
	}
	code, _, body := b.get(t, base+RouteLogin)
	assert.Equal(t, http.StatusOK, code)
	assert.Contains(t, body, "Sign in")
	for _, path := range []string{SSOMount + "/api/predict", SSOMount + "/reset"} {
		code, _, _ := b.get(t, base+path)
		assert.Equal(t, http.StatusNotFound, code, "%s passes the gate", path)
	}
	st := h.s.State()
	assert.True(t, st.SSO)
	assert.Equal(t, int64(len(gated)), st.Served[ServedLoginRedirect])
	assert.Zero(t, st.Served[RouteAppID], "no Gradio route ran for a caller without a session")
	assert.Zero(t, st.Served[RouteStartupEvents])
}

// A session (the OAuth callback's cookie) reaches Gradio's routes under /app, and the
// home sends it there; Gradio's routes are not at the root any more.
func TestASessionReachesGradioUnderItsMount(t *testing.T) {
	t.Parallel()
	h := start(t, ssoOptions(t))
	base := h.bound(t)
	b := newBrowser(t)
	b.login(t, base)

	code, _, body := b.get(t, base+SSOMount+RouteAppID)
	assert.Equal(t, http.StatusOK, code)
	assert.Contains(t, body, `"app_id":`+h.s.State().AppID)
	code, loc, _ := b.get(t, base+"/")
	assert.Equal(t, http.StatusTemporaryRedirect, code)
	assert.Equal(t, SSOMount, loc)
	code, _, _ = b.get(t, base+RouteAppID)
	assert.Equal(t, http.StatusNotFound, code, "Gradio's routes moved under the mount")

	other := newBrowser(t)
	code, loc, _ = other.get(t, base+SSOMount+RouteAppID)
	assert.Equal(t, http.StatusTemporaryRedirect, code, "a session is per browser")
	assert.Equal(t, RouteLogin, loc)
	assert.Equal(t, int64(1), h.s.State().Served[RouteAppID])
}

// /login answers on the event loop: with every worker taken it still answers, while a
// sync route behind the login stalls. (So the agent's route in SSO mode cannot see the
// pool: docs/kotaemon.md.)
func TestSSOLoginAnswersWithEveryWorkerTaken(t *testing.T) {
	t.Parallel()
	h := start(t, ssoOptions(t))
	base := h.bound(t)
	b := newBrowser(t)
	b.login(t, base)
	h.setFault(t, FaultExhaust, 0)

	code, _, _ := b.get(t, base+RouteLogin)
	assert.Equal(t, http.StatusOK, code)
	ctx, cancel := context.WithTimeout(context.Background(), stall)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+SSOMount+RouteAppID, nil)
	require.NoError(t, err)
	_, err = b.c.Do(req)
	require.Error(t, err, "a sync route waits for a worker")
}

// uvicorn stops gracefully on SIGTERM and SIGINT alike: the port closes, the answer in
// flight finishes. Then it re-raises the signal: SIGINT ends in exit 0, SIGTERM in a
// death by the signal (143).
func TestSSOStopFinishesTheAnswerInFlightOnEitherSignal(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		sig    syscall.Signal
		code   int
		raised int32
	}{
		{syscall.SIGINT, 0, 0},
		{syscall.SIGTERM, 143, 1},
	} {
		t.Run(tc.sig.String(), func(t *testing.T) {
			t.Parallel()
			h := start(t, ssoOptions(t))
			base := h.bound(t)
			b := newBrowser(t)
			b.login(t, base)

			inFlight := make(chan int, 1)
			go func() {
				resp, err := b.c.Get(base + SSOMount + WorkPath(5))
				if err != nil {
					inFlight <- 0
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				_ = resp.Body.Close()
				inFlight <- resp.StatusCode
			}()
			work := h.timers.next(t)
			h.sigs <- tc.sig
			h.await(t, "the signal to be recorded", func(st State) bool { return st.SigtermAt != nil })
			addr := strings.TrimPrefix(base, "http://")
			assert.Eventually(t, func() bool { return refused(addr) }, waitLimit, 10*time.Millisecond, "the port closes")
			select {
			case c := <-inFlight:
				t.Fatalf("the answer ended (%d) before its work did", c)
			case <-time.After(stall):
			}
			work.elapse()
			select {
			case c := <-inFlight:
				assert.Equal(t, http.StatusOK, c, "the answer in flight finished")
			case <-time.After(waitLimit):
				t.Fatal("the answer in flight never finished")
			}
			assert.Equal(t, tc.code, ExitCode(h.wait(t)))
			assert.Equal(t, tc.raised, h.raised.Load(), "the signal re-raised with its default action")
		})
	}
}

// --timeout-graceful-shutdown bounds the wait: what outlasts it is cut, and the process
// exits as after any SIGINT. Without it, a second SIGINT cuts the wait short.
func TestSSOWaitEndsAtTheGracefulTimeoutOrASecondSigint(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		timeout time.Duration
		second  bool
	}{
		{"graceful timeout", 200 * time.Millisecond, false},
		{"second SIGINT", 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			o := ssoOptions(t)
			o.GracefulTimeout = tc.timeout
			h := start(t, o)
			base := h.bound(t)
			b := newBrowser(t)
			b.login(t, base)
			cut := make(chan error, 1)
			patient := *b.c
			patient.Timeout = 3 * waitLimit // outlasts the test's wait: only the stop may cut it
			go func() {
				resp, err := patient.Get(base + SSOMount + WorkPath(60))
				if err == nil {
					_, err = io.Copy(io.Discard, resp.Body)
					_ = resp.Body.Close()
				}
				cut <- err
			}()
			h.timers.next(t) // never elapses: the work outlasts any wait
			h.sigs <- syscall.SIGINT
			h.await(t, "the signal to be recorded", func(st State) bool { return st.SigtermAt != nil })
			if tc.second {
				select {
				case err := <-cut:
					t.Fatalf("the answer was cut (%v) before the second SIGINT", err)
				case <-time.After(stall):
				}
				h.sigs <- syscall.SIGINT
			}
			select {
			case err := <-cut:
				assert.Error(t, err, "the answer that outlasted the wait is cut")
			case <-time.After(waitLimit):
				t.Fatal("the wait never ended")
			}
			assert.Equal(t, 0, ExitCode(h.wait(t)))
		})
	}
}
