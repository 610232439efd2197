// Package client is the cluster suites' in-cluster client (`standin client`): it GETs a
// URL with keep-alive off (so a NetworkPolicy applies to every request, not only to new
// connections) and prints one line per attempt: "OK <status> <body>" or "ERR <error>"
// (also when the body breaks off after the status).
// Once (no -interval) it exits 1 when the last attempt failed; -retry-for tries again a
// request that got no answer. -login first GETs a URL that hands out a session cookie
// (the Kotaemon stand-in's OAuth callback in SSO shape), which every request then sends.
package client

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"time"
)

// BrokenOff is in the line of an answer whose body broke off after its status (a
// streamed answer cut by a dying app).
const BrokenOff = "body broken off"

// headers collects repeated -header "Name: value" flags.
type headers []string

func (h *headers) String() string     { return strings.Join(*h, ", ") }
func (h *headers) Set(v string) error { *h = append(*h, v); return nil }

// Run runs the client with its command line (flags only) and returns the exit code.
func Run(args []string, out io.Writer) int {
	fs := flag.NewFlagSet("standin client", flag.ContinueOnError)
	url := fs.String("url", "", "URL to GET")
	interval := fs.Duration("interval", 0, "repeat with this pause between attempts (0: once, exit 1 on failure)")
	timeout := fs.Duration("timeout", 2*time.Second, "timeout of one attempt")
	maxBody := fs.Int64("max-body", 1024, "bytes of the body printed")
	retryFor := fs.Duration("retry-for", 0, "without -interval: retry a failed attempt every 200ms for this long (a Service the node's proxy has not programmed yet refuses or drops connections)")
	login := fs.String("login", "", "URL to GET first for a session cookie (redirects followed), with -retry-for's retries")
	var hs headers
	fs.Var(&hs, "header", `request header "Name: value" (repeatable)`)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	jar, err := cookiejar.New(nil)
	if err != nil {
		fmt.Fprintln(out, "ERR", err)
		return 1
	}
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: *timeout, Jar: jar}
	deadline := time.Now().Add(*retryFor)
	if *login != "" && !logIn(out, client, *login, deadline) {
		return 1
	}
	for {
		answered, err := get(out, client, *url, hs, *maxBody)
		if *interval == 0 {
			if err == nil {
				return 0
			}
			// Only a request no server answered is tried again: an answer that broke off
			// is the outcome.
			if answered || time.Now().After(deadline) {
				return 1
			}
			time.Sleep(200 * time.Millisecond)
			continue
		}
		time.Sleep(*interval)
	}
}

// logIn GETs url until it answers 2xx (a connection that cannot open yet is tried again
// until deadline); the session cookie stays in client's jar. It prints only a failure.
func logIn(out io.Writer, client *http.Client, url string, deadline time.Time) bool {
	for {
		resp, err := client.Get(url)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
			if resp.StatusCode >= 200 && resp.StatusCode < 300 {
				return true
			}
			fmt.Fprintln(out, "ERR login", resp.StatusCode)
			return false
		}
		if time.Now().After(deadline) {
			fmt.Fprintln(out, "ERR login", err)
			return false
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func get(out io.Writer, client *http.Client, url string, hs headers, maxBody int64) (answered bool, err error) {
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, url, nil)
	if err != nil {
		fmt.Fprintln(out, "ERR", err)
		return false, err
	}
	for _, h := range hs {
		name, value, _ := strings.Cut(h, ":")
		req.Header.Set(strings.TrimSpace(name), strings.TrimSpace(value))
	}
	resp, err := client.Do(req)
	if err != nil {
		fmt.Fprintln(out, "ERR", err)
		return false, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		// An answer that breaks off (a streamed one cut by a dying app) is no answer.
		fmt.Fprintln(out, "ERR", resp.StatusCode, BrokenOff+" after", len(body), "bytes:", err)
		return true, err
	}
	fmt.Fprintln(out, "OK", resp.StatusCode, strings.Join(strings.Fields(string(body)), " "))
	return true, nil
}
