package cli

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"kotaemon-k8s/bench/flood"
)

// Every flood shape, small (400 connections: over the agent's 128 all the same), against
// a real agent process whose app is healthy and whose dependency checks include hostile
// servers: the kubelet's liveness and readiness probes are all answered 200 within
// their 1 s timeout. `make bench-flood` runs the same shapes at full size. The agent of
// 2d22caf failed busy-by-body, pipelined-unread and the mix here (readiness 0-55%).
func TestFloodShapesNeverFailTheKubeletsProbes(t *testing.T) {
	// Not parallel: the shapes measure the agent, not the other tests' load.
	self, err := os.Executable()
	require.NoError(t, err)
	appAddr, agentAddr := freeAddr(t), freeAddr(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	startAppDouble(ctx, t, self, appAddr)

	hostile, stopHostile, err := flood.Hostile()
	require.NoError(t, err)
	t.Cleanup(stopHostile)
	checks := "checks:\n"
	for i, url := range hostile {
		checks += fmt.Sprintf("  - {name: hostile-%d, type: http, url: %q, critical: false, interval: 1s, timeout: 500ms}\n", i, url)
	}
	cfgPath := filepath.Join(t.TempDir(), "config.yaml")
	cfg := fmt.Sprintf("listen: %q\napp:\n  url: http://%s\nlog: {level: error}\n%s", agentAddr, appAddr, checks)
	require.NoError(t, os.WriteFile(cfgPath, []byte(cfg), 0o600))
	cmd := exec.CommandContext(ctx, self, "serve", "--config", cfgPath)
	cmd.Env = append(os.Environ(), "KH_CLI_AGENT=1", "GORACE=atexit_sleep_ms=0")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("agent log:\n%s", stderr.String())
		}
	})
	awaitCode(t, "http://"+agentAddr+"/health/ready", 200)

	for _, sh := range flood.Shapes(flood.Size{Conns: 400, ReopenRate: 400, ChurnRate: 400}) {
		t.Run(sh.Name, func(t *testing.T) {
			attackCtx, stop := context.WithCancel(ctx)
			var attack sync.WaitGroup
			attack.Go(func() { sh.Attack(attackCtx, agentAddr) })
			defer func() { stop(); attack.Wait() }()
			time.Sleep(500 * time.Millisecond) // the flood builds up

			probing := make(chan struct{})
			time.AfterFunc(2*time.Second, func() { close(probing) })
			var live, ready flood.Stats
			var probes sync.WaitGroup
			probes.Go(func() { live = flood.Probes(probing, agentAddr, "/health/live", 100*time.Millisecond, time.Second) })
			probes.Go(func() { ready = flood.Probes(probing, agentAddr, "/health/ready", 100*time.Millisecond, time.Second) })
			probes.Wait()
			for endpoint, st := range map[string]flood.Stats{"liveness": live, "readiness": ready} {
				require.Positive(t, st.Sent)
				assert.Equal(t, st.Sent, st.OK, "%s probes answered 200 in time: %s; failed: %s", endpoint, st.Percent(), st.Failures())
			}
		})
	}
}
