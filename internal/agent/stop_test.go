package agent

import (
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"

	"kotaemon-k8s/internal/config"
)

// Every stop signal the config accepts is a signal; none passes on the one received.
func TestEveryAcceptedStopSignalIsASignal(t *testing.T) {
	assert.Equal(t, syscall.Signal(0), StopSignal(config.Shutdown{}))
	assert.Equal(t, syscall.SIGINT, StopSignal(config.Shutdown{StopSignal: "SIGINT"}))
	for _, name := range config.StopSignals {
		assert.NotZero(t, StopSignal(config.Shutdown{StopSignal: name}), name)
	}
}

// The wait for answers watches the port of app.url.
func TestTheAnswersWatchedAreOnTheAppsPort(t *testing.T) {
	for raw, want := range map[string]uint16{"http://127.0.0.1:7860": 7860, "http://app": 80, "https://app/x": 443} {
		got, err := appPort(raw)
		assert.NoError(t, err, raw)
		assert.Equal(t, want, got, raw)
	}
	_, err := appPort("http://app:0")
	assert.ErrorContains(t, err, "app.url")
}
