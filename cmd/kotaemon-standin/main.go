// Command kotaemon-standin stands in for Kotaemon's Gradio server in the deploy suite;
// see test/doubles/kotaemon for what it does and how the suite drives it.
package main

import (
	"context"
	"errors"
	"flag"
	"log/slog"
	"os"

	"kotaemon-k8s/test/doubles/kotaemon"
)

func main() {
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	opts, err := kotaemon.ParseOptions(os.Args[1:], os.Getenv, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		log.Error("bad options", "err", err.Error())
		os.Exit(2)
	}
	os.Exit(kotaemon.ExitCode(kotaemon.Run(context.Background(), opts, log)))
}
