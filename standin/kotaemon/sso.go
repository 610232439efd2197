package kotaemon

// Kotaemon's SSO entrypoint, `uvicorn sso_app:app` (docs/kotaemon.md, "SSO mode"):
// gradiologin 0.1.0 puts a gate before everything, Gradio is mounted under /app, and
// uvicorn runs on the main thread, so its own signal handlers stop the process.

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"syscall"
)

const loginPage = `<!doctype html>
<html><head><title>Kotaemon stand-in: sign in</title></head>
<body><h1>Sign in</h1><p>The stand-in's login page; /auth/&lt;provider&gt; signs anyone in.</p></body></html>
`

// sessions are the session cookies the stand-in handed out.
type sessions struct {
	mu  sync.Mutex
	ids map[string]bool
}

func (ss *sessions) add() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	id := hex.EncodeToString(b)
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if ss.ids == nil {
		ss.ids = map[string]bool{}
	}
	ss.ids[id] = true
	return id, nil
}

func (ss *sessions) has(r *http.Request) bool {
	c, err := r.Cookie(SessionCookie)
	if err != nil {
		return false
	}
	ss.mu.Lock()
	defer ss.mu.Unlock()
	return ss.ids[c.Value]
}

// ssoRoutes is sso_app: the login routes, a home that sends a session to the app, and
// Gradio's routes under SSOMount, all behind the login gate.
func (s *Standin) ssoRoutes(gradio http.Handler) http.Handler {
	mux := http.NewServeMux()
	// Both answer on the event loop (async handlers): no worker.
	mux.Handle("GET "+RouteLogin, s.counted(RouteLogin, http.HandlerFunc(s.login)))
	mux.Handle("GET "+RouteAuth+"{provider}", s.counted(RouteAuth, http.HandlerFunc(s.authCallback)))
	mux.Handle("GET /{$}", s.counted(RouteRoot, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, SSOMount, http.StatusTemporaryRedirect)
	})))
	mux.Handle(SSOMount+"/", http.StripPrefix(SSOMount, gradio))
	mux.Handle("/", s.counted(ServedNotFound, http.NotFoundHandler()))
	return s.loginGate(mux)
}

// loginGate is gradiologin 0.1.0's middleware: a request without a session user gets a
// 307 to /login, except paths that begin with /login or /auth and two Gradio routes.
func (s *Standin) loginGate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		open := strings.HasPrefix(p, "/login") || strings.HasPrefix(p, "/auth") ||
			p == SSOMount+"/api/predict" || p == SSOMount+"/reset"
		if !open && !s.sessions.has(r) {
			w.Header().Set("Location", RouteLogin)
			w.WriteHeader(http.StatusTemporaryRedirect)
			s.rec.served(ServedLoginRedirect)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (s *Standin) login(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = io.WriteString(w, loginPage)
}

// authCallback stands in for the OAuth round trip: whoever comes back from any provider
// gets a session, and is sent home.
func (s *Standin) authCallback(w http.ResponseWriter, r *http.Request) {
	id, err := s.sessions.add()
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: id, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, "/", http.StatusTemporaryRedirect)
}

// uvicornStop is uvicorn's stop on either signal: stop listening, close idle
// connections, wait for the rest (at most GracefulTimeout, when set; a second SIGINT
// stops waiting), then re-raise the signal with the handlers uvicorn replaced: Python's
// KeyboardInterrupt for SIGINT, which uvicorn's main catches (exit 0), and the default
// action for SIGTERM, which kills the process (except as PID 1: exit 0).
func (s *Standin) uvicornStop(sig os.Signal, sigs <-chan os.Signal) error {
	ctx, cancel := context.Background(), context.CancelFunc(func() {})
	if s.opts.GracefulTimeout > 0 {
		ctx, cancel = context.WithTimeout(ctx, s.opts.GracefulTimeout)
	}
	defer cancel()
	s.drain(ctx, sigs)
	if sig == syscall.SIGTERM && !s.opts.defaultAction(syscall.SIGTERM) {
		return ErrKilledBySigterm
	}
	return nil
}
