package kotaemon

// The container has no shell, so every flag can also come from the environment a
// chart's values file sets; flags on the command line win over the environment.

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
)

// Environment variables read by ParseOptions. The GRADIO_* pair is what the real image
// reads; the rest are the stand-in's own (STANDIN_ avoids Kubernetes' service variables).
const (
	EnvServerName    = "GRADIO_SERVER_NAME"
	EnvServerPort    = "GRADIO_SERVER_PORT"
	EnvControlHost   = "STANDIN_CONTROL_HOST"
	EnvControlPort   = "STANDIN_CONTROL_PORT"
	EnvStartup       = "STANDIN_STARTUP"
	EnvNeverStart    = "STANDIN_NEVER_START"
	EnvWorkers       = "STANDIN_WORKERS"
	EnvDrain         = "STANDIN_DRAIN"
	EnvIgnoreSigterm = "STANDIN_IGNORE_SIGTERM"
	EnvDataDir       = "STANDIN_DATA_DIR"
	EnvHealthPort    = "STANDIN_HEALTH_PORT"
)

// flagEnv pairs each flag with the variable that sets it when the flag is absent.
var flagEnv = []struct{ flag, env string }{
	{"server-name", EnvServerName},
	{"server-port", EnvServerPort},
	{"control-host", EnvControlHost},
	{"control-port", EnvControlPort},
	{"startup", EnvStartup},
	{"never-start", EnvNeverStart},
	{"workers", EnvWorkers},
	{"drain", EnvDrain},
	{"ignore-sigterm", EnvIgnoreSigterm},
	{"data-dir", EnvDataDir},
	{"health-port", EnvHealthPort},
}

// ParseOptions reads defaults, then the environment (through getenv), then args.
func ParseOptions(args []string, getenv func(string) string, usage io.Writer) (Options, error) {
	o := DefaultOptions()
	fs := flag.NewFlagSet("kotaemon-standin", flag.ContinueOnError)
	fs.SetOutput(usage)
	fs.StringVar(&o.AppHost, "server-name", o.AppHost, "app listen address (env "+EnvServerName+")")
	fs.IntVar(&o.AppPort, "server-port", o.AppPort, "app port (env "+EnvServerPort+")")
	fs.StringVar(&o.ControlHost, "control-host", o.ControlHost, "control listen address, empty for all (env "+EnvControlHost+")")
	fs.IntVar(&o.ControlPort, "control-port", o.ControlPort, "control port, all addresses (env "+EnvControlPort+")")
	fs.Var((*seconds)(&o.Startup), "startup", "app port stays closed this long, e.g. 30s or 30 (env "+EnvStartup+")")
	fs.BoolVar(&o.NeverStart, "never-start", o.NeverStart, "never open the app port (env "+EnvNeverStart+")")
	fs.IntVar(&o.Workers, "workers", o.Workers, "worker pool size for sync routes (env "+EnvWorkers+")")
	fs.Var((*seconds)(&o.Drain), "drain", "bound on finishing in-flight requests after SIGTERM (env "+EnvDrain+")")
	fs.BoolVar(&o.IgnoreSigterm, "ignore-sigterm", o.IgnoreSigterm, "log SIGTERM/SIGINT and keep running (env "+EnvIgnoreSigterm+")")
	fs.StringVar(&o.DataDir, "data-dir", o.DataDir, "data volume for the start marker (env "+EnvDataDir+")")
	fs.IntVar(&o.HealthPort, "health-port", o.HealthPort, "also serve /health/live and /health/ready on this port, 0 for none (env "+EnvHealthPort+")")

	for _, fe := range flagEnv {
		v, ok := lookup(getenv, fe.env)
		if !ok {
			continue
		}
		if err := fs.Set(fe.flag, v); err != nil {
			return Options{}, fmt.Errorf("%s=%q: %w", fe.env, v, err)
		}
	}
	if err := fs.Parse(args); err != nil {
		return Options{}, err
	}
	// The chart runs Kotaemon as `<venv>/bin/python app.py`: the image puts the stand-in
	// where that interpreter is, and the script's name is its one accepted argument.
	if rest := fs.Args(); len(rest) > 0 && !(len(rest) == 1 && rest[0] == Script) {
		return Options{}, fmt.Errorf("unexpected arguments: %s", strings.Join(rest, " "))
	}
	return o, o.Validate()
}

func lookup(getenv func(string) string, name string) (string, bool) {
	if getenv == nil {
		return "", false
	}
	v := getenv(name)
	return v, v != ""
}

// seconds is a duration flag that also takes a bare number of seconds, the way values
// files usually write timings.
type seconds time.Duration

func (s *seconds) String() string { return time.Duration(*s).String() }

func (s *seconds) Set(v string) error {
	d, err := parseSeconds(v)
	if err != nil {
		return err
	}
	*s = seconds(d)
	return nil
}

const maxSeconds = 365 * 24 * 3600

// parseSeconds accepts "30", "2.5" (seconds) or a Go duration ("30s", "1m"); never negative.
func parseSeconds(v string) (time.Duration, error) {
	var d time.Duration
	if f, err := strconv.ParseFloat(v, 64); err == nil {
		// NaN, Inf and anything past a year would overflow or mean nothing to a test.
		if math.IsNaN(f) || math.Abs(f) > maxSeconds {
			return 0, fmt.Errorf("%q is out of range", v)
		}
		d = durationOf(f)
	} else if d, err = time.ParseDuration(v); err != nil {
		return 0, fmt.Errorf("%q is neither seconds nor a duration", v)
	}
	if d < 0 {
		return 0, errors.New("must not be negative")
	}
	return d, nil
}

func durationOf(secs float64) time.Duration {
	return time.Duration(secs * float64(time.Second))
}
