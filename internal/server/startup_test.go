package server

import (
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"kotaemon-k8s/internal/config"
)

// The app's start is measured once per start, in two phases: while its port refuses
// connections nothing is recorded; the first answer that is not a refusal (here a 500)
// records "bound"; the first success records "answered" and logs it; later answers
// change nothing, and a new process start (supervise) starts over.
func TestTheAppsStartUpIsMeasuredOncePerStartInTwoPhases(t *testing.T) {
	t.Parallel()
	// A port nobody listens on: the app's port before it binds.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	closed := ln.Addr().String()
	require.NoError(t, ln.Close())
	h := newHarness(t, func(c *config.Config) { c.App.URL = "http://" + closed })
	h.srv.AppStarted(time.Now().Add(-30 * time.Second))

	h.call(t, http.MethodGet, "/health/ready")
	assert.Zero(t, testutil.CollectAndCount(h.met.Registry, "kotaemon_health_app_startup_seconds"), "nothing while the port refuses")

	// The port opens and answers 500, then 200.
	h.srv.app = newAppClient(h.app.srv.URL, nil)
	h.app.set("/app_id", "fail")
	h.call(t, http.MethodGet, "/health/ready")
	bound := testutil.ToFloat64(h.met.StartupLast("bound"))
	assert.GreaterOrEqual(t, bound, 30.0, "bound is measured from the process start")
	assert.Zero(t, testutil.ToFloat64(h.met.StartupLast("answered")), "not answered yet")

	h.app.set("/app_id", "ok")
	h.call(t, http.MethodGet, "/health/ready")
	answered := testutil.ToFloat64(h.met.StartupLast("answered"))
	assert.GreaterOrEqual(t, answered, bound)
	assert.Contains(t, h.logs.String(), `"msg":"app started"`)
	assert.Equal(t, 1, strings.Count(h.logs.String(), `"msg":"app started"`))

	h.call(t, http.MethodGet, "/health/ready")
	assert.Equal(t, 1, strings.Count(h.logs.String(), `"msg":"app started"`), "logged once per start")
	assert.Equal(t, answered, testutil.ToFloat64(h.met.StartupLast("answered")), "recorded once per start")

	h.srv.AppStarted(time.Now().Add(-5 * time.Second))
	h.call(t, http.MethodGet, "/health/ready")
	assert.Less(t, testutil.ToFloat64(h.met.StartupLast("answered")), 30.0, "a new start is measured anew")
}
