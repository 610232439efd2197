// Package standin is every program the suites and the demo run in the cluster in place of
// something else, as one image with one subcommand each, the way Kubernetes' own e2e suite
// runs its test servers (agnhost): one build, one image to load, one place for what they
// share (package control).
//
//	standin app          the Kotaemon stand-in (package kotaemon); also what the image's
//	                     /app/.venv/bin/python runs, so the chart's default command
//	                     `python app.py` starts it as it starts Kotaemon
//	standin dependency   the dependency stand-in: Ollama, OpenAI, Qdrant, ... (package dependency)
//	standin client       the in-cluster client of the suites (package client)
//	standin http-double  the smoke test's server (package httpdouble)
package standin

import "kotaemon-k8s/ociimage"

// Path is the stand-ins' binary in the image.
const Path = "/usr/local/bin/standin"

// Python is where the chart's default command finds Kotaemon's interpreter (images from
// 0.11.2): a link to Path, which runs as the Kotaemon stand-in when called by that name.
const Python = "/app/.venv/bin/python"

// Uvicorn is where the chart's SSO command finds Kotaemon's uvicorn: a link to Path too,
// which starts the Kotaemon stand-in in SSO shape for `uvicorn sso_app:app`.
const Uvicorn = "/app/.venv/bin/uvicorn"

// Image is the stand-ins' image. It runs as root like Kotaemon's; the pods of the other
// stand-ins set their own user.
var Image = ociimage.Program{
	Package: "kotaemon-k8s/cmd/standin", Ref: "kotaemon-k8s/standin:test",
	Path: Path, Links: map[string]string{Python: Path, Uvicorn: Path}, Dirs: []string{"/app"}, User: "0:0",
}

// Command is the container command that runs a subcommand with args.
func Command(subcommand string, args ...string) []string {
	return append([]string{Path, subcommand}, args...)
}
