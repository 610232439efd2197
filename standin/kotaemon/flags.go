package kotaemon

// The container has no shell, so every flag can also come from the environment a
// chart's values file sets; flags on the command line win over the environment.

import (
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"kotaemon-k8s/standin/control"
)

// Script is the script Kotaemon's image runs (`python app.py` in /app).
const Script = "app.py"

// Environment variables read by ParseOptions. The GRADIO_* pair is what the real image
// reads; the rest are the stand-in's own (STANDIN_ avoids Kubernetes' service variables).
const (
	EnvServerName      = "GRADIO_SERVER_NAME"
	EnvServerPort      = "GRADIO_SERVER_PORT"
	EnvControlHost     = "STANDIN_CONTROL_HOST"
	EnvControlPort     = "STANDIN_CONTROL_PORT"
	EnvStartup         = "STANDIN_STARTUP"
	EnvStartupMax      = "STANDIN_STARTUP_MAX"
	EnvNeverStart      = "STANDIN_NEVER_START"
	EnvWorkers         = "STANDIN_WORKERS"
	EnvChatConcurrency = "STANDIN_CHAT_CONCURRENCY"
	EnvDrain           = "STANDIN_DRAIN"
	EnvIgnoreSigterm   = "STANDIN_IGNORE_SIGTERM"
	EnvDataDir         = "STANDIN_DATA_DIR"
	EnvHealthPort      = "STANDIN_HEALTH_PORT"
)

// flagEnv pairs each flag with the variable that sets it when the flag is absent.
var flagEnv = []control.FlagEnv{
	{Flag: "server-name", Env: EnvServerName},
	{Flag: "server-port", Env: EnvServerPort},
	{Flag: "control-host", Env: EnvControlHost},
	{Flag: "control-port", Env: EnvControlPort},
	{Flag: "startup", Env: EnvStartup},
	{Flag: "startup-max", Env: EnvStartupMax},
	{Flag: "never-start", Env: EnvNeverStart},
	{Flag: "workers", Env: EnvWorkers},
	{Flag: "chat-concurrency", Env: EnvChatConcurrency},
	{Flag: "drain", Env: EnvDrain},
	{Flag: "ignore-sigterm", Env: EnvIgnoreSigterm},
	{Flag: "data-dir", Env: EnvDataDir},
	{Flag: "health-port", Env: EnvHealthPort},
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
	fs.Var((*control.Seconds)(&o.Startup), "startup", "app port stays closed this long, e.g. 30s or 30 (env "+EnvStartup+")")
	fs.Var((*control.Seconds)(&o.StartupMax), "startup-max", "with it, each start draws its start-up uniformly from startup to this (env "+EnvStartupMax+")")
	fs.BoolVar(&o.NeverStart, "never-start", o.NeverStart, "never open the app port (env "+EnvNeverStart+")")
	fs.IntVar(&o.Workers, "workers", o.Workers, "worker pool size for sync routes (env "+EnvWorkers+")")
	fs.IntVar(&o.ChatConcurrency, "chat-concurrency", o.ChatConcurrency, "streamed answers at once, the rest queue (env "+EnvChatConcurrency+")")
	fs.Var((*control.Seconds)(&o.Drain), "drain", "bound on finishing in-flight requests after SIGTERM (env "+EnvDrain+")")
	fs.BoolVar(&o.IgnoreSigterm, "ignore-sigterm", o.IgnoreSigterm, "log SIGTERM/SIGINT and keep running (env "+EnvIgnoreSigterm+")")
	fs.StringVar(&o.DataDir, "data-dir", o.DataDir, "data volume for the start marker (env "+EnvDataDir+")")
	fs.IntVar(&o.HealthPort, "health-port", o.HealthPort, "also serve /health/live and /health/ready on this port, 0 for none (env "+EnvHealthPort+")")

	// uvicorn's flags, for the SSO entrypoint's command line.
	fs.StringVar(&o.AppHost, "host", o.AppHost, "SSO shape: uvicorn's listen address")
	fs.IntVar(&o.AppPort, "port", o.AppPort, "SSO shape: uvicorn's port")
	fs.Var((*control.Seconds)(&o.GracefulTimeout), "timeout-graceful-shutdown", "SSO shape: after the stop signal, cut open connections after this long (0: wait for all)")
	var forwarded string
	fs.StringVar(&forwarded, "forwarded-allow-ips", "", "SSO shape: accepted and ignored (the stand-in builds no URL from a proxy's headers)")

	envs := flagEnv
	switch {
	// The chart runs Kotaemon as `<venv>/bin/python app.py`: the image puts the stand-in
	// where that interpreter is, and the script's name comes first, as to python.
	case len(args) > 0 && args[0] == Script:
		args = args[1:]
	// ... or, in SSO mode, as `<venv>/bin/uvicorn sso_app:app --host … --port …`. uvicorn
	// reads no GRADIO variable: without --host and --port it takes its own defaults.
	case len(args) > 0 && args[0] == SSOApp:
		args = args[1:]
		o.SSO, o.AppHost, o.AppPort = true, UvicornDefaultHost, UvicornDefaultPort
		envs = withoutFlags(flagEnv, "server-name", "server-port")
	}
	if err := control.SetFromEnv(fs, getenv, envs); err != nil {
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

// durationOf is a number of seconds as a duration.
func durationOf(secs float64) time.Duration {
	return time.Duration(secs * float64(time.Second))
}

// withoutFlags is envs less the pairs of the named flags.
func withoutFlags(envs []control.FlagEnv, flags ...string) []control.FlagEnv {
	var out []control.FlagEnv
	for _, fe := range envs {
		if !slices.Contains(flags, fe.Flag) {
			out = append(out, fe)
		}
	}
	return out
}
