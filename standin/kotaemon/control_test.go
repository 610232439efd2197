package kotaemon

import (
	"io"
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A bound stand-in gets malformed control requests.
// Each is refused with 400 naming the parameter at fault, and no fault is switched.
func TestBadControlInputIsRejectedNamingTheParameter(t *testing.T) {
	t.Parallel()
	h := start(t, testOptions(t))
	h.bound(t)

	cases := []struct {
		name  string
		query string
		want  string
	}{
		{"kind missing", "", "kind: required"},
		{"kind unknown", "kind=meltdown", `kind: "meltdown" is not one of`},
		{"seconds missing for slow-start", "kind=slow-start", "seconds: required"},
		{"seconds not a number", "kind=slow-start&seconds=soon", `seconds: "soon"`},
		{"seconds negative", "kind=slow-start&seconds=-1", `seconds: "-1"`},
		{"seconds on a kind without one", "kind=deadlock&seconds=3", "seconds: only applies to kind=slow-start"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := http.Post(h.s.ControlURL()+ControlFaultPath+"?"+tc.query, "", nil)
			require.NoError(t, err)
			body := readAll(t, resp)
			assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
			assert.Contains(t, body, tc.want)
		})
	}
	assert.Equal(t, FaultNone, h.s.State().Fault)
	assert.Nil(t, h.s.State().NextStart)
}

// The control port is asked with the wrong method and for an unknown route.
// It answers 405 and 404, so a typo in the suite fails loudly.
func TestControlPortRejectsWrongMethodsAndRoutes(t *testing.T) {
	t.Parallel()
	h := start(t, testOptions(t))
	cases := []struct {
		method, path string
		code         int
	}{
		{http.MethodGet, FaultPath(FaultNone, 0), http.StatusMethodNotAllowed},
		{http.MethodPost, ControlStatePath, http.StatusMethodNotAllowed},
		{http.MethodGet, "/faults", http.StatusNotFound},
		{http.MethodGet, ControlStatePath, http.StatusOK},
		{http.MethodGet, ControlHealthPath, http.StatusOK},
	}
	for _, tc := range cases {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			req, err := http.NewRequestWithContext(t.Context(), tc.method, h.s.ControlURL()+tc.path, nil)
			require.NoError(t, err)
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			readAll(t, resp)
			assert.Equal(t, tc.code, resp.StatusCode)
		})
	}
}

// FaultPath builds every URL the suite sends; seconds only travels with slow-start.
func TestFaultPath(t *testing.T) {
	t.Parallel()
	cases := []struct {
		kind    Fault
		seconds int
		want    url.Values
	}{
		{FaultDeadlock, 0, url.Values{"kind": {"deadlock"}}},
		{FaultNone, 9, url.Values{"kind": {"none"}}},
		{FaultSlowStart, 45, url.Values{"kind": {"slow-start"}, "seconds": {"45"}}},
		{FaultNeverStart, 0, url.Values{"kind": {"never-start"}}},
	}
	for _, tc := range cases {
		t.Run(string(tc.kind), func(t *testing.T) {
			u, err := url.Parse(FaultPath(tc.kind, tc.seconds))
			require.NoError(t, err)
			assert.Equal(t, ControlFaultPath, u.Path)
			assert.Equal(t, tc.want, u.Query())
			_, err = parseFaultRequest(u.Query())
			assert.NoError(t, err, "the stand-in accepts what FaultPath builds")
		})
	}
}

func readAll(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return string(b)
}
