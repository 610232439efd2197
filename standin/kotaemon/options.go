package kotaemon

// Options and names live apart from the servers so the program, the unit tests and the
// deploy suite build on one set of defaults and routes.

import (
	"kotaemon-k8s/standin/control"

	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"syscall"
	"time"
)

// Defaults match the real image: Gradio on 0.0.0.0:7860, state under /app/ktem_app_data.
const (
	DefaultAppHost     = "0.0.0.0"
	DefaultAppPort     = 7860
	DefaultControlPort = 9090
	// DefaultWorkers is anyio's default thread limiter, which Gradio's sync routes and
	// event functions share (docs/kotaemon.md).
	DefaultWorkers = 40
	// DefaultDrain is how long Gradio's close waits for its server thread after SIGINT
	// (docs/kotaemon.md): then the process exits and cuts what is still in flight.
	DefaultDrain = 5 * time.Second
	// DefaultChatConcurrency is the concurrency limit Kotaemon gives its chat event:
	// more answers at once wait in Gradio's queue (docs/kotaemon.md).
	DefaultChatConcurrency = 20
	// DefaultHeartbeatEvery is how often Gradio's /heartbeat stream of an open tab sends
	// an event (docs/kotaemon.md).
	DefaultHeartbeatEvery = 15 * time.Second
	DefaultDataDir        = "/app/ktem_app_data"
)

// The SSO entrypoint's shape (docs/kotaemon.md, "SSO mode"): launch.sh runs
// `uvicorn sso_app:app --host … --port …`, and uvicorn reads neither GRADIO variable.
const (
	SSOApp = "sso_app:app"
	// SSOMount is where sso_app mounts Gradio: its routes move under it.
	SSOMount = "/app"
	// uvicorn's own defaults, for a command line that gives no --host or --port.
	UvicornDefaultHost = "127.0.0.1"
	UvicornDefaultPort = 8000
	// SessionCookie is Starlette's SessionMiddleware cookie, which gradiologin's gate reads.
	SessionCookie = "session"
)

// App routes, named as Gradio names them.
const (
	RouteStartupEvents = "/startup-events"
	RouteAppID         = "/app_id"
	RouteRoot          = "/"
	RouteWork          = "/work"
	RouteStream        = "/stream" // a chat answer: server-sent events, as Gradio's queue streams them
	// RouteHeartbeat is an open browser tab's stream (GET /heartbeat/<session>).
	RouteHeartbeat = "/heartbeat/"
	// ServedNotFound is the key under which State.Served counts 404 answers.
	ServedNotFound = "(not found)"
	// SSO shape only: the login page, the OAuth callback (the stand-in logs anyone in),
	// and the key under which State.Served counts the gate's redirects to /login.
	RouteLogin          = "/login"
	RouteAuth           = "/auth/"
	ServedLoginRedirect = "(redirected to /login)"
)

// Control routes, on the control port only.
const (
	ControlStatePath  = control.StatePath
	ControlFaultPath  = "/fault"
	ControlHealthPath = control.HealthPath
)

// Options configure one process start. Zero values are not defaults: start from
// DefaultOptions (or ParseOptions) and change what a test needs.
type Options struct {
	AppHost         string        // GRADIO_SERVER_NAME
	AppPort         int           // GRADIO_SERVER_PORT; 0 picks a free port (tests)
	ControlHost     string        // "" listens on all addresses
	ControlPort     int           // 0 picks a free port (tests)
	Startup         time.Duration // the app port stays closed this long after start
	StartupMax      time.Duration // > Startup: each start draws its start-up uniformly from [Startup, StartupMax]
	NeverStart      bool          // the app port never opens; the process stays alive
	Workers         int           // size of the pool that sync routes need
	ChatConcurrency int           // streamed answers at once; the rest wait in the queue
	Drain           time.Duration // after SIGINT: bound on finishing in-flight requests, as Gradio's close joins its server thread
	IgnoreSigterm   bool          // log SIGTERM/SIGINT and carry on, like `sh` as PID 1
	DataDir         string        // the volume: start marker and next-start settings
	HealthPort      int           // > 0: serve /health/live and /health/ready there too, as an image of health.mode=none would
	// SSO is the shape of `uvicorn sso_app:app`: Gradio under SSOMount behind a login
	// gate, and uvicorn's stop (graceful on SIGTERM and SIGINT alike).
	SSO bool
	// GracefulTimeout is uvicorn's --timeout-graceful-shutdown in SSO shape: after the
	// stop signal it waits this long for open connections, then cuts them; 0 waits for
	// every one, as uvicorn does without the flag.
	GracefulTimeout time.Duration

	// HeartbeatEvery is the gap between an open tab's heartbeat events (Gradio: 15 s).
	HeartbeatEvery time.Duration

	// Signals replaces SIGTERM/SIGINT from the OS when set, so tests can signal
	// without signalling the test binary.
	Signals <-chan os.Signal

	// after replaces time.After for start-up and /work, so tests decide when time passes.
	after func(time.Duration) <-chan time.Time

	// raise replaces takeDefaultAction, so tests see the stand-in die by a signal without
	// the test binary dying.
	raise func(syscall.Signal) (survived bool)
}

