// Package auth decides whether a request carries valid credentials. Credentials only
// unlock details and (optionally) /metrics; they never change a probe's status code.
package auth

import (
	"crypto/subtle"
	"fmt"
	"net/http"
	"strings"

	"kotaemon-k8s/internal/config"
)

// Verifier checks a request's credentials.
type Verifier interface {
	Verify(r *http.Request) bool
}

// New builds the verifier for the configured mode; secrets must have been resolved.
func New(a config.Auth, s *config.Secrets) (Verifier, error) {
	switch a.Mode {
	case config.AuthNone, "":
		return deny{}, nil
	case config.AuthToken:
		if s == nil || s.Token == "" {
			return nil, fmt.Errorf("auth.tokenFile: no token resolved")
		}
		return &tokenVerifier{token: []byte(s.Token)}, nil
	case config.AuthJWT:
		if s == nil {
			return nil, fmt.Errorf("auth.jwt: secrets not resolved")
		}
		return newJWT(a.JWT, s)
	}
	return nil, fmt.Errorf("auth.mode: unknown mode %q", a.Mode)
}

type deny struct{}

func (deny) Verify(*http.Request) bool { return false }

// BearerToken extracts the token of an "Authorization: Bearer <token>" header value.
// The scheme is case-insensitive (RFC 9110); the token must be non-empty and contain no
// whitespace.
func BearerToken(header string) (string, bool) {
	scheme, tok, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	tok = strings.TrimLeft(tok, " ")
	if config.BearerTokenProblem(tok) != nil {
		return "", false
	}
	return tok, true
}

type tokenVerifier struct{ token []byte }

func (v *tokenVerifier) Verify(r *http.Request) bool {
	tok, ok := BearerToken(r.Header.Get("Authorization"))
	if !ok {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(tok), v.token) == 1
}
