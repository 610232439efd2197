// Command kotaemon-health gives Kotaemon the health endpoints it lacks. See
// docs/health-agent.md and the contract in docs/agent-config.md.
package main

import (
	"os"

	"kotaemon-k8s/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdout, os.Stderr))
}
