package dependency

// The container has no shell, so every flag can also come from the environment a
// chart's values file sets; flags on the command line win over the environment.

import (
	"flag"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
)

// Environment variables read by ParseOptions (STANDIN_ avoids Kubernetes' service variables).
const (
	EnvListen      = "STANDIN_LISTEN"
	EnvControlHost = "STANDIN_CONTROL_HOST"
	EnvControlPort = "STANDIN_CONTROL_PORT"
	EnvModels      = "STANDIN_MODELS"
	EnvMode        = "STANDIN_MODE"
	EnvPeriod      = "STANDIN_PERIOD"
)

// flagEnv pairs each flag with the variable that sets it when the flag is absent.
var flagEnv = []struct{ flag, env string }{
	{"listen", EnvListen},
	{"control-host", EnvControlHost},
	{"control-port", EnvControlPort},
	{"models", EnvModels},
	{"mode", EnvMode},
	{"period", EnvPeriod},
}

// ParseOptions reads defaults, then the environment (through getenv), then args.
func ParseOptions(args []string, getenv func(string) string, usage io.Writer) (Options, error) {
	o := DefaultOptions()
	fs := flag.NewFlagSet("dependency-standin", flag.ContinueOnError)
	fs.SetOutput(usage)
	fs.StringVar(&o.Listen, "listen", o.Listen, "dependency address host:port (env "+EnvListen+")")
	fs.StringVar(&o.ControlHost, "control-host", o.ControlHost, "control listen address, empty for all (env "+EnvControlHost+")")
	fs.IntVar(&o.ControlPort, "control-port", o.ControlPort, "control port, all addresses (env "+EnvControlPort+")")
	fs.Func("models", "comma-separated model names (env "+EnvModels+", default "+strings.Join(DefaultModels, ",")+")",
		func(v string) error { o.Models = splitModels(v); return nil })
	fs.Func("mode", "mode at start: "+modeList()+" (env "+EnvMode+", default up)",
		func(v string) error { o.Mode = Mode(v); return nil })
	fs.Func("period", "flap half-cycle, e.g. 5s or 5 (env "+EnvPeriod+", default 5s)",
		func(v string) error { d, err := parsePeriod(v); o.Period = d; return err })

	for _, fe := range flagEnv {
		if getenv == nil || getenv(fe.env) == "" {
			continue
		}
		if err := fs.Set(fe.flag, getenv(fe.env)); err != nil {
			return Options{}, fmt.Errorf("%s=%q: %w", fe.env, getenv(fe.env), err)
		}
	}
	if err := fs.Parse(args); err != nil {
		return Options{}, err
	}
	if fs.NArg() > 0 {
		return Options{}, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	return o, o.Validate()
}

func splitModels(v string) []string {
	var out []string
	for _, m := range strings.Split(v, ",") {
		if m = strings.TrimSpace(m); m != "" {
			out = append(out, m)
		}
	}
	return out
}

const maxSeconds = 365 * 24 * 3600

// parsePeriod accepts a Go duration ("5s", "1m") or a bare number of seconds; positive only.
func parsePeriod(v string) (time.Duration, error) {
	var d time.Duration
	if f, err := strconv.ParseFloat(v, 64); err == nil {
		if math.IsNaN(f) || math.Abs(f) > maxSeconds {
			return 0, fmt.Errorf("%q is out of range", v)
		}
		d = time.Duration(f * float64(time.Second))
	} else if d, err = time.ParseDuration(v); err != nil {
		return 0, fmt.Errorf("%q is neither seconds nor a duration", v)
	}
	if d <= 0 {
		return 0, fmt.Errorf("%q must be positive", v)
	}
	return d, nil
}
