package auth

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"kotaemon-k8s/internal/config"
)

func request(authz string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "/health/ready", nil)
	if authz != "" {
		r.Header.Set("Authorization", authz)
	}
	return r
}

func TestBearerToken(t *testing.T) {
	t.Parallel()
	cases := []struct {
		header, want string
		ok           bool
	}{
		{"Bearer abc", "abc", true},
		{"bearer abc", "abc", true},
		{"BEARER   abc", "abc", true},
		{"Bearer", "", false},
		{"Bearer ", "", false},
		{"Basic abc", "", false},
		{"Bearer a b", "", false},
		{"Bearerabc", "", false},
		{"", "", false},
	}
	for _, tc := range cases {
		t.Run(tc.header, func(t *testing.T) {
			t.Parallel()
			got, ok := BearerToken(tc.header)
			assert.Equal(t, tc.ok, ok)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestNoneModeNeverAuthorises(t *testing.T) {
	t.Parallel()
	v, err := New(config.Auth{Mode: config.AuthNone}, nil)
	require.NoError(t, err)
	assert.False(t, v.Verify(request("Bearer anything")))
}

func TestTokenMode(t *testing.T) {
	t.Parallel()
	v, err := New(config.Auth{Mode: config.AuthToken, TokenFile: "/t"}, &config.Secrets{Token: "s3cret"})
	require.NoError(t, err)
	cases := map[string]bool{
		"Bearer s3cret":  true,
		"bearer s3cret":  true,
		"Bearer s3cre":   false,
		"Bearer s3cret2": false,
		"s3cret":         false,
		"":               false,
	}
	for header, want := range cases {
		t.Run(header, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, want, v.Verify(request(header)))
		})
	}
	_, err = New(config.Auth{Mode: config.AuthToken}, &config.Secrets{})
	assert.Error(t, err, "token mode without a token is refused")
}

// keys used by the JWT tests.
type testKeys struct {
	rsa  *rsa.PrivateKey
	rsa2 *rsa.PrivateKey
	ec   *ecdsa.PrivateKey
}

func newKeys(t *testing.T) testKeys {
	t.Helper()
	r1, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	r2, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	return testKeys{r1, r2, ec}
}

func pemOf(t *testing.T, pub any) []byte {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	require.NoError(t, err)
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

func b64u(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func jwksOf(t *testing.T, k testKeys) []byte {
	t.Helper()
	x, y := k.ec.X.FillBytes(make([]byte, 32)), k.ec.Y.FillBytes(make([]byte, 32))
	doc := map[string]any{"keys": []map[string]string{
		{"kty": "RSA", "kid": "r1", "use": "sig", "n": b64u(k.rsa.N.Bytes()), "e": b64u(big.NewInt(int64(k.rsa.E)).Bytes())},
		{"kty": "RSA", "kid": "r2", "n": b64u(k.rsa2.N.Bytes()), "e": b64u(big.NewInt(int64(k.rsa2.E)).Bytes())},
		{"kty": "EC", "kid": "e1", "crv": "P-256", "x": b64u(x), "y": b64u(y)},
		{"kty": "oct", "kid": "enc", "use": "enc"},
	}}
	b, err := json.Marshal(doc)
	require.NoError(t, err)
	return b
}

type claims = jwt.MapClaims

func sign(t *testing.T, method jwt.SigningMethod, key any, kid string, c claims) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, c)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	require.NoError(t, err)
	return s
}

func TestJWTMode(t *testing.T) {
	t.Parallel()
	k := newKeys(t)
	secret := []byte("a-shared-secret-of-enough-length")
	future := time.Now().Add(time.Hour).Unix()
	past := time.Now().Add(-time.Hour).Unix()
	good := claims{"exp": future, "iss": "https://issuer", "aud": "kotaemon-health", "sub": "prometheus"}
	with := func(extra claims) claims {
		c := claims{}
		for k, v := range good {
			c[k] = v
		}
		for k, v := range extra {
			if v == nil {
				delete(c, k)
			} else {
				c[k] = v
			}
		}
		return c
	}
	hsCfg := config.JWT{Algorithms: []string{"HS256"}, SecretFile: "/s", Issuer: "https://issuer", Audience: "kotaemon-health"}
	pemCfg := config.JWT{Algorithms: []string{"RS256"}, PublicKeyFile: "/p"}
	ecPemCfg := config.JWT{Algorithms: []string{"ES256"}, PublicKeyFile: "/p"}
	jwksCfg := config.JWT{Algorithms: []string{"RS256", "ES256"}, JWKSFile: "/j"}

	cases := []struct {
		name  string
		cfg   config.JWT
		sec   config.Secrets
		token string
		want  bool
	}{
		{"HS256 with the right secret, issuer and audience", hsCfg, config.Secrets{JWTSecret: secret}, sign(t, jwt.SigningMethodHS256, secret, "", good), true},
		{"HS256 with another secret", hsCfg, config.Secrets{JWTSecret: secret}, sign(t, jwt.SigningMethodHS256, []byte("another-secret-xxxxxxxxxxxxxxxx"), "", good), false},
		{"expired token", hsCfg, config.Secrets{JWTSecret: secret}, sign(t, jwt.SigningMethodHS256, secret, "", with(claims{"exp": past})), false},
		{"token without exp", hsCfg, config.Secrets{JWTSecret: secret}, sign(t, jwt.SigningMethodHS256, secret, "", with(claims{"exp": nil})), false},
		{"wrong issuer", hsCfg, config.Secrets{JWTSecret: secret}, sign(t, jwt.SigningMethodHS256, secret, "", with(claims{"iss": "https://evil"})), false},
		{"wrong audience", hsCfg, config.Secrets{JWTSecret: secret}, sign(t, jwt.SigningMethodHS256, secret, "", with(claims{"aud": "grafana"})), false},
		{"HS384 is not pinned", hsCfg, config.Secrets{JWTSecret: secret}, sign(t, jwt.SigningMethodHS384, secret, "", good), false},
		{"alg none is refused", hsCfg, config.Secrets{JWTSecret: secret}, sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, "", good), false},
		{"RS256 with the PEM key", pemCfg, config.Secrets{JWTPEM: pemOf(t, &k.rsa.PublicKey)}, sign(t, jwt.SigningMethodRS256, k.rsa, "", good), true},
		{"RS256 signed by another key", pemCfg, config.Secrets{JWTPEM: pemOf(t, &k.rsa.PublicKey)}, sign(t, jwt.SigningMethodRS256, k.rsa2, "", good), false},
		{"HS256 forged with the public key as secret", pemCfg, config.Secrets{JWTPEM: pemOf(t, &k.rsa.PublicKey)}, sign(t, jwt.SigningMethodHS256, pemOf(t, &k.rsa.PublicKey), "", good), false},
		{"ES256 with the PEM key", ecPemCfg, config.Secrets{JWTPEM: pemOf(t, &k.ec.PublicKey)}, sign(t, jwt.SigningMethodES256, k.ec, "", good), true},
		{"JWKS selects RSA by kid", jwksCfg, config.Secrets{JWKS: jwksOf(t, k)}, sign(t, jwt.SigningMethodRS256, k.rsa2, "r2", good), true},
		{"JWKS selects EC by kid", jwksCfg, config.Secrets{JWKS: jwksOf(t, k)}, sign(t, jwt.SigningMethodES256, k.ec, "e1", good), true},
		{"JWKS with the wrong kid", jwksCfg, config.Secrets{JWKS: jwksOf(t, k)}, sign(t, jwt.SigningMethodRS256, k.rsa2, "r1", good), false},
		{"JWKS with an unknown kid", jwksCfg, config.Secrets{JWKS: jwksOf(t, k)}, sign(t, jwt.SigningMethodRS256, k.rsa, "zz", good), false},
		{"JWKS with several keys needs a kid", jwksCfg, config.Secrets{JWKS: jwksOf(t, k)}, sign(t, jwt.SigningMethodRS256, k.rsa, "", good), false},
		{"garbage token", hsCfg, config.Secrets{JWTSecret: secret}, "not.a.jwt", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			v, err := New(config.Auth{Mode: config.AuthJWT, JWT: tc.cfg}, &tc.sec)
			require.NoError(t, err)
			assert.Equal(t, tc.want, v.Verify(request("Bearer "+tc.token)))
		})
	}
}

