package client

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// sessionServer hands out a cookie at /auth and answers /answer only to a caller that
// sends it; anyone else goes to /login, as a login gate does.
func sessionServer(t *testing.T) *httptest.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("/auth", func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "session", Value: "s1", Path: "/"})
		http.Redirect(w, r, "/home", http.StatusTemporaryRedirect)
	})
	mux.HandleFunc("/home", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("home")) })
	mux.HandleFunc("/login", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("sign in")) })
	mux.HandleFunc("/answer", func(w http.ResponseWriter, r *http.Request) {
		if c, err := r.Cookie("session"); err != nil || c.Value != "s1" {
			http.Redirect(w, r, "/login", http.StatusTemporaryRedirect)
			return
		}
		_, _ = w.Write([]byte("data: done"))
	})
	mux.HandleFunc("/refuse", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusForbidden) })
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// -login's cookie goes with the request; without it the gate's redirect ends at the
// login page; a login that is refused ends the client before any request.
func TestLoginCarriesTheSessionToTheRequest(t *testing.T) {
	t.Parallel()
	srv := sessionServer(t)
	for _, tc := range []struct {
		name string
		args []string
		code int
		out  string
	}{
		{"with a session", []string{"-login=" + srv.URL + "/auth", "-url=" + srv.URL + "/answer"}, 0, "OK 200 data: done\n"},
		{"without one", []string{"-url=" + srv.URL + "/answer"}, 0, "OK 200 sign in\n"},
		{"login refused", []string{"-login=" + srv.URL + "/refuse", "-url=" + srv.URL + "/answer"}, 1, "ERR login 403\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			assert.Equal(t, tc.code, Run(tc.args, &out))
			assert.Equal(t, tc.out, out.String())
			assert.False(t, strings.Contains(out.String(), "home"), "the login's own answer is not printed")
		})
	}
}
