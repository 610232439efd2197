package dependency

// The container has no shell, so every flag can also come from the environment a
// chart's values file sets; flags on the command line win over the environment.

import (
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"kotaemon-k8s/standin/control"
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
var flagEnv = []control.FlagEnv{
	{Flag: "listen", Env: EnvListen},
	{Flag: "control-host", Env: EnvControlHost},
	{Flag: "control-port", Env: EnvControlPort},
	{Flag: "models", Env: EnvModels},
	{Flag: "mode", Env: EnvMode},
	{Flag: "period", Env: EnvPeriod},
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

	if err := control.SetFromEnv(fs, getenv, flagEnv); err != nil {
		return Options{}, err
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

// parsePeriod takes control.ParseSeconds' forms; positive only.
func parsePeriod(v string) (time.Duration, error) {
	d, err := control.ParseSeconds(v)
	if err == nil && d == 0 {
		err = fmt.Errorf("%q must be positive", v)
	}
	return d, err
}
