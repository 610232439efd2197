// Command apivalidate runs the Kubernetes API server's own create-time checks on
// manifests, without a cluster: each object is decoded as the API server decodes it
// (defaults applied, converted to the internal types), then goes through its registry
// strategy's BeforeCreate (PrepareForCreate, Validate, object-meta validation), the code
// a create request runs before admission webhooks and storage. The Kubernetes version is
// this module's k8s.io/kubernetes, the one make/versions.mk pins for the cluster.
//
// It lives in a module of its own so that the project never depends on k8s.io/kubernetes.
//
//	apivalidate FILE...   validate the YAML documents of each file; exit 1 if any is refused
//	apivalidate -serve    read requests from stdin, one JSON object per line,
//	                      {"yaml": "..."}; answer each with one line, {"errors": [...]}
//
// Kinds without a strategy here (custom resources: ServiceMonitor, PrometheusRule,
// HTTPRoute) are skipped and named in "skipped".
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"os"
)

func main() {
	serve := flag.Bool("serve", false, "answer requests on stdin, one JSON line each")
	flag.Parse()
	if *serve {
		if err := serveLines(os.Stdin, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "apivalidate:", err)
			os.Exit(2)
		}
		return
	}
	if flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: apivalidate FILE... | apivalidate -serve")
		os.Exit(2)
	}
	refused := false
	for _, f := range flag.Args() {
		b, err := os.ReadFile(f)
		if err != nil {
			fmt.Fprintln(os.Stderr, "apivalidate:", err)
			os.Exit(2)
		}
		res := validateYAML(b)
		for _, e := range res.Errors {
			fmt.Printf("%s: %s\n", f, e)
			refused = true
		}
	}
	if refused {
		os.Exit(1)
	}
}

type request struct {
	YAML string `json:"yaml"`
}

func serveLines(in *os.File, out *os.File) error {
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	enc := json.NewEncoder(out)
	for sc.Scan() {
		var req request
		if err := json.Unmarshal(sc.Bytes(), &req); err != nil {
			return fmt.Errorf("request: %w", err)
		}
		if err := enc.Encode(validateYAML([]byte(req.YAML))); err != nil {
			return err
		}
	}
	return sc.Err()
}
