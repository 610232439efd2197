package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// The image's python and uvicorn links run the Kotaemon stand-in with the chart's default command;
// the binary's own name takes the subcommand first.
func TestTheNameOrTheFirstArgumentChoosesTheStandin(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		argv0 string
		args  []string
		sub   string
		rest  []string
		ok    bool
	}{
		{"/app/.venv/bin/python", []string{"app.py"}, "app", []string{"app.py"}, true},
		{"/app/.venv/bin/python", []string{"--startup=8s"}, "app", []string{"--startup=8s"}, true},
		{"/app/.venv/bin/uvicorn", []string{"sso_app:app", "--port", "7860"}, "app", []string{"sso_app:app", "--port", "7860"}, true},
		{"/usr/local/bin/standin", []string{"dependency", "--listen=:11434"}, "dependency", []string{"--listen=:11434"}, true},
		{"/usr/local/bin/standin", []string{"client"}, "client", []string{}, true},
		{"/usr/local/bin/standin", nil, "", nil, false},
	} {
		sub, rest, ok := subcommand(tc.argv0, tc.args)
		assert.Equal(t, tc.ok, ok, "%s %v", tc.argv0, tc.args)
		assert.Equal(t, tc.sub, sub)
		assert.Equal(t, tc.rest, rest)
	}
}
