// Command dependency-standin answers as Ollama, an OpenAI-compatible API, Qdrant, TEI,
// Chroma, Elasticsearch and Milvus at once for the deploy suite; see test/doubles/dependency.
package main

import (
	"context"
	"errors"
	"flag"
	"log/slog"
	"os"

	"kotaemon-k8s/test/doubles/dependency"
)

func main() {
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	opts, err := dependency.ParseOptions(os.Args[1:], os.Getenv, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		log.Error("bad options", "err", err.Error())
		os.Exit(2)
	}
	os.Exit(dependency.ExitCode(dependency.Run(context.Background(), opts, log)))
}
