// Package config loads and validates the health agent's configuration file, the
// contract in docs/agent-config.md. Parse checks syntax and semantics without touching
// the filesystem or the environment (the chart's render suite calls it on every
// rendered config); ResolveSecrets reads the referenced files and variables; Load does
// both.
package config

import (
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// Check types.
const (
	TypeOllama        = "ollama"
	TypeOpenAI        = "openai"
	TypeQdrant        = "qdrant"
	TypeElasticsearch = "elasticsearch"
	TypeMilvus        = "milvus"
	TypeChroma        = "chroma"
	TypeTEI           = "tei"
	TypeHTTP          = "http"
	TypeTCP           = "tcp"
	TypeDisk          = "disk"
	TypeGenerate      = "generate"
)

// Details modes: who sees per-component bodies.
const (
	DetailsPublic        = "public"
	DetailsAuthenticated = "authenticated"
	DetailsNone          = "none"
)

// Auth modes.
const (
	AuthNone  = "none"
	AuthToken = "token"
	AuthJWT   = "jwt"
)

// ReservedComponentNames cannot be used as check names: the bodies already use them.
var ReservedComponentNames = []string{"app", "process"}

// Config is the validated configuration. Every duration is a time.Duration.
type Config struct {
	Listen   string   `yaml:"listen"`
	Paths    Paths    `yaml:"paths"`
	App      App      `yaml:"app"`
	Shutdown Shutdown `yaml:"shutdown"`
	Details  string   `yaml:"details"`
	Auth     Auth     `yaml:"auth"`
	Log      Log      `yaml:"log"`
	History  History  `yaml:"history"`
	Checks   []Check  `yaml:"checks"`

	// Secrets holds what ResolveSecrets read; nil until then.
	Secrets *Secrets `yaml:"-"`
}

// Paths are the agent's own HTTP paths.
type Paths struct {
	Live    string `yaml:"live"`
	Ready   string `yaml:"ready"`
	Metrics string `yaml:"metrics"` // "" disables /metrics
}

// HistoryPath is where the agent serves its history (package history) to authenticated
// callers: fixed, beside the probe paths, which may not take it.
const HistoryPath = "/health/history"

// History is where the agent keeps its observations across restarts.
type History struct {
	// Path of the history file, on a volume that outlives the container (the data
	// volume); "" keeps the history in memory only.
	Path string `yaml:"path"`
}

// App describes the Kotaemon process the agent vouches for.
type App struct {
	URL   string   `yaml:"url"`
	Live  AppProbe `yaml:"live"`
	Ready AppProbe `yaml:"ready"`
}

// AppProbe is one request to the app made inside a probe request.
type AppProbe struct {
	Path    string        `yaml:"path"`
	Timeout time.Duration `yaml:"timeout"`
}

// Shutdown of supervise mode, in its order: readiness fails at once; after DrainDelay
// the agent waits up to AnswersTimeout for the app's answers in flight to end; then it
// sends StopSignal and gives the app StopTimeout before SIGKILL. DrainTime is the sum.
type Shutdown struct {
	DrainDelay     time.Duration `yaml:"drainDelay"`
	AnswersTimeout time.Duration `yaml:"answersTimeout"` // 0: the app is signalled without waiting
	// StopSignal is the signal the app stops cleanly on: "" passes on the one the agent
	// got. Kotaemon needs SIGINT (SIGTERM kills Python at once; docs/kotaemon.md).
	StopSignal  string        `yaml:"stopSignal"`
	StopTimeout time.Duration `yaml:"stopTimeout"`
}

// StopSignals are the signals shutdown.stopSignal may name.
var StopSignals = []string{"SIGTERM", "SIGINT", "SIGQUIT", "SIGHUP"}

// Auth decides who sees details (and /metrics when ProtectMetrics).
type Auth struct {
	Mode           string `yaml:"mode"`
	TokenFile      string `yaml:"tokenFile"`
	JWT            JWT    `yaml:"jwt"`
	ProtectMetrics bool   `yaml:"protectMetrics"`
	// TrustLoopback lets loopback callers see details and /metrics without credentials.
	// Off by default: behind a service mesh every remote caller arrives from loopback
	// (the inbound proxy connects from 127.0.0.6).
	TrustLoopback bool `yaml:"trustLoopback"`
}

// JWT verification settings; exactly one key source is set in jwt mode.
type JWT struct {
	Algorithms    []string `yaml:"algorithms"`
	SecretFile    string   `yaml:"secretFile"`
	PublicKeyFile string   `yaml:"publicKeyFile"`
	JWKSFile      string   `yaml:"jwksFile"`
	Issuer        string   `yaml:"issuer"`
	Audience      string   `yaml:"audience"`
}

// Log settings.
type Log struct {
	Level string `yaml:"level"`
}

// Check is one background dependency check.
type Check struct {
	Name           string        `yaml:"name"`
	Type           string        `yaml:"type"`
	Critical       *bool         `yaml:"critical"` // nil in the file means true; use IsCritical
	Interval       time.Duration `yaml:"interval"`
	Timeout        time.Duration `yaml:"timeout"`
	URL            string        `yaml:"url"`
	Address        string        `yaml:"address"`
	Model          string        `yaml:"model"`
	Path           string        `yaml:"path"`
	MinFreeBytes   uint64        `yaml:"minFreeBytes"`
	ExpectedStatus []int         `yaml:"expectedStatus"`
	Provider       string        `yaml:"provider"`
	APIKey         SecretRef     `yaml:"apiKey"`
	Headers        []Header      `yaml:"headers"`
	// Consecutive runs that change the check's state: failed runs to go down, passed
	// runs to come up. nil in the file means DefaultCheckFailures / DefaultCheckPasses.
	FailureThreshold *int `yaml:"failureThreshold"`
	SuccessThreshold *int `yaml:"successThreshold"`
}

// Failures is the consecutive failed runs before the check is down.
func (c Check) Failures() int { return orDefault(c.FailureThreshold, DefaultCheckFailures) }

// Passes is the consecutive passed runs before the check is up.
func (c Check) Passes() int { return orDefault(c.SuccessThreshold, DefaultCheckPasses) }

func orDefault(p *int, d int) int {
	if p == nil {
		return d
	}
	return *p
}

// IsCritical reports whether the check gates readiness (default true).
func (c Check) IsCritical() bool { return c.Critical == nil || *c.Critical }

// SecretRef names where a secret lives: an environment variable or a file.
type SecretRef struct {
	Env  string `yaml:"env"`
	File string `yaml:"file"`
}

// IsSet reports whether the reference names anything.
func (s SecretRef) IsSet() bool { return s.Env != "" || s.File != "" }

// Header is an extra request header whose value is read by reference.
type Header struct {
	Name string `yaml:"name"`
	Env  string `yaml:"env"`
	File string `yaml:"file"`
}

// Defaults are the values of every key the file leaves out.
const (
	DefaultListen        = ":8000"
	DefaultLivePath      = "/health/live"
	DefaultReadyPath     = "/health/ready"
	DefaultMetricsPath   = "/metrics"
	DefaultAppURL        = "http://127.0.0.1:7860"
	DefaultAppLivePath   = "/startup-events"
	DefaultAppReadyPath  = "/app_id"
	DefaultAppTimeout    = 2 * time.Second
	DefaultDrainDelay    = 5 * time.Second
	DefaultStopTimeout   = 20 * time.Second
	DefaultCheckInterval = 30 * time.Second
	DefaultCheckTimeout  = 5 * time.Second
)

// Default returns the configuration of an empty file.
func Default() *Config {
	return &Config{
		Listen:   DefaultListen,
		Paths:    Paths{Live: DefaultLivePath, Ready: DefaultReadyPath, Metrics: DefaultMetricsPath},
		App:      App{URL: DefaultAppURL, Live: AppProbe{Path: DefaultAppLivePath, Timeout: DefaultAppTimeout}, Ready: AppProbe{Path: DefaultAppReadyPath, Timeout: DefaultAppTimeout}},
		Shutdown: Shutdown{DrainDelay: DefaultDrainDelay, StopTimeout: DefaultStopTimeout},
		Details:  DetailsAuthenticated,
		Auth:     Auth{Mode: AuthNone, JWT: JWT{Algorithms: []string{"HS256"}}},
		Log:      Log{Level: "info"},
	}
}

// DrainTime is the longest a SIGTERM takes to end in the child's exit (PI-14).
func (c *Config) DrainTime() time.Duration {
	return c.Shutdown.DrainDelay + c.Shutdown.AnswersTimeout + c.Shutdown.StopTimeout
}

// ListenPort is the TCP port of the health server (PI-08).
func (c *Config) ListenPort() int {
	_, p, err := net.SplitHostPort(c.Listen)
	if err != nil {
		return 0
	}
	n, _ := strconv.Atoi(p)
	return n
}

// MaxProbeTimeout is the longest the agent spends inside one probe request of the
// endpoint at path (PI-09), or 0 when the path is not a probe endpoint.
func (c *Config) MaxProbeTimeout(path string) time.Duration {
	switch path {
	case c.Paths.Live:
		return c.App.Live.Timeout
	case c.Paths.Ready:
		return c.App.Ready.Timeout
	}
	return 0
}

// Load reads, parses and validates the file at path, then resolves every secret it
// references. It is what the agent calls at start.
func Load(path string) (*Config, error) {
	cfg, err := LoadWithoutSecrets(path)
	if err != nil {
		return nil, err
	}
	if err := cfg.ResolveSecrets(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return cfg, nil
}

// LoadWithoutSecrets reads, parses and validates the file at path, and reads no secret:
// for a command that needs only the timings (stop, in a container without them).
func LoadWithoutSecrets(path string) (*Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading config: %w", err)
	}
	defer f.Close()
	// One byte more than allowed, so Parse can tell a file that is too large.
	data, err := io.ReadAll(io.LimitReader(f, MaxConfigBytes+1))
	if err != nil {
		return nil, fmt.Errorf("reading config: %w", err)
	}
	cfg, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return cfg, nil
}

// Parse decodes and validates a config document. It never reads a file or the
// environment: secret references are checked for form only.
func Parse(data []byte) (*Config, error) {
	if len(data) > MaxConfigBytes {
		return nil, fieldErr("", "the config is %d bytes, more than the %d a config may have", len(data), MaxConfigBytes)
	}
	cfg := Default()
	if err := decode(data, cfg); err != nil {
		return nil, err
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	return cfg, nil
}

// FieldError names the offending key, e.g. "checks[2].timeout".
type FieldError struct {
	Field string
	Msg   string
}

func (e *FieldError) Error() string {
	if e.Field == "" {
		return e.Msg
	}
	return e.Field + ": " + e.Msg
}

func fieldErr(field, format string, args ...any) error {
	for i, a := range args {
		if s, ok := a.(string); ok {
			args[i] = truncate(s)
		}
	}
	return &FieldError{Field: field, Msg: fmt.Sprintf(format, args...)}
}

var checkNameRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)
var headerNameRE = regexp.MustCompile("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
var envNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func (c *Config) validate() error {
	if err := validateListen(c.Listen); err != nil {
		return fieldErr("listen", "%v", err)
	}
	if err := validatePath(c.Paths.Live); err != nil {
		return fieldErr("paths.live", "%v", err)
	}
	if err := validatePath(c.Paths.Ready); err != nil {
		return fieldErr("paths.ready", "%v", err)
	}
	if c.Paths.Live == c.Paths.Ready {
		return fieldErr("paths.ready", "must differ from paths.live (%q): liveness and readiness are different handlers", c.Paths.Live)
	}
	for _, p := range []struct{ name, path string }{{"paths.live", c.Paths.Live}, {"paths.ready", c.Paths.Ready}, {"paths.metrics", c.Paths.Metrics}} {
		if p.path == HistoryPath {
			return fieldErr(p.name, "%q is where the agent serves its history: choose another path", p.path)
		}
	}
	if c.History.Path != "" && (!filepath.IsAbs(c.History.Path) || filepath.Clean(c.History.Path) != c.History.Path) {
		return fieldErr("history.path", "%q must be an absolute, clean path", c.History.Path)
	}
	if c.Paths.Metrics != "" {
		if err := validatePath(c.Paths.Metrics); err != nil {
			return fieldErr("paths.metrics", "%v", err)
		}
		if c.Paths.Metrics == c.Paths.Live || c.Paths.Metrics == c.Paths.Ready {
			return fieldErr("paths.metrics", "%q is already used by a probe path", c.Paths.Metrics)
		}
	}
	if err := validateURL(c.App.URL); err != nil {
		return fieldErr("app.url", "%v", err)
	}
	for _, p := range []struct {
		name  string
		probe AppProbe
	}{{"app.live", c.App.Live}, {"app.ready", c.App.Ready}} {
		if err := validatePath(p.probe.Path); err != nil {
			return fieldErr(p.name+".path", "%v", err)
		}
		if p.probe.Timeout <= 0 {
			return fieldErr(p.name+".timeout", "must be positive, got %s", p.probe.Timeout)
		}
	}
	if c.Shutdown.DrainDelay < 0 {
		return fieldErr("shutdown.drainDelay", "must not be negative, got %s", c.Shutdown.DrainDelay)
	}
	if c.Shutdown.StopTimeout <= 0 {
		return fieldErr("shutdown.stopTimeout", "must be positive, got %s", c.Shutdown.StopTimeout)
	}
	if c.Shutdown.AnswersTimeout < 0 {
		return fieldErr("shutdown.answersTimeout", "must not be negative, got %s", c.Shutdown.AnswersTimeout)
	}
	if sig := c.Shutdown.StopSignal; sig != "" && !slices.Contains(StopSignals, sig) {
		return fieldErr("shutdown.stopSignal", "unknown signal %q (want one of %s)", sig, strings.Join(StopSignals, ", "))
	}
	if err := c.validateBounds(); err != nil {
		return err
	}
	switch c.Details {
	case DetailsPublic, DetailsAuthenticated, DetailsNone:
	default:
		return fieldErr("details", "unknown value %q (want public, authenticated or none)", c.Details)
	}
	if err := c.Auth.validate(); err != nil {
		return err
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		return fieldErr("log.level", "unknown level %q (want debug, info, warn or error)", c.Log.Level)
	}
	seen := map[string]int{}
	for i := range c.Checks {
		f := fmt.Sprintf("checks[%d]", i)
		if err := c.Checks[i].validate(f); err != nil {
			return err
		}
		if j, dup := seen[c.Checks[i].Name]; dup {
			return fieldErr(f+".name", "duplicate name %q (also checks[%d])", c.Checks[i].Name, j)
		}
		seen[c.Checks[i].Name] = i
	}
	return nil
}

func (a *Auth) validate() error {
	if j := a.JWT; a.Mode != AuthJWT && (j.SecretFile != "" || j.PublicKeyFile != "" || j.JWKSFile != "" || j.Issuer != "" || j.Audience != "") {
		return fieldErr("auth.jwt", "is read only with auth.mode jwt (the mode is %q): remove it, or set the mode", a.Mode)
	}
	switch a.Mode {
	case AuthNone:
		if a.ProtectMetrics {
			return fieldErr("auth.protectMetrics", "needs auth.mode token or jwt (there are no credentials in mode none)")
		}
	case AuthToken:
		if a.TokenFile == "" {
			return fieldErr("auth.tokenFile", "required when auth.mode is token")
		}
	case AuthJWT:
		j := a.JWT
		sources := 0
		for _, s := range []string{j.SecretFile, j.PublicKeyFile, j.JWKSFile} {
			if s != "" {
				sources++
			}
		}
		if sources != 1 {
			return fieldErr("auth.jwt", "exactly one of secretFile, publicKeyFile, jwksFile must be set in jwt mode (got %d)", sources)
		}
		if len(j.Algorithms) == 0 {
			return fieldErr("auth.jwt.algorithms", "at least one algorithm is required")
		}
		for i, alg := range j.Algorithms {
			f := fmt.Sprintf("auth.jwt.algorithms[%d]", i)
			switch alg {
			case "HS256":
				if j.SecretFile == "" {
					return fieldErr(f, "HS256 needs auth.jwt.secretFile")
				}
			case "RS256", "ES256":
				if j.SecretFile != "" {
					return fieldErr(f, "%s needs a public key (publicKeyFile or jwksFile), not secretFile", alg)
				}
			default:
				return fieldErr(f, "unsupported algorithm %q (want HS256, RS256 or ES256)", alg)
			}
		}
	default:
		return fieldErr("auth.mode", "unknown mode %q (want none, token or jwt)", a.Mode)
	}
	return nil
}

// validateRef checks the form of a by-reference secret: exactly one of env and file.
func validateRef(f, env, file string) error {
	if (env == "") == (file == "") {
		if env != "" {
			return fieldErr(f, "set env or file, not both")
		}
		return fieldErr(f, "one of env or file is required (secrets are never written in the config)")
	}
	if env != "" && !envNameRE.MatchString(env) {
		return fieldErr(f+".env", "%q is not an environment variable name", env)
	}
	if file != "" && !strings.HasPrefix(file, "/") {
		return fieldErr(f+".file", "must be an absolute path, got %q", file)
	}
	return nil
}

func validateListen(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%q is not [host]:port: %v", addr, err)
	}
	if host != "" && net.ParseIP(host) == nil && host != "localhost" {
		return fmt.Errorf("host %q must be empty, an IP address or localhost", host)
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("port %q is not a number in 1-65535", port)
	}
	return nil
}

func validatePath(p string) error {
	if !strings.HasPrefix(p, "/") {
		return fmt.Errorf("must start with '/', got %q", p)
	}
	if strings.ContainsAny(p, "?# \t\r\n") {
		return fmt.Errorf("%q must be a plain path (no query, fragment or whitespace)", p)
	}
	return nil
}

func validateURL(raw string) error {
	if hasSpaceOrControl(raw) {
		return fmt.Errorf("%q contains whitespace or a control character", raw)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("%q is not a URL: %v", raw, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("%q: scheme must be http or https", raw)
	}
	if u.Host == "" || u.Hostname() == "" {
		return fmt.Errorf("%q has no host", raw)
	}
	if u.User != nil {
		return fmt.Errorf("%q carries credentials; use apiKey or headers by reference", raw)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("%q must not carry a query or fragment", raw)
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return fmt.Errorf("%q: port %q is not a number in 1-65535", raw, p)
		}
	}
	return nil
}

// hasSpaceOrControl reports whether s holds whitespace or a control character: no part
// of a URL or host:port may (url.Parse lets some through, in paths and hosts).
func hasSpaceOrControl(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0
}
