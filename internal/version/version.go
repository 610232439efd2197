// Package version holds the agent's version, injected at build time with
// -ldflags "-X kotaemon-k8s/internal/version.Version=<tag>" from the chart's
// health.image.tag, so the binary and the image it ships in carry one version.
package version

// Version is the release; "dev" in an unstamped build.
var Version = "dev"