func TestJWTKeyMaterialIsCheckedAtStart(t *testing.T) {
	t.Parallel()
	k := newKeys(t)
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	require.NoError(t, err)
	cases := []struct {
		name string
		sec  config.Secrets
		cfg  config.JWT
		msg  string
	}{
		{"PEM that is not PEM", config.Secrets{JWTPEM: []byte("hello")}, config.JWT{Algorithms: []string{"RS256"}, PublicKeyFile: "/p"}, "publicKeyFile: no PEM block"},
		{"EC key on the wrong curve", config.Secrets{JWTPEM: pemOf(t, &p384.PublicKey)}, config.JWT{Algorithms: []string{"ES256"}, PublicKeyFile: "/p"}, "P-256"},
		{"JWKS that is not JSON", config.Secrets{JWKS: []byte("{")}, config.JWT{Algorithms: []string{"RS256"}, JWKSFile: "/j"}, "jwksFile: decoding"},
		{"JWKS without signing keys", config.Secrets{JWKS: []byte(`{"keys":[]}`)}, config.JWT{Algorithms: []string{"RS256"}, JWKSFile: "/j"}, "no signing keys"},
		{"JWKS with a small RSA key", config.Secrets{JWKS: []byte(`{"keys":[{"kty":"RSA","kid":"a","n":"AQAB","e":"AQAB"}]}`)}, config.JWT{Algorithms: []string{"RS256"}, JWKSFile: "/j"}, "too small"},
		{"JWKS with a point off the curve", config.Secrets{JWKS: []byte(`{"keys":[{"kty":"EC","kid":"a","crv":"P-256","x":"` + b64u(make([]byte, 32)) + `","y":"` + b64u(make([]byte, 32)) + `"}]}`)}, config.JWT{Algorithms: []string{"ES256"}, JWKSFile: "/j"}, "bad EC point"},
		{"JWKS with duplicate kids", config.Secrets{JWKS: []byte(`{"keys":[` + jwkRSA(k.rsa, "a") + `,` + jwkRSA(k.rsa2, "a") + `]}`)}, config.JWT{Algorithms: []string{"RS256"}, JWKSFile: "/j"}, "duplicate kid"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := New(config.Auth{Mode: config.AuthJWT, JWT: tc.cfg}, &tc.sec)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.msg)
		})
	}
}

