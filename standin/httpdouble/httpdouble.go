// Package httpdouble is the smoke test's server (`standin http-double`): it answers /
// with its name and serves readiness and liveness endpoints whose answers the test
// chooses with flags.
package httpdouble

import (
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"time"
)

// Run serves until the process ends, or returns why it cannot.
func Run(args []string) error {
	fs := flag.NewFlagSet("standin http-double", flag.ContinueOnError)
	addr := fs.String("listen", ":8080", "listen address")
	name := fs.String("name", os.Getenv("POD_NAME"), "name answered on / (default $POD_NAME)")
	ready := fs.Bool("ready", true, "whether /ready answers 200 (false: 503, the pod never becomes Ready)")
	liveFailAfter := fs.Duration("live-fail-after", 0, "/live answers 500 once this long has passed since start (0: never)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	start := time.Now()

	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, *name) })
	mux.HandleFunc("/ready", func(w http.ResponseWriter, r *http.Request) {
		if !*ready {
			http.Error(w, "not ready", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ready")
	})
	mux.HandleFunc("/live", func(w http.ResponseWriter, r *http.Request) {
		if *liveFailAfter > 0 && time.Since(start) > *liveFailAfter {
			http.Error(w, "wedged", http.StatusInternalServerError)
			return
		}
		fmt.Fprintln(w, "live")
	})
	log.Printf("httpdouble %q listening on %s (ready=%v, live-fail-after=%s)", *name, *addr, *ready, *liveFailAfter)
	srv := &http.Server{Addr: *addr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	return srv.ListenAndServe()
}
