package dependency

import (
	"io"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A stand-in gets malformed POST /mode requests.
// Each is refused with 400 naming the parameter at fault, and the mode stays up.
func TestBadModeInputIsRejectedNamingTheParameter(t *testing.T) {
	t.Parallel()
	h := start(t, testOptions())
	cases := []struct {
		name  string
		query string
		want  string
	}{
		{"state missing", "", "state: required"},
		{"state unknown", "state=sideways", `state: "sideways" is not one of`},
		{"period not a duration", "state=flap&period=often", `period: "often" is neither`},
		{"period zero", "state=flap&period=0s", `period: "0s" must be positive`},
		{"period on a mode without one", "state=down&period=5s", "period: only applies to state=flap"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := http.Post(h.s.ControlURL()+ControlModePath+"?"+tc.query, "", nil)
			require.NoError(t, err)
			defer func() { _ = resp.Body.Close() }()
			body, err := io.ReadAll(resp.Body)
			require.NoError(t, err)
			assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
			assert.Contains(t, string(body), tc.want)
		})
	}
	assert.Equal(t, ModeUp, h.s.State().Mode)
}

// ModePath builds every URL the suite sends, and the stand-in accepts each of them.
func TestModePath(t *testing.T) {
	t.Parallel()
	cases := []struct {
		mode   Mode
		period time.Duration
		want   url.Values
	}{
		{ModeUp, 0, url.Values{"state": {"up"}}},
		{ModeDown, 5 * time.Second, url.Values{"state": {"down"}}},
		{ModeFlap, 1500 * time.Millisecond, url.Values{"state": {"flap"}, "period": {"1.5s"}}},
		{ModeFlap, 0, url.Values{"state": {"flap"}}},
		{ModeHang, 0, url.Values{"state": {"hang"}}},
	}
	for _, tc := range cases {
		t.Run(string(tc.mode), func(t *testing.T) {
			u, err := url.Parse(ModePath(tc.mode, tc.period))
			require.NoError(t, err)
			assert.Equal(t, ControlModePath, u.Path)
			assert.Equal(t, tc.want, u.Query())
			_, _, err = parseModeRequest(u.Query())
			assert.NoError(t, err)
		})
	}
}

// The control port answers /healthz while the dependency port hangs.
func TestControlPortAnswersWhileDependenciesHang(t *testing.T) {
	t.Parallel()
	h := start(t, testOptions())
	h.setMode(t, ModeHang, 0)
	r := get(h.s.ControlURL()+ControlHealthPath, waitLimit)
	require.NoError(t, r.err)
	assert.Equal(t, http.StatusOK, r.code)
	st, err := h.control.State(t.Context())
	require.NoError(t, err)
	assert.Equal(t, ModeHang, st.Mode)
	assert.False(t, st.Up)
}
