package agent

// How the supervised app is stopped: the signal it stops cleanly on, and the wait for its
// answers in flight before it gets it (see package answers).

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"

	"kotaemon-k8s/internal/answers"
	"kotaemon-k8s/internal/config"
)

// StopSignal is shutdown.stopSignal as a signal; 0 passes on the one received.
func StopSignal(sh config.Shutdown) syscall.Signal {
	if sh.StopSignal == "" {
		return 0
	}
	return unix.SignalNum(sh.StopSignal)
}

// AwaitAnswers is the wait for the app's answers in flight on its port (the port of
// app.url), or nil when shutdown.answersTimeout is 0: the supervisor's, and stop's.
func AwaitAnswers(cfg *config.Config, log *slog.Logger) (func(context.Context), error) {
	timeout := cfg.Shutdown.AnswersTimeout
	if timeout == 0 {
		return nil, nil
	}
	port, err := appPort(cfg.App.URL)
	if err != nil {
		return nil, err
	}
	list := func() ([]answers.Conn, error) { return answers.Established(port) }
	return func(ctx context.Context) {
		log.Info("state change", "component", "answers", "from", "serving", "to", "waiting",
			"port", port, "answersTimeout", timeout.String())
		answers.Wait(ctx, list, timeout, log)
	}, nil
}

// appPort is the port of the app's URL (its scheme's default when it names none).
func appPort(raw string) (uint16, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return 0, fmt.Errorf("app.url: %w", err)
	}
	p := u.Port()
	if p == "" {
		p = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	n, err := strconv.ParseUint(p, 10, 16)
	if err != nil || n == 0 {
		return 0, fmt.Errorf("app.url: %q names no port", raw)
	}
	return uint16(n), nil
}