func jwkRSA(k *rsa.PrivateKey, kid string) string {
	b, _ := json.Marshal(map[string]string{"kty": "RSA", "kid": kid, "n": b64u(k.N.Bytes()), "e": b64u(big.NewInt(int64(k.E)).Bytes())})
	return string(b)
}

func TestJWTSignatureMustBeCanonicalBase64(t *testing.T) {
	t.Parallel()
	secret := []byte("a-shared-secret-of-enough-length")
	v, err := New(config.Auth{Mode: config.AuthJWT, JWT: config.JWT{Algorithms: []string{"HS256"}, SecretFile: "/s"}},
		&config.Secrets{JWTSecret: secret})
	require.NoError(t, err)
	tok := sign(t, jwt.SigningMethodHS256, secret, "", claims{"exp": time.Now().Add(time.Hour).Unix()})
	require.True(t, v.Verify(request("Bearer "+tok)))
	// An HS256 signature is 32 bytes: 43 base64 characters, whose last one carries 2
	// unused bits. Setting them re-encodes the same bytes non-canonically.
	last := tok[len(tok)-1]
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	idx := strings.IndexByte(alphabet, last)
	require.GreaterOrEqual(t, idx, 0)
	alt := tok[:len(tok)-1] + string(alphabet[idx|1])
	if alt != tok {
		assert.False(t, v.Verify(request("Bearer "+alt)), "non-canonical signature encoding")
	}
}