// DefaultOptions are the options of a process started with no flags and no environment.
func DefaultOptions() Options {
	return Options{
		AppHost:         DefaultAppHost,
		AppPort:         DefaultAppPort,
		ControlPort:     DefaultControlPort,
		Workers:         DefaultWorkers,
		ChatConcurrency: DefaultChatConcurrency,
		Drain:           DefaultDrain,
		DataDir:         DefaultDataDir,
		HeartbeatEvery:  DefaultHeartbeatEvery,
	}
}

// Validate reports the first option that cannot work, named as its flag.
func (o Options) Validate() error {
	var errs []error
	if o.AppPort < 0 || o.AppPort > 65535 {
		errs = append(errs, fmt.Errorf("server-port: %d is not a port", o.AppPort))
	}
	if o.ControlPort < 0 || o.ControlPort > 65535 {
		errs = append(errs, fmt.Errorf("control-port: %d is not a port", o.ControlPort))
	}
	if o.HealthPort < 0 || o.HealthPort > 65535 {
		errs = append(errs, fmt.Errorf("health-port: %d is not a port", o.HealthPort))
	}
	if o.Startup < 0 {
		errs = append(errs, fmt.Errorf("startup: %s is negative", o.Startup))
	}
	if o.StartupMax != 0 && o.StartupMax < o.Startup {
		errs = append(errs, fmt.Errorf("startup-max: %s is below startup %s", o.StartupMax, o.Startup))
	}
	if o.Workers < 1 {
		errs = append(errs, fmt.Errorf("workers: %d, need at least 1", o.Workers))
	}
	if o.ChatConcurrency < 1 {
		errs = append(errs, fmt.Errorf("chat-concurrency: %d, need at least 1", o.ChatConcurrency))
	}
	if o.GracefulTimeout < 0 {
		errs = append(errs, fmt.Errorf("timeout-graceful-shutdown: %s is negative", o.GracefulTimeout))
	}
	if o.HeartbeatEvery <= 0 {
		errs = append(errs, fmt.Errorf("heartbeat every: %s, need more than 0", o.HeartbeatEvery))
	}
	if o.Drain < 0 {
		errs = append(errs, fmt.Errorf("drain: %s is negative", o.Drain))
	}
	if o.DataDir == "" {
		errs = append(errs, errors.New("data-dir: empty"))
	}
	return errors.Join(errs...)
}

// defaultAction takes sig's default action on this process (see takeDefaultAction).
func (o Options) defaultAction(sig syscall.Signal) (survived bool) {
	if o.raise != nil {
		return o.raise(sig)
	}
	return takeDefaultAction(sig)
}

// startup is this start's start-up: Startup, or a uniform draw up to StartupMax (real
// start-ups vary from one start to the next; the advisor and the probes must cope).
func (o Options) startup() time.Duration {
	if o.StartupMax <= o.Startup {
		return o.Startup
	}
	return o.Startup + rand.N(o.StartupMax-o.Startup+1)
}

func (o Options) timer(d time.Duration) <-chan time.Time {
	if o.after != nil {
		return o.after(d)
	}
	return time.After(d)
}
