package auth

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"kotaemon-k8s/internal/config"
)

// Leeway tolerates clock skew between the token issuer and this node.
const Leeway = 10 * time.Second

type jwtVerifier struct {
	parser *jwt.Parser
	keys   jwt.Keyfunc
}

func newJWT(c config.JWT, s *config.Secrets) (*jwtVerifier, error) {
	opts := []jwt.ParserOption{
		jwt.WithValidMethods(c.Algorithms),
		jwt.WithExpirationRequired(),
		jwt.WithLeeway(Leeway),
		// Canonical base64 only: a signature cannot be re-encoded into a second valid token.
		jwt.WithStrictDecoding(),
	}
	if c.Issuer != "" {
		opts = append(opts, jwt.WithIssuer(c.Issuer))
	}
	if c.Audience != "" {
		opts = append(opts, jwt.WithAudience(c.Audience))
	}
	v := &jwtVerifier{parser: jwt.NewParser(opts...)}
	switch {
	case len(s.JWTSecret) > 0:
		secret := s.JWTSecret
		v.keys = func(*jwt.Token) (any, error) { return secret, nil }
	case len(s.JWTPEM) > 0:
		key, err := ParsePublicKeyPEM(s.JWTPEM)
		if err != nil {
			return nil, fmt.Errorf("auth.jwt.publicKeyFile: %w", err)
		}
		v.keys = func(*jwt.Token) (any, error) { return key, nil }
	case len(s.JWKS) > 0:
		set, err := ParseJWKS(s.JWKS)
		if err != nil {
			return nil, fmt.Errorf("auth.jwt.jwksFile: %w", err)
		}
		v.keys = set.keyfunc
	default:
		return nil, errors.New("auth.jwt: no key material resolved")
	}
	return v, nil
}

func (v *jwtVerifier) Verify(r *http.Request) bool {
	tok, ok := BearerToken(r.Header.Get("Authorization"))
	if !ok {
		return false
	}
	return v.VerifyToken(tok) == nil
}

// VerifyToken checks a compact JWT: signature with a pinned algorithm, exp present and
// in the future, iss and aud when configured.
func (v *jwtVerifier) VerifyToken(tok string) error {
	t, err := v.parser.Parse(tok, v.keys)
	if err != nil {
		return err
	}
	if !t.Valid {
		return errors.New("token not valid")
	}
	return nil
}

// ParsePublicKeyPEM reads an RSA or ECDSA (P-256) public key from a PEM block
// (PKIX "PUBLIC KEY", PKCS#1 "RSA PUBLIC KEY" or a certificate).
func ParsePublicKeyPEM(data []byte) (crypto.PublicKey, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, errors.New("no PEM block found")
	}
	var key any
	var err error
	switch block.Type {
	case "RSA PUBLIC KEY":
		key, err = x509.ParsePKCS1PublicKey(block.Bytes)
	case "CERTIFICATE":
		var cert *x509.Certificate
		if cert, err = x509.ParseCertificate(block.Bytes); err == nil {
			key = cert.PublicKey
		}
	default:
		key, err = x509.ParsePKIXPublicKey(block.Bytes)
	}
	if err != nil {
		return nil, fmt.Errorf("parsing %s: %w", block.Type, err)
	}
	switch k := key.(type) {
	case *rsa.PublicKey:
		return k, nil
	case *ecdsa.PublicKey:
		if k.Curve != elliptic.P256() {
			return nil, errors.New("ECDSA key must use P-256 (ES256)")
		}
		return k, nil
	}
	return nil, fmt.Errorf("unsupported key type %T (want RSA or ECDSA P-256)", key)
}

// JWKS is a parsed key set, keyed by kid.
type JWKS struct {
	byKID map[string]crypto.PublicKey
	only  crypto.PublicKey // the single key when the set has exactly one
}

type jwk struct {
	Kty string `json:"kty"`
	Kid string `json:"kid"`
	Use string `json:"use"`
	N   string `json:"n"`
	E   string `json:"e"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Y   string `json:"y"`
}

// ParseJWKS reads a JWKS document with RSA and EC (P-256) signing keys.
func ParseJWKS(data []byte) (*JWKS, error) {
	var doc struct {
		Keys []jwk `json:"keys"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("decoding JWKS: %w", err)
	}
	set := &JWKS{byKID: map[string]crypto.PublicKey{}}
	for i, k := range doc.Keys {
		if k.Use != "" && k.Use != "sig" {
			continue
		}
		key, err := k.publicKey()
		if err != nil {
			return nil, fmt.Errorf("keys[%d] (kid %q): %w", i, k.Kid, err)
		}
		if _, dup := set.byKID[k.Kid]; dup {
			return nil, fmt.Errorf("keys[%d]: duplicate kid %q", i, k.Kid)
		}
		set.byKID[k.Kid] = key
		set.only = key
	}
	if len(set.byKID) == 0 {
		return nil, errors.New("no signing keys in JWKS")
	}
	if len(set.byKID) > 1 {
		set.only = nil
	}
	return set, nil
}

func (s *JWKS) keyfunc(t *jwt.Token) (any, error) {
	kid, _ := t.Header["kid"].(string)
	if kid == "" {
		if s.only != nil {
			return s.only, nil
		}
		return nil, errors.New("token has no kid and the JWKS has several keys")
	}
	if k, ok := s.byKID[kid]; ok {
		return k, nil
	}
	return nil, fmt.Errorf("unknown kid %q", kid)
}

func b64(s string) ([]byte, error) { return base64.RawURLEncoding.DecodeString(s) }

func (k jwk) publicKey() (crypto.PublicKey, error) {
	switch k.Kty {
	case "RSA":
		n, err := b64(k.N)
		if err != nil || len(n) == 0 {
			return nil, errors.New("bad modulus n")
		}
		e, err := b64(k.E)
		if err != nil || len(e) == 0 || len(e) > 4 {
			return nil, errors.New("bad exponent e")
		}
		exp := int(new(big.Int).SetBytes(e).Int64())
		if exp < 3 {
			return nil, errors.New("bad exponent e")
		}
		pub := &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: exp}
		if pub.N.BitLen() < 2048 {
			return nil, fmt.Errorf("RSA key of %d bits is too small (want >= 2048)", pub.N.BitLen())
		}
		return pub, nil
	case "EC":
		if k.Crv != "P-256" {
			return nil, fmt.Errorf("unsupported curve %q (want P-256)", k.Crv)
		}
		x, err1 := b64(k.X)
		y, err2 := b64(k.Y)
		if err1 != nil || err2 != nil || len(x) != 32 || len(y) != 32 {
			return nil, errors.New("bad EC coordinates")
		}
		// Uncompressed point encoding, validated by the standard library.
		raw := append(append([]byte{4}, x...), y...)
		pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), raw)
		if err != nil {
			return nil, fmt.Errorf("bad EC point: %w", err)
		}
		return pub, nil
	}
	return nil, fmt.Errorf("unsupported kty %q (want RSA or EC)", k.Kty)
}
