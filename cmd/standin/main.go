// Command standin is every stand-in of the project in one binary (package standin): the
// first argument names it, or the name it is called by (as /app/.venv/bin/python it is
// the Kotaemon stand-in, run by the chart's default command like Kotaemon; as
// /app/.venv/bin/uvicorn too, for the chart's SSO command).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"kotaemon-k8s/standin/client"
	"kotaemon-k8s/standin/dependency"
	"kotaemon-k8s/standin/httpdouble"
	"kotaemon-k8s/standin/kotaemon"
)

const usage = `usage: standin <app|dependency|client|http-double> [flags]
       python [app.py] [flags]   (the image's /app/.venv/bin/python: the Kotaemon stand-in)
       uvicorn sso_app:app [--host H] [--port P] [--timeout-graceful-shutdown S]
                                 (the image's /app/.venv/bin/uvicorn: the stand-in in SSO shape)
`

func main() {
	sub, args, ok := subcommand(os.Args[0], os.Args[1:])
	if !ok {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	os.Exit(run(sub, args))
}

// subcommand is the stand-in argv names and its arguments: called as python or uvicorn
// (the image's /app/.venv/bin/python and uvicorn), the Kotaemon stand-in with every
// argument.
func subcommand(argv0 string, args []string) (string, []string, bool) {
	if name := filepath.Base(argv0); name == "python" || name == "uvicorn" {
		return "app", args, true
	}
	if len(args) == 0 {
		return "", nil, false
	}
	return args[0], args[1:], true
}

func run(sub string, args []string) int {
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	switch sub {
	case "app":
		opts, err := kotaemon.ParseOptions(args, os.Getenv, os.Stderr)
		if code, done := optionsExit(log, err); done {
			return code
		}
		return kotaemon.ExitCode(kotaemon.Run(context.Background(), opts, log))
	case "dependency":
		opts, err := dependency.ParseOptions(args, os.Getenv, os.Stderr)
		if code, done := optionsExit(log, err); done {
			return code
		}
		return dependency.ExitCode(dependency.Run(context.Background(), opts, log))
	case "client":
		return client.Run(args, os.Stdout)
	case "http-double":
		err := httpdouble.Run(args)
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintln(os.Stderr, "http-double:", err)
		return 1
	}
	fmt.Fprint(os.Stderr, usage)
	return 2
}

// optionsExit ends the process on bad options (2) or -h (0).
func optionsExit(log *slog.Logger, err error) (int, bool) {
	switch {
	case errors.Is(err, flag.ErrHelp):
		return 0, true
	case err != nil:
		log.Error("bad options", "err", err.Error())
		return 2, true
	}
	return 0, false
}
