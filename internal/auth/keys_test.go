package auth

// Edge cases of the key material and the bearer header: each sits on a boundary a
// one-character change in the code would move (found by mutation testing).

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"kotaemon-k8s/internal/config"
)

func TestBearerTokenLengthLimit(t *testing.T) {
	t.Parallel()
	atLimit := strings.Repeat("a", config.MaxBearerTokenBytes)
	got, ok := BearerToken("Bearer " + atLimit)
	assert.True(t, ok, "a token of exactly config.MaxBearerTokenBytes bytes is read")
	assert.Equal(t, atLimit, got)
	_, ok = BearerToken("Bearer " + atLimit + "a")
	assert.False(t, ok, "one byte more is refused unread")
}

func TestBearerTokenRefusesEveryWhitespaceInside(t *testing.T) {
	t.Parallel()
	for _, ws := range []string{"\t", "\r", "\n"} {
		_, ok := BearerToken("Bearer a" + ws + "b")
		assert.False(t, ok, "whitespace %q inside the token", ws)
	}
}

// rsaJWK is an RSA JWKS entry with the exponent given as raw big-endian bytes.
func rsaJWK(n *big.Int, e []byte, extra string) string {
	return `{"kty":"RSA","kid":"k"` + extra + `,"n":"` + b64u(n.Bytes()) + `","e":"` + b64u(e) + `"}`
}

func TestJWKSExponentBounds(t *testing.T) {
	t.Parallel()
	k := newKeys(t)
	n := k.rsa.N
	cases := []struct {
		name string
		e    []byte
		ok   bool
	}{
		{"65537 in three bytes", []byte{1, 0, 1}, true},
		{"65537 padded to four bytes", []byte{0, 1, 0, 1}, true},
		{"five bytes", []byte{0, 0, 1, 0, 1}, false},
		{"empty", nil, false},
		{"three, the smallest usable exponent", []byte{3}, true},
		{"two", []byte{2}, false},
		{"one", []byte{1}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := ParseJWKS([]byte(`{"keys":[` + rsaJWK(n, tc.e, "") + `]}`))
			if tc.ok {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), "bad exponent e")
		})
	}
}

func TestJWKSKeyShapes(t *testing.T) {
	t.Parallel()
	k := newKeys(t)
	short := b64u(make([]byte, 31))
	full := b64u(make([]byte, 32))
	cases := []struct{ name, doc, msg string }{
		{"RSA without a modulus", `{"keys":[{"kty":"RSA","kid":"a","n":"","e":"AQAB"}]}`, "bad modulus n"},
		{"RSA modulus that is not base64url", `{"keys":[{"kty":"RSA","kid":"a","n":"!!","e":"AQAB"}]}`, "bad modulus n"},
		{"EC on another curve", `{"keys":[{"kty":"EC","kid":"a","crv":"P-384","x":"` + full + `","y":"` + full + `"}]}`, `unsupported curve "P-384"`},
		{"EC x of 31 bytes", `{"keys":[{"kty":"EC","kid":"a","crv":"P-256","x":"` + short + `","y":"` + full + `"}]}`, "bad EC coordinates"},
		{"EC y of 31 bytes", `{"keys":[{"kty":"EC","kid":"a","crv":"P-256","x":"` + full + `","y":"` + short + `"}]}`, "bad EC coordinates"},
		{"EC y not base64url", `{"keys":[{"kty":"EC","kid":"a","crv":"P-256","x":"` + full + `","y":"!!"}]}`, "bad EC coordinates"},
		{"symmetric key", `{"keys":[{"kty":"oct","kid":"a"}]}`, `unsupported kty "oct"`},
		{"only encryption keys", `{"keys":[` + rsaJWK(k.rsa.N, []byte{1, 0, 1}, `,"use":"enc"`) + `]}`, "no signing keys"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := ParseJWKS([]byte(tc.doc))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.msg)
		})
	}
	set, err := ParseJWKS([]byte(`{"keys":[` + rsaJWK(k.rsa.N, []byte{1, 0, 1}, `,"use":"sig"`) + `]}`))
	require.NoError(t, err, `"use":"sig" is a signing key`)
	assert.Len(t, set.byKID, 1)
}

