package config

import (
	"errors"
	"fmt"
	"os"
	"strings"
)

// Secrets are the values behind every reference in the config, read once at start.
type Secrets struct {
	Token     string                  // auth.tokenFile
	JWTSecret []byte                  // auth.jwt.secretFile
	JWTPEM    []byte                  // auth.jwt.publicKeyFile
	JWKS      []byte                  // auth.jwt.jwksFile
	Checks    map[string]CheckSecrets // by check name
}

// CheckSecrets are a check's resolved API key and extra headers.
type CheckSecrets struct {
	APIKey  string
	Headers [][2]string // name, value in config order
}

// ResolveSecrets reads every file and environment variable the config references and
// stores the values in c.Secrets. A missing or empty file or variable is an error
// naming the field, so the agent never starts half-configured.
func (c *Config) ResolveSecrets() error {
	return c.ResolveSecretsWith(os.LookupEnv, os.ReadFile)
}

// ResolveSecretsWith is ResolveSecrets with the environment and filesystem injected.
func (c *Config) ResolveSecretsWith(lookupEnv func(string) (string, bool), readFile func(string) ([]byte, error)) error {
	s := &Secrets{Checks: map[string]CheckSecrets{}}
	get := func(field, env, file string) (string, error) {
		if env != "" {
			v, ok := lookupEnv(env)
			if !ok {
				return "", fieldErr(field+".env", "environment variable %s is not set", env)
			}
			if strings.TrimSpace(v) == "" {
				return "", fieldErr(field+".env", "environment variable %s is empty", env)
			}
			return strings.TrimSpace(v), nil
		}
		b, err := readFile(file)
		if err != nil {
			return "", fieldErr(field+".file", "%v", err)
		}
		v := strings.TrimSpace(string(b))
		if v == "" {
			return "", fieldErr(field+".file", "%s is empty", file)
		}
		return v, nil
	}
	// A value sent in an HTTP header (a bearer token, an API key, a header's value) is
	// held at load to the rule it meets at use.
	header := func(field, env, file string) (string, error) {
		v, err := get(field, env, file)
		if err != nil {
			return "", err
		}
		if err := headerSafe(v); err != nil {
			if env != "" {
				return "", fieldErr(field+".env", "environment variable %s %v", env, err)
			}
			return "", fieldErr(field+".file", "%s %v", file, err)
		}
		return v, nil
	}
	readRaw := func(field, file string) ([]byte, error) {
		b, err := readFile(file)
		if err != nil {
			return nil, fieldErr(field, "%v", err)
		}
		if len(strings.TrimSpace(string(b))) == 0 {
			return nil, fieldErr(field, "%s is empty", file)
		}
		return b, nil
	}
	var err error
	switch c.Auth.Mode {
	case AuthToken:
		if s.Token, err = header("auth.tokenFile", "", c.Auth.TokenFile); err != nil {
			return err
		}
		if err := BearerTokenProblem(s.Token); err != nil {
			return fieldErr("auth.tokenFile", "%s %v", c.Auth.TokenFile, err)
		}
	case AuthJWT:
		if err := s.resolveJWT(c.Auth.JWT, get, readRaw); err != nil {
			return err
		}
	}
	for i, ch := range c.Checks {
		f := fmt.Sprintf("checks[%d]", i)
		var cs CheckSecrets
		if ch.APIKey.IsSet() {
			if cs.APIKey, err = header(f+".apiKey", ch.APIKey.Env, ch.APIKey.File); err != nil {
				return err
			}
		}
		for k, h := range ch.Headers {
			v, err := header(fmt.Sprintf("%s.headers[%d]", f, k), h.Env, h.File)
			if err != nil {
				return err
			}
			cs.Headers = append(cs.Headers, [2]string{h.Name, v})
		}
		s.Checks[ch.Name] = cs
	}
	c.Secrets = s
	return nil
}

// resolveJWT reads the JWT key from the one file the config names: an HS256 secret (at
// least MinHS256SecretBytes long), a PEM public key, or a JWKS document.
func (s *Secrets) resolveJWT(j JWT, get func(field, env, file string) (string, error), readRaw func(field, file string) ([]byte, error)) error {
	var err error
	if j.SecretFile != "" {
		sec, err := get("auth.jwt.secretFile", "", j.SecretFile)
		if err != nil {
			return err
		}
		if len(sec) < MinHS256SecretBytes {
			return fieldErr("auth.jwt.secretFile", "the HS256 secret is %d bytes: use at least %d (a shorter key is guessable offline from any token)", len(sec), MinHS256SecretBytes)
		}
		s.JWTSecret = []byte(sec)
		return nil
	}
	if j.PublicKeyFile != "" {
		s.JWTPEM, err = readRaw("auth.jwt.publicKeyFile", j.PublicKeyFile)
		return err
	}
	if j.JWKSFile != "" {
		s.JWKS, err = readRaw("auth.jwt.jwksFile", j.JWKSFile)
	}
	return err
}

// MaxBearerTokenBytes bounds a bearer token: the work an unauthenticated caller can cause.
const MaxBearerTokenBytes = 8 << 10

// BearerTokenProblem is the rule a bearer token meets in a request (auth reads the
// token with it) and in auth.tokenFile at load: not empty, no whitespace, at most
// MaxBearerTokenBytes. A configured token that breaks it would refuse every caller.
func BearerTokenProblem(tok string) error {
	switch {
	case tok == "":
		return errors.New("is empty")
	case len(tok) > MaxBearerTokenBytes:
		return fmt.Errorf("holds a token of %d bytes, more than the %d a bearer token may have", len(tok), MaxBearerTokenBytes)
	}
	if i := strings.IndexAny(tok, " \t\r\n"); i >= 0 {
		return fmt.Errorf("holds whitespace inside the token (offset %d), which a bearer token cannot carry", i)
	}
	return nil
}

// headerSafe is the rule a value must meet where it is used, in an HTTP header (a bearer
// token, an API key, a header's value): no control character (net/http refuses such a
// request, so every run of the check, or every caller's token, would fail).
func headerSafe(v string) error {
	for i := 0; i < len(v); i++ {
		if c := v[i]; (c < 0x20 && c != '\t') || c == 0x7f {
			return fmt.Errorf("holds a control character (byte 0x%02x at offset %d), which an HTTP header cannot carry", c, i)
		}
	}
	return nil
}
