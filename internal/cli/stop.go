package cli

// stop is the preStop hook of sidecar mode. There the kubelet signals Kotaemon itself,
// and SIGTERM cannot stop it cleanly: Python as the container's PID 1 never gets it (the
// kernel drops a signal left at its default action), and elsewhere it dies at once,
// cutting its answers (docs/kotaemon.md). The hook does what the supervising agent does
// in wrapper mode, from inside the app's container: wait the drain delay, wait for the
// answers in flight, and send the stop signal.

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"syscall"
	"time"

	"kotaemon-k8s/internal/agent"
	"kotaemon-k8s/internal/config"
)

// stopUsage is stop's command line.
const stopUsage = "usage: kotaemon-health stop [--config FILE] [--pid N]"

func stop(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("stop", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", DefaultConfigPath, "the agent's config: shutdown and app.url are read, no secret")
	pid := fs.Int("pid", 1, "the app's process (1: the container's first process)")
	if err := fs.Parse(args); err != nil || fs.NArg() != 0 || *pid < 1 {
		fmt.Fprintln(stderr, stopUsage)
		return 2
	}
	log := slog.New(slog.NewJSONHandler(stderr, nil))
	cfg, err := config.LoadWithoutSecrets(*path)
	if err != nil {
		log.Error("configuration refused", "error", err)
		return 2
	}
	return StopApp(cfg, *pid, log, time.Sleep)
}

// StopApp stops the process pid the way cfg.Shutdown says; sleep waits the drain delay
// (tests pass their own). It returns once the signal is sent.
func StopApp(cfg *config.Config, pid int, log *slog.Logger, sleep func(time.Duration)) int {
	sh := cfg.Shutdown
	log.Info("state change", "component", "process", "from", "running", "to", "draining",
		"reason", "preStop", "drainDelay", sh.DrainDelay.String(), "answersTimeout", sh.AnswersTimeout.String())
	sleep(sh.DrainDelay)
	await, err := agent.AwaitAnswers(cfg, log)
	if err != nil {
		log.Error("configuration refused", "error", err)
		return 2
	}
	if await != nil {
		await(context.Background())
	}
	sig := agent.StopSignal(sh)
	if sig == 0 {
		sig = syscall.SIGTERM
	}
	log.Info("forwarding signal", "component", "process", "signal", sh.StopSignal, "pid", pid)
	if err := syscall.Kill(pid, sig); err != nil && !errors.Is(err, syscall.ESRCH) {
		log.Error("cannot signal the app", "pid", pid, "error", err)
		return 1
	}
	// Returning hands the stop back to the kubelet: its SIGTERM follows (dropped by
	// Python as PID 1), and SIGKILL at the end of the grace period if the app is still
	// closing. Waiting here for the exit would end this hook with its container.
	return 0
}