// A set of one key serves tokens without a kid; a set of several does not
// (TestJWTMode covers the latter).
func TestJWKSWithOneKeyNeedsNoKid(t *testing.T) {
	t.Parallel()
	k := newKeys(t)
	doc := `{"keys":[` + jwkRSA(k.rsa, "only") + `,{"kty":"oct","kid":"x","use":"enc"}]}`
	v, err := New(config.Auth{Mode: config.AuthJWT, JWT: config.JWT{Algorithms: []string{"RS256"}, JWKSFile: "/j"}},
		&config.Secrets{JWKS: []byte(doc)})
	require.NoError(t, err)
	good := claims{"exp": time.Now().Add(time.Hour).Unix()}
	assert.True(t, v.Verify(request("Bearer "+sign(t, jwt.SigningMethodRS256, k.rsa, "", good))), "no kid, one key")
	assert.True(t, v.Verify(request("Bearer "+sign(t, jwt.SigningMethodRS256, k.rsa, "only", good))), "its kid")
	assert.False(t, v.Verify(request("Bearer "+sign(t, jwt.SigningMethodRS256, k.rsa2, "", good))), "no kid, another signer")
}

func TestPublicKeyPEMForms(t *testing.T) {
	t.Parallel()
	k := newKeys(t)
	good := claims{"exp": time.Now().Add(time.Hour).Unix()}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "issuer"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	certDER, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.rsa.PublicKey, k.rsa)
	require.NoError(t, err)
	forms := map[string][]byte{
		"PKIX PUBLIC KEY": pemOf(t, &k.rsa.PublicKey),
		"PKCS#1 RSA PUBLIC KEY": pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY",
			Bytes: x509.MarshalPKCS1PublicKey(&k.rsa.PublicKey)}),
		"CERTIFICATE": pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: certDER}),
	}
	for name, pemBytes := range forms {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			v, err := New(config.Auth{Mode: config.AuthJWT, JWT: config.JWT{Algorithms: []string{"RS256"}, PublicKeyFile: "/p"}},
				&config.Secrets{JWTPEM: pemBytes})
			require.NoError(t, err)
			assert.True(t, v.Verify(request("Bearer "+sign(t, jwt.SigningMethodRS256, k.rsa, "", good))))
			assert.False(t, v.Verify(request("Bearer "+sign(t, jwt.SigningMethodRS256, k.rsa2, "", good))))
		})
	}

	edPub, _, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	_, err = ParsePublicKeyPEM(pemOf(t, edPub))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "unsupported key type")

	_, err = ParsePublicKeyPEM(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte("junk")}))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "parsing CERTIFICATE")
}

func TestJWTWithoutKeyMaterialIsRefused(t *testing.T) {
	t.Parallel()
	_, err := New(config.Auth{Mode: config.AuthJWT, JWT: config.JWT{Algorithms: []string{"HS256"}, SecretFile: "/s"}},
		&config.Secrets{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "no key material")
}

func TestNewRefusesUnresolvedSecretsAndUnknownModes(t *testing.T) {
	t.Parallel()
	v, err := New(config.Auth{}, nil)
	require.NoError(t, err, "an empty mode is none")
	assert.False(t, v.Verify(request("Bearer x")))
	_, err = New(config.Auth{Mode: config.AuthToken, TokenFile: "/t"}, nil)
	assert.ErrorContains(t, err, "auth.tokenFile")
	_, err = New(config.Auth{Mode: config.AuthJWT}, nil)
	assert.ErrorContains(t, err, "auth.jwt")
	_, err = New(config.Auth{Mode: "basic"}, nil)
	assert.ErrorContains(t, err, `unknown mode "basic"`)
}
