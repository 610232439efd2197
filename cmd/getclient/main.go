// Command getclient is the cluster suites' in-cluster client: it GETs a URL with
// keep-alive off (so a NetworkPolicy applies to every request, not only to new
// connections) and prints one line per attempt: "OK <status> <body>" or "ERR <error>".
// Once (no -interval) it exits 1 when the last attempt failed; -retry-for allows more.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"
)

// headers collects repeated -header "Name: value" flags.
type headers []string

func (h *headers) String() string     { return strings.Join(*h, ", ") }
func (h *headers) Set(v string) error { *h = append(*h, v); return nil }

func main() {
	url := flag.String("url", "", "URL to GET")
	interval := flag.Duration("interval", 0, "repeat with this pause between attempts (0: once, exit 1 on failure)")
	timeout := flag.Duration("timeout", 2*time.Second, "timeout of one attempt")
	maxBody := flag.Int64("max-body", 1024, "bytes of the body printed")
	retryFor := flag.Duration("retry-for", 0, "without -interval: retry a failed attempt every 200ms for this long (a Service the node's proxy has not programmed yet refuses or drops connections)")
	var hs headers
	flag.Var(&hs, "header", `request header "Name: value" (repeatable)`)
	flag.Parse()
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: *timeout}
	deadline := time.Now().Add(*retryFor)
	for {
		err := get(client, *url, hs, *maxBody)
		if *interval == 0 {
			if err == nil {
				return
			}
			if time.Now().After(deadline) {
				os.Exit(1)
			}
			time.Sleep(200 * time.Millisecond)
			continue
		}
		time.Sleep(*interval)
	}
}

func get(client *http.Client, url string, hs headers, maxBody int64) error {
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, url, nil)
	if err != nil {
		fmt.Println("ERR", err)
		return err
	}
	for _, h := range hs {
		name, value, _ := strings.Cut(h, ":")
		req.Header.Set(strings.TrimSpace(name), strings.TrimSpace(value))
	}
	resp, err := client.Do(req)
	if err != nil {
		fmt.Println("ERR", err)
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	fmt.Println("OK", resp.StatusCode, strings.Join(strings.Fields(string(body)), " "))
	return nil
}
