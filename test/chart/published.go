package chart

import (
	"os"
	"path/filepath"
	"sync"

	"kotaemon-k8s/agentimage"
	"kotaemon-k8s/publish"
)

// Registry is where the suites' renders say the agent image is published: the chart from
// source names no registry and refuses to render, so the suites render the chart as
// `make publish` stamps it. The .test domain is reserved: no such registry can exist.
const Registry = "registry.test/kotaemon"

var (
	publishedOnce sync.Once
	publishedPath string
	publishedErr  error
)

// Published is the chart's archive as `make publish REGISTRY=` Registry writes it (its
// agent image pinned by the digest of values.yaml), stamped once per test process: what
// every render of the suites renders.
func Published() (string, error) {
	publishedOnce.Do(func() {
		pin, err := agentimage.ReadPin(filepath.Join(Dir(), "values.yaml"))
		if err != nil {
			publishedErr = err
			return
		}
		pin.Registry = Registry
		dir, err := os.MkdirTemp("", "kotaemon-published-")
		if err != nil {
			publishedErr = err
			return
		}
		publishedPath, publishedErr = publish.Stamp(Dir(), pin, dir)
	})
	return publishedPath, publishedErr
}
