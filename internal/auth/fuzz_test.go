package auth

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"kotaemon-k8s/internal/config"
)

// FuzzBearerToken: the parser never panics and what it returns is a single non-empty
// token that occurs in the header.
func FuzzBearerToken(f *testing.F) {
	for _, s := range []string{"Bearer abc", "bearer  x.y.z", "Basic Zm9v", "Bearer", "", "Bearer \t", "BEARER a b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, header string) {
		tok, ok := BearerToken(header)
		if !ok {
			if tok != "" {
				t.Fatalf("token %q returned with ok=false", tok)
			}
			return
		}
		if tok == "" || strings.ContainsAny(tok, " \t\r\n") || !strings.HasSuffix(header, tok) || len(tok) > config.MaxBearerTokenBytes {
			t.Fatalf("bad token %q from %q", tok, header)
		}
	})
}

// FuzzJWTVerify: arbitrary Authorization headers never panic and never authorise,
// except the one genuinely signed token of the corpus.
func FuzzJWTVerify(f *testing.F) {
	secret := []byte("fuzz-secret-fuzz-secret-fuzz-sec")
	good, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"exp": time.Now().Add(24 * time.Hour).Unix()}).SignedString(secret)
	if err != nil {
		f.Fatal(err)
	}
	v, err := New(config.Auth{Mode: config.AuthJWT, JWT: config.JWT{Algorithms: []string{"HS256"}, SecretFile: "/s"}},
		&config.Secrets{JWTSecret: secret})
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{"Bearer " + good, "Bearer " + good + "x", "Bearer eyJhbGciOiJub25lIn0.e30.", "Bearer a.b.c", "Bearer ...", "Bearer " + strings.Repeat("A", 9000)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, header string) {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Header["Authorization"] = []string{header}
		if v.Verify(r) {
			tok, _ := BearerToken(header)
			if tok != good {
				t.Fatalf("authorised an unsigned or altered token: %q", header)
			}
		}
	})
}
