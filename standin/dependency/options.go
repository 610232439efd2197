package dependency

// Options and names live apart from the servers so the program, the unit tests and the
// deploy suite build on one set of defaults and routes.

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"kotaemon-k8s/standin/control"
)

// Defaults for a process started with no flags.
const (
	DefaultListen      = ":8080"
	DefaultControlPort = 9090
	DefaultMode        = ModeUp
	DefaultPeriod      = 5 * time.Second
)

// DefaultModels are an Ollama chat model and embedding model, as Kotaemon's docs pull them.
var DefaultModels = []string{"llama3.1:8b", "nomic-embed-text"}

// Dependency routes, each the health or listing endpoint a check calls.
const (
	RouteOllamaTags    = "/api/tags"
	RouteOllamaVersion = "/api/version"
	RouteOpenAIModels  = "/v1/models"
	RouteModels        = "/models" // an OpenAI-compatible base URL without /v1
	RouteQdrantReady   = "/readyz"
	RouteTEIHealth     = "/health"
	RouteChromaV2      = "/api/v2/heartbeat"
	RouteChromaV1      = "/api/v1/heartbeat"
	RouteElasticHealth = "/_cluster/health"
	RouteMilvusHealth  = "/healthz"
	RouteRoot          = "/"
)

// Control routes, on the control port only.
const (
	ControlStatePath  = control.StatePath
	ControlModePath   = "/mode"
	ControlHealthPath = control.HealthPath
)

// Mode is how the dependency routes answer.
type Mode string

const (
	ModeUp   Mode = "up"   // every route answers as the real service does
	ModeDown Mode = "down" // every dependency route answers 503
	ModeFlap Mode = "flap" // down for a period, up for a period, and so on, starting down
	ModeHang Mode = "hang" // requests are held unanswered until the mode changes
)

// Modes lists every mode POST /mode accepts.
var Modes = []Mode{ModeUp, ModeDown, ModeFlap, ModeHang}

// Options configure one process.
type Options struct {
	Listen      string        // dependency address, host:port; port 0 picks one (tests)
	ControlHost string        // "" listens on all addresses
	ControlPort int           // 0 picks a free port (tests)
	Models      []string      // listed by the Ollama and OpenAI routes
	Mode        Mode          // mode at start
	Period      time.Duration // flap half-cycle until POST /mode sets another

	// Signals replaces SIGTERM/SIGINT from the OS when set (tests).
	Signals <-chan os.Signal

	// now replaces time.Now, so tests step through flap periods without waiting.
	now func() time.Time
}

// DefaultOptions are the options of a process started with no flags and no environment.
func DefaultOptions() Options {
	return Options{
		Listen:      DefaultListen,
		ControlPort: DefaultControlPort,
		Models:      slices.Clone(DefaultModels),
		Mode:        DefaultMode,
		Period:      DefaultPeriod,
	}
}

// Validate reports every option that cannot work, named as its flag.
func (o Options) Validate() error {
	var errs []error
	if o.Listen == "" {
		errs = append(errs, errors.New("listen: empty"))
	}
	if o.ControlPort < 0 || o.ControlPort > 65535 {
		errs = append(errs, fmt.Errorf("control-port: %d is not a port", o.ControlPort))
	}
	if len(o.Models) == 0 || slices.Contains(o.Models, "") {
		errs = append(errs, fmt.Errorf("models: %q needs at least one name and no empty ones", strings.Join(o.Models, ",")))
	}
	if !slices.Contains(Modes, o.Mode) {
		errs = append(errs, fmt.Errorf("mode: %q is not one of %s", o.Mode, modeList()))
	}
	if o.Period <= 0 {
		errs = append(errs, fmt.Errorf("period: %s must be positive", o.Period))
	}
	return errors.Join(errs...)
}

func (o Options) clock() func() time.Time {
	if o.now != nil {
		return o.now
	}
	return time.Now
}

func modeList() string {
	names := make([]string, len(Modes))
	for i, m := range Modes {
		names[i] = string(m)
	}
	return strings.Join(names, ", ")
}
