package config

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"
)

// validate checks one dependency check, f being its field path (checks[i]), in named
// steps: identity, timing, the keys its type reads, what each type needs, secrets.
func (c *Check) validate(f string) error {
	if err := c.validateName(f); err != nil {
		return err
	}
	t, ok := checkType(c.Type)
	if !ok {
		return fieldErr(f+".type", "unknown type %q (want one of %s)", c.Type, strings.Join(CheckTypes, ", "))
	}
	for _, step := range []func(string, CheckType) error{c.validateTiming, c.validateKeys, c.validateTypeNeeds, c.validateSecrets} {
		if err := step(f, t); err != nil {
			return err
		}
	}
	return nil
}

func (c *Check) validateName(f string) error {
	if !checkNameRE.MatchString(c.Name) {
		return fieldErr(f+".name", "%q must match [a-z0-9-]+ (at most 63 characters, no leading or trailing '-')", c.Name)
	}
	for _, r := range ReservedComponentNames {
		if c.Name == r {
			return fieldErr(f+".name", "%q is reserved for the agent's own component", c.Name)
		}
	}
	return nil
}

func (c *Check) validateTiming(f string, _ CheckType) error {
	if err := within(f+".interval", c.Interval, MinCheckInterval, MaxCheckInterval); err != nil {
		return err
	}
	if err := within(f+".timeout", c.Timeout, time.Millisecond, MaxCheckTimeout); err != nil {
		return err
	}
	if c.Timeout >= c.Interval {
		return fieldErr(f+".timeout", "%s must be shorter than interval %s", c.Timeout, c.Interval)
	}
	for _, t := range []struct {
		name string
		n    *int
	}{{"failureThreshold", c.FailureThreshold}, {"successThreshold", c.SuccessThreshold}} {
		if t.n != nil && (*t.n < 1 || *t.n > MaxCheckThreshold) {
			return fieldErr(f+"."+t.name, "%d is outside 1..%d", *t.n, MaxCheckThreshold)
		}
	}
	return nil
}

// setKeys reports which optional keys the check sets.
func (c *Check) setKeys() map[string]bool {
	return map[string]bool{
		"url": c.URL != "", "address": c.Address != "", "model": c.Model != "", "path": c.Path != "",
		"minFreeBytes": c.MinFreeBytes != 0, "expectedStatus": len(c.ExpectedStatus) > 0,
		"provider": c.Provider != "", "apiKey": c.APIKey.IsSet(), "headers": len(c.Headers) > 0,
	}
}

// validateKeys refuses a key the type does not read (a mistake, not a no-op) and
// requires url wherever it is read, and the type's other required keys.
func (c *Check) validateKeys(f string, t CheckType) error {
	set := c.setKeys()
	for _, k := range CheckKeys {
		if set[k] && !t.Reads(k) {
			return fieldErr(f+"."+k, "not used by type %s", c.Type)
		}
	}
	if t.Reads("url") {
		if c.URL == "" {
			return fieldErr(f+".url", "required for type %s", c.Type)
		}
		if err := validateURL(c.URL); err != nil {
			return fieldErr(f+".url", "%v", err)
		}
	}
	for _, k := range t.Required {
		if !set[k] {
			return fieldErr(f+"."+k, "required for type %s", c.Type)
		}
	}
	return nil
}

// validateTypeNeeds checks the form of the keys a type reads.
func (c *Check) validateTypeNeeds(f string, _ CheckType) error {
	switch c.Type {
	case TypeTCP:
		host, port, err := net.SplitHostPort(c.Address)
		if err != nil || host == "" || hasSpaceOrControl(c.Address) {
			return fieldErr(f+".address", "%q is not host:port", c.Address)
		}
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return fieldErr(f+".address", "port %q is not a number in 1-65535", port)
		}
	case TypeDisk:
		if !strings.HasPrefix(c.Path, "/") {
			return fieldErr(f+".path", "an absolute directory path is required for type disk, got %q", c.Path)
		}
	case TypeHTTP:
		if c.Path != "" && !strings.HasPrefix(c.Path, "/") {
			return fieldErr(f+".path", "must start with '/', got %q", c.Path)
		}
		for i, code := range c.ExpectedStatus {
			if code < 100 || code > 599 {
				return fieldErr(fmt.Sprintf("%s.expectedStatus[%d]", f, i), "%d is not an HTTP status code", code)
			}
		}
	case TypeGenerate:
		if c.Provider != "openai" && c.Provider != "ollama" {
			return fieldErr(f+".provider", "must be openai or ollama for type generate, got %q", c.Provider)
		}
		if c.Provider == "ollama" && c.APIKey.IsSet() {
			return fieldErr(f+".apiKey", "not used by provider ollama")
		}
	}
	return nil
}

// validateSecrets checks that every secret is a reference (env or file) and header
// names are valid and distinct.
func (c *Check) validateSecrets(f string, _ CheckType) error {
	if c.APIKey.IsSet() {
		if err := validateRef(f+".apiKey", c.APIKey.Env, c.APIKey.File); err != nil {
			return err
		}
	}
	names := map[string]bool{}
	for i, h := range c.Headers {
		hf := fmt.Sprintf("%s.headers[%d]", f, i)
		if !headerNameRE.MatchString(h.Name) {
			return fieldErr(hf+".name", "%q is not a valid header name", h.Name)
		}
		canon := strings.ToLower(h.Name)
		if names[canon] {
			return fieldErr(hf+".name", "duplicate header %q", h.Name)
		}
		names[canon] = true
		if err := validateRef(hf, h.Env, h.File); err != nil {
			return err
		}
	}
	return nil
}
