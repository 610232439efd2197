package cli

// Boundaries of the check command (found by mutation testing).

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestCheckSucceedsExactlyOnTwoHundreds(t *testing.T) {
	t.Parallel()
	for code, want := range map[int]int{200: 0, 299: 0, 300: 1, 404: 1} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(code) }))
		got, line := Check(srv.URL, time.Second, nil)
		srv.Close()
		assert.Equal(t, want, got, "status %d: %s", code, line)
	}
}

func TestCheckRefusesAURLWithoutAHostOrOfAnotherScheme(t *testing.T) {
	t.Parallel()
	for _, u := range []string{"http:///health/live", "ftp://host/health/live"} {
		code, line := Check(u, time.Second, nil)
		assert.Equal(t, 2, code, u)
		assert.Contains(t, line, "not an http(s) URL")
	}
}

func TestAFirstAttemptIsNotNumbered(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	t.Cleanup(srv.Close)
	code, line := CheckUntil(srv.URL, time.Second, time.Minute, 10*time.Millisecond, nil)
	assert.Equal(t, 0, code)
	assert.NotContains(t, line, "attempt")
}
