package deploy

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"

	"kotaemon-k8s/standin"
	"kotaemon-k8s/standin/kotaemon"
	"kotaemon-k8s/test/kube"
)

// companionControlPort is the control port of the stand-in that plays the bundled
// server (the app's stand-in has the default one).
const companionControlPort = 9434

// The ollama flavour in wrapper mode, in the kubelet. Created: image.flavour ollama with
// the bundled server's command replaced by a second Kotaemon stand-in on Ollama's port
// (no Ollama image reaches this machine). It answers there, but not Ollama's API, so
// the bundled-ollama check stays down. Must hold: the pod never becomes Ready while the
// bundled server is not an Ollama (its check gates readiness, PB-04's rule for a
// critical dependency), and when the bundled server dies the agent stops Kotaemon and
// the kubelet restarts the container (the companion's exit is the container's).
func TestTheBundledOllamaGatesReadinessAndItsExitRestartsTheContainer(t *testing.T) {
	t.Parallel()
	r := newRelease(t, "ollama")
	companion := parseLayer(fmt.Sprintf(`
image: {flavour: ollama}
health: {details: public}
kotaemon:
  ollama:
    command: [%q, "--server-port=11434", "--control-port=%d", "--data-dir=/tmp/companion"]
`, standin.Python, companionControlPort))
	r.install(nil, imagesLayer(r.im), standinLayer("wrapper", 8000), fastProbes, companion)
	p := r.probes()
	recordWindows(r.tl, p)
	pod := r.onePod()

	// Both processes run: the app's stand-in answers its control port, the companion its own.
	kube.Await(t, "the app and the bundled server both run", podStart+p.startup.Window(), func(ctx context.Context) (bool, string) {
		if _, err := r.standin(pod).State(ctx); err != nil {
			return false, "app: " + err.Error()
		}
		if _, err := r.companion(pod).State(ctx); err != nil {
			return false, "companion: " + err.Error()
		}
		return true, ""
	})

	// Readiness: down, and the details name the bundled server's check.
	// Long enough for two runs of the bundled check (every 10 s, 3 s timeout) and the
	// readiness probe to pass had the check been up.
	hold := p.readiness.ToPass() + 2*10*time.Second + 3*time.Second
	r.holdWithoutRestart(pod, "PI-03: liveness never consults a dependency", hold, func(got *corev1.Pod) (bool, string) {
		return !kube.PodReady(got), "the pod became Ready with no Ollama answering"
	})
	body := r.healthBody(pod, "/health/ready")
	assert.Contains(t, body, `"status":"unavailable"`)
	assert.Contains(t, body, `"bundled-ollama":{"state":"down","critical":true,"type":"ollama"`, "the ready details name the check")
	assert.Contains(t, body, "GET /api/tags", "it asked Ollama's API")

	// The bundled server dies: the container ends and the kubelet restarts it.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, err := r.companion(pod).SetFault(ctx, kotaemon.FaultCrash, 0)
	require.NoError(t, err)
	crashAt := r.tl.Mark("fault-companion-crash", pod)
	kube.Await(t, "the container is restarted after the bundled server exited", p.grace+restartSlack+statusSlack, func(ctx context.Context) (bool, string) {
		got, why := r.pod(ctx, pod)
		if got == nil {
			return false, why
		}
		return kube.ContainerRestarts(got, "kotaemon") >= 1, podSummary(got)
	})
	t.Logf("restarted %s after the bundled server crashed", time.Since(crashAt).Round(100*time.Millisecond))
	previous := r.previousLogs(pod)
	assert.Contains(t, previous, `"component":"companion"`)
	assert.Contains(t, previous, `"reason":"companion exited"`, "the agent drained and stopped the app because of it")
	read, done := context.WithTimeout(context.Background(), 20*time.Second)
	defer done()
	got, why := r.pod(read, pod)
	require.NotNil(t, got, why)
	for _, s := range got.Status.ContainerStatuses {
		if s.Name == "kotaemon" {
			require.NotNil(t, s.LastTerminationState.Terminated)
			assert.Equal(t, int32(1), s.LastTerminationState.Terminated.ExitCode, "the companion's code (the stand-in's crash exits 1)")
		}
	}
}

// companion reaches the control port of the stand-in that plays the bundled server.
func (r *release) companion(pod string) kotaemon.ControlClient {
	return kotaemon.NewControlClient(r.podProxy(pod, companionControlPort), r.proxyClient())
}

// previousLogs is what the Kotaemon container printed before its last restart.
func (r *release) previousLogs(pod string) string {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b, err := r.c.Client.CoreV1().Pods(r.ns).GetLogs(pod, &corev1.PodLogOptions{Container: "kotaemon", Previous: true}).DoRaw(ctx)
	require.NoError(r.t, err)
	return string(b)
}

// healthBody reads one health endpoint of the agent in pod through the API server.
func (r *release) healthBody(pod, path string) string {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.podProxy(pod, 8000)+path, nil)
	require.NoError(r.t, err)
	resp, err := r.proxyClient().Do(req)
	require.NoError(r.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(r.t, err)
	return string(b)
}
