// Command getclient is the smoke test's client: it GETs a URL with keep-alive off (so a
// NetworkPolicy applies to every request, not only to new connections) and prints one
// line per attempt: "OK <status> <body>" or "ERR <error>".
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

func main() {
	url := flag.String("url", "", "URL to GET")
	interval := flag.Duration("interval", 0, "repeat with this pause between attempts (0: once, exit 1 on failure)")
	timeout := flag.Duration("timeout", 2*time.Second, "timeout of one attempt")
	flag.Parse()
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: *timeout}
	for {
		err := get(client, *url)
		if *interval == 0 {
			if err != nil {
				os.Exit(1)
			}
			return
		}
		time.Sleep(*interval)
	}
}

func get(client *http.Client, url string) error {
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, url, nil)
	if err != nil {
		fmt.Println("ERR", err)
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		fmt.Println("ERR", err)
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 256))
	fmt.Println("OK", resp.StatusCode, strings.TrimSpace(string(body)))
	return nil
}
