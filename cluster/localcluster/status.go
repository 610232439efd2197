package localcluster

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"
)

// healthy returns nil when every recorded process runs, the apiserver is ready and the
// node is Ready.
func (o Options) healthy(ctx context.Context) error {
	if _, err := os.Stat(netnsPath); err != nil {
		return errors.New("no network namespace")
	}
	for _, n := range processes {
		r, ok := readRecord(n)
		if !ok || !r.alive() {
			return fmt.Errorf("%s is not running", n)
		}
	}
	cs, err := o.clientset()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if ok, err := apiserverReady(ctx, cs); !ok {
		return fmt.Errorf("apiserver not ready: %v", err)
	}
	if ok, err := nodeReady(ctx, cs); !ok {
		return fmt.Errorf("node %s not Ready: %v", NodeName, err)
	}
	return nil
}

// Status prints each component and the cluster's readiness; it returns an error unless
// the cluster is fully up.
func (o Options) Status(ctx context.Context) error {
	if err := preflight(); err != nil {
		return err
	}
	if !leftovers() {
		fmt.Fprintln(o.Out, "cluster: down (nothing on this machine; `make cluster-up` starts it)")
		return errors.New("cluster is down")
	}
	for _, n := range processes {
		r, ok := readRecord(n)
		switch {
		case !ok:
			fmt.Fprintf(o.Out, "  %-24s not started\n", n)
		case r.alive():
			fmt.Fprintf(o.Out, "  %-24s running (pid %d)\n", n, r.PID)
		default:
			fmt.Fprintf(o.Out, "  %-24s DEAD (was pid %d; log %s)\n", n, r.PID, o.logDir()+"/"+n+".log")
		}
	}
	if err := o.healthy(ctx); err != nil {
		fmt.Fprintf(o.Out, "cluster: NOT healthy: %v (`make cluster-up` cleans up and starts again)\n", err)
		return errors.New("cluster is not healthy")
	}
	fmt.Fprintf(o.Out, "cluster: up; node %s Ready; network namespace %s; node IP %s\n", NodeName, NetNS, NodeIP)
	fmt.Fprintf(o.Out, "export KUBECONFIG=%s\n", o.Kubeconfig)
	return nil
}
