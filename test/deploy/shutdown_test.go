package deploy

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"kotaemon-k8s/internal/config"
	"kotaemon-k8s/standin"
	"kotaemon-k8s/standin/kotaemon"
	"kotaemon-k8s/test/kube"
)

// rollout is a pod template change: helm upgrade with it replaces every pod.
func rollout(n int) layer {
	return layer{"podAnnotations": map[string]any{"kotaemon-k8s/rollout": fmt.Sprint(n)}}
}

// createPod creates a pod of the suite's own (a client) in the scenario's namespace.
func (r *release) createPod(p *corev1.Pod) {
	r.t.Helper()
	_, err := r.c.Client.CoreV1().Pods(r.ns).Create(context.Background(), p, metav1.CreateOptions{})
	require.NoError(r.t, err)
}

// logLines is every line a pod's container printed so far.
func (r *release) logLines(pod string) []string {
	r.t.Helper()
	var out []string
	for _, l := range r.timedLogLines(pod) {
		out = append(out, l.text)
	}
	return out
}

// timedLine is a log line with the time the kubelet recorded it.
type timedLine struct {
	at   time.Time
	text string
}

// timedLogLines is every line a pod's container printed so far, with its time.
func (r *release) timedLogLines(pod string) []timedLine {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b, err := r.c.Client.CoreV1().Pods(r.ns).GetLogs(pod, &corev1.PodLogOptions{Timestamps: true}).DoRaw(ctx)
	require.NoError(r.t, err)
	var out []timedLine
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		stamp, text, ok := strings.Cut(l, " ")
		at, err := time.Parse(time.RFC3339Nano, stamp)
		if !ok || err != nil {
			continue // not a line of the client's (an empty log)
		}
		out = append(out, timedLine{at, text})
	}
	return out
}

// serviceURL is the release's app Service as pods in the namespace reach it.
func serviceURL(path string) string { return "http://" + serviceName + path }

// PB-07 (a). Created: two replicas with external stores (RollingUpdate, maxUnavailable
// 0), a client sending a request through the app Service every 100 ms with keep-alive
// off, and a client streaming one answer of streamSeconds after another. Happens: a helm
// upgrade that changes the pod template replaces both pods. Must hold: not one request
// fails and not one answer is cut, before, during or after the rollout.
func TestPB07a_ARollingUpgradeOfTwoReplicasFailsNoRequest(t *testing.T) {
	t.Parallel()
	r := newRelease(t, "pb07a")
	twoReplicas := parseLayer("replicaCount: 2\nkotaemon:\n  externalStores: true\npersistence:\n  enabled: false\n")
	r.install(nil, imagesLayer(r.im), standinLayer("wrapper", 8000), fastProbes, twoReplicas)
	p := r.probes()
	recordWindows(r.tl, p)
	r.awaitRollout(2, podStart+p.startup.Window())

	r.createPod(kube.Client("traffic", r.im.standin, nil, "-url="+serviceURL("/"), "-interval=100ms", "-timeout=2s"))
	r.createPod(kube.Client("streams", r.im.standin, nil, "-url="+serviceURL(kotaemon.StreamPath(streamSeconds)), "-interval=100ms", "-timeout=60s"))
	for _, client := range []string{"traffic", "streams"} {
		r.awaitAnswers(client, 1, podStart+streamSeconds*time.Second)
	}

	// Lines from before the client's first answers (the node's proxy had no rule for the
	// Service yet) are not the rollout's.
	steady := time.Now()
	r.upgrade(rollout(1))
	r.awaitRollout(2, 2*(podStart+p.startup.Window()))
	// Requests keep flowing for a while after the last old pod is gone.
	time.Sleep(5 * time.Second) // traffic after the rollout, not a wait for a condition
	r.tl.Mark("traffic-end", "")

	var lines, failed []string
	for _, l := range r.timedLogLines("traffic") {
		if l.at.Before(steady) {
			continue
		}
		lines = append(lines, l.text)
		if !strings.HasPrefix(l.text, "OK 200") {
			failed = append(failed, l.text)
		}
	}
	t.Logf("%d requests through the Service during the rollout, %d failed", len(lines), len(failed))
	r.tl.Mark("requests", fmt.Sprintf("%d sent, %d failed", len(lines), len(failed)))
	assert.Empty(t, failed, "PB-07: failed requests during a rolling upgrade")
	assert.Greater(t, len(lines), 20, "too few requests to show anything")

	// Answers end streamSeconds apart: wait for those that were in flight during the
	// rollout, and one more.
	kube.Await(t, "streamed answers during and after the rollout", 4*streamSeconds*time.Second, func(context.Context) (bool, string) {
		n := 0
		for _, l := range r.timedLogLines("streams") {
			if !l.at.Before(steady) {
				n++
			}
		}
		return n >= 3, fmt.Sprintf("%d answers since the rollout began", n)
	})
	var answers, cut []string
	for _, l := range r.timedLogLines("streams") {
		if l.at.Before(steady) {
			continue
		}
		answers = append(answers, l.text)
		if !streamedToItsEnd(l.text) {
			cut = append(cut, l.text)
		}
	}
	t.Logf("%d streamed answers during the rollout, %d cut", len(answers), len(cut))
	assert.Empty(t, cut, "PB-07: answers cut during a rolling upgrade")
	assert.GreaterOrEqual(t, len(answers), 3, "too few answers to show anything")
}

// awaitAnswers waits until the in-cluster client's last n lines are answers (OK 200).
func (r *release) awaitAnswers(client string, n int, bound time.Duration) {
	r.t.Helper()
	kube.Await(r.t, "the "+client+" client gets answers through the Service", bound, func(ctx context.Context) (bool, string) {
		lines, err := kube.LastLogLines(ctx, r.c.Client, r.ns, client, "", int64(n))
		if err != nil {
			return false, err.Error()
		}
		return kube.AllPrefixed(lines, n, "OK 200"), strings.Join(lines, "|")
	})
}

// streamedToItsEnd says whether a client's line is a streamed answer that reached its
// last event.
func streamedToItsEnd(line string) bool {
	return strings.HasPrefix(line, "OK 200 ") && strings.HasSuffix(line, kotaemon.StreamEnd)
}

// streamSeconds is how long each of PB-07 (a)'s streamed answers lasts: longer than
// Gradio's 5 s close, so only the agent's wait lets one in flight at a stop finish.
const streamSeconds = 8

// awaitRollout waits until the Deployment has exactly n updated, ready pods and no old one.
func (r *release) awaitRollout(n int32, bound time.Duration) {
	r.t.Helper()
	kube.Await(r.t, fmt.Sprintf("the rollout completes with %d ready pods", n), bound, func(ctx context.Context) (bool, string) {
		d, err := r.c.Client.AppsV1().Deployments(r.ns).Get(ctx, serviceName, metav1.GetOptions{})
		if err != nil {
			return false, err.Error()
		}
		s := d.Status
		done := s.ObservedGeneration >= d.Generation && s.UpdatedReplicas == n && s.ReadyReplicas == n && s.Replicas == n
		return done, fmt.Sprintf("generation %d/%d updated=%d ready=%d total=%d", s.ObservedGeneration, d.Generation, s.UpdatedReplicas, s.ReadyReplicas, s.Replicas)
	})
}

// inFlightSeconds is how long PB-07 (b)'s answer streams: longer than the agent's drain
// delay and Gradio's 5 s close together, so only the agent's wait for answers in flight
// lets it finish; far shorter than that wait (pb07bStop), so a wait that ran to its
// timeout shows.
const inFlightSeconds = 12

// pb07bStop gives the wait for answers 30 s (and the grace period what that needs), well
// past the answer in flight: the stop must follow the answer's end, not the timeout.
var pb07bStop = parseLayer("terminationGracePeriodSeconds: 45\nhealth:\n  shutdown: {answersTimeoutSeconds: 30}\n")

// quietSlack is what may pass between the answer's end and the app's stop signal: the
// agent's quiet window (answers.Window, 3 s), a poll of the connections (250 ms), and
// the kubelet's log timestamp and the state read.
const quietSlack = 5 * time.Second

// PB-07 (b). Created: one replica (Recreate) with fast probes, an idle browser tab (its
// heartbeat stream, an event every 15 s) and a chat-like answer streaming through the
// Service for inFlightSeconds. Happens: a helm upgrade
// replaces the pod, so the old one gets SIGTERM. Must hold: the old pod leaves the
// Service's ready endpoints before the app gets SIGTERM (the agent's drain delay); the
// app gets its stop signal, not only SIGKILL, and exits 0 within the grace period; the
// answer in flight streams to its end (the stand-in dies at once on SIGTERM, as Kotaemon
// does); the idle tab does not hold the stop: the app's stop signal comes within
// quietSlack of the answer's end (or of the drain delay's), not at the wait's timeout.
// In wrapper mode the agent stops the app; in sidecar mode Kotaemon's preStop hook does.
// With kotaemon.sso.enabled the stand-in runs in the SSO entrypoint's shape (uvicorn:
// Gradio under /app behind a login, graceful on either signal): the agent's routes and
// the client's answer go where that shape serves them.
func TestPB07b_ASingleReplicaLeavesTheEndpointsBeforeTheAppIsStoppedCleanly(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, mode string
		sso        bool
	}{
		{"wrapper", "wrapper", false},
		{"sidecar", "sidecar", false},
		{"wrapper-sso", "wrapper", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			pb07b(t, tc.name, tc.mode, tc.sso)
		})
	}
}

// ssoLayer runs Kotaemon's SSO entrypoint where images from 0.11.2 keep it (the stand-in
// image links it to the stand-in); the stand-in's tag names no Kotaemon version, so the
// chart needs the command given.
var ssoLayer = parseLayer(fmt.Sprintf("kotaemon:\n  sso:\n    enabled: true\n    command: [%q, \"sso_app:app\"]\n", standin.Uvicorn))

func pb07b(t *testing.T, name, mode string, sso bool) {
	r := newRelease(t, "pb07b-"+name)
	layers := []layer{imagesLayer(r.im), standinLayer(mode, 8000), fastProbes, pb07bStop}
	// The answer, the tab and, in SSO shape, the session they need: the stand-in's OAuth
	// callback.
	mount, login := "", ""
	if sso {
		layers = append(layers, ssoLayer)
		mount, login = kotaemon.SSOMount, serviceURL(kotaemon.RouteAuth+"standin")
	}
	answer, tab := serviceURL(mount+kotaemon.StreamPath(inFlightSeconds)), serviceURL(mount+kotaemon.HeartbeatPath("idle-tab"))
	r.install(nil, layers...)
	p := r.probes()
	recordWindows(r.tl, p)
	old := r.onePod()
	r.awaitReady(old, "before the upgrade", podStart+p.startup.Window())
	kube.Await(t, "the Service routes to the pod", proxySync, func(ctx context.Context) (bool, string) {
		eps, err := kube.EndpointReadiness(ctx, r.c.Client, r.ns, serviceName)
		if err != nil {
			return false, err.Error()
		}
		for _, ready := range eps {
			if ready {
				return true, ""
			}
		}
		return false, fmt.Sprint(eps)
	})

	// The EndpointSlice is ready before every node's proxy routes the Service: the client
	// retries a connection that cannot open until it does.
	r.createPod(kube.Client("tab", r.im.standin, nil, "-url="+tab, "-login="+login, "-timeout=300s", "-retry-for="+proxySync.String()))
	kube.Await(t, "the tab is open", podStart, func(ctx context.Context) (bool, string) {
		st, err := r.state(ctx, old)
		if err != nil {
			return false, err.Error()
		}
		return st.Tabs >= 1, fmt.Sprintf("tabs: %d", st.Tabs)
	})
	r.createPod(kube.Client("inflight", r.im.standin, nil, "-url="+answer, "-login="+login, "-timeout=60s", "-retry-for="+proxySync.String()))
	kube.Await(t, "the request is in flight", podStart, func(ctx context.Context) (bool, string) {
		st, err := r.state(ctx, old)
		if err != nil {
			return false, err.Error()
		}
		require.Equal(t, sso, st.SSO, "the stand-in runs in the entrypoint's shape")
		// The agent asks only routes that answer: none of its requests met the login gate.
		require.Zero(t, st.Served[kotaemon.ServedLoginRedirect], "requests redirected to the login")
		return st.InFlight-st.Tabs >= 1, fmt.Sprintf("in flight: %d, of which tabs: %d", st.InFlight, st.Tabs)
	})

	// The app may drain and exit while `helm upgrade` still runs on a loaded machine, and
	// then its state can no longer be read: it is watched from before the upgrade.
	seen := r.watchSigterm(old)
	upgradeAt := time.Now()
	r.upgrade(rollout(1))
	var sigterm time.Time // on the test's clock
	kube.Await(t, "the app gets SIGTERM", p.grace+podStart, func(ctx context.Context) (bool, string) {
		at, last := seen()
		if !at.IsZero() {
			sigterm = at
			return true, ""
		}
		// A loaded node may stop the old app before a read caught it: its successor on the
		// same volume (Recreate, one node) reports when it got SIGTERM.
		at, why := r.predecessorSigterm(ctx, old)
		if at.IsZero() {
			return false, last + "; " + why
		}
		sigterm = at
		return true, ""
	})
	r.tl.Mark("app-sigterm", sigterm.UTC().Format(time.RFC3339Nano))

	left := r.tl.Find("endpoint", "endpoint-not-ready", serviceName+"/"+old, upgradeAt)
	require.NotEmpty(t, left, "the old pod never left the Service's ready endpoints")
	t.Logf("the old pod left the ready endpoints %s before the app got its stop signal", sigterm.Sub(left[0].At).Round(10*time.Millisecond))
	assert.True(t, left[0].At.Before(sigterm), "PB-07: the app got SIGTERM (%s) before its pod left the ready endpoints (%s)", sigterm, left[0].At)

	kube.Await(t, "the old app exits within the grace period", p.grace+statusSlack, func(context.Context) (bool, string) {
		ends := r.tl.Find("container", "terminated", old+"/kotaemon", upgradeAt)
		if len(ends) == 0 {
			return false, "not terminated yet"
		}
		require.Contains(t, ends[0].Detail, "exit 0", "PI-14: the app's container did not exit cleanly")
		return true, ""
	})
	kube.Await(t, "the request in flight completes", p.grace+statusSlack, func(ctx context.Context) (bool, string) {
		c, why := r.pod(ctx, "inflight")
		if c == nil {
			return false, why
		}
		return c.Status.Phase == corev1.PodSucceeded || c.Status.Phase == corev1.PodFailed, string(c.Status.Phase)
	})
	timed := r.timedLogLines("inflight")
	require.NotEmpty(t, timed, "the in-flight client printed nothing")
	last := timed[len(timed)-1]
	assert.True(t, streamedToItsEnd(last.text),
		"PB-07: the answer in flight at the stop streamed to its end: %s", last.text)
	for _, l := range timed[:len(timed)-1] {
		// Refused or unroutable while the proxy had no rule yet: never a request that
		// reached a pod and failed.
		assert.Contains(t, l.text, "dial tcp", "only connections that never opened are retried before the request got through")
	}

	// The wait for answers ended once the answer had (the drain delay permitting), while
	// the tab was still open: an idle tab holds no stop. A wait held to its timeout would
	// signal the app about answersTimeoutSeconds after the drain delay.
	waitFrom := left[0].At.Add(r.agentConfig().Shutdown.DrainDelay)
	quietFrom := last.at
	if waitFrom.After(quietFrom) {
		quietFrom = waitFrom
	}
	t.Logf("the app got its stop signal %s after the answer ended", sigterm.Sub(last.at).Round(10*time.Millisecond))
	assert.True(t, sigterm.After(last.at), "PB-07: the app got its stop signal (%s) before the answer in flight ended (%s)", sigterm, last.at)
	assert.True(t, sigterm.Sub(quietFrom) <= quietSlack, "PB-07: the app got its stop signal %s after the answers in flight had ended (bound %s): did an idle tab hold the wait?",
		sigterm.Sub(quietFrom).Round(10*time.Millisecond), quietSlack)
	tabLines := r.timedLogLines("tab")
	require.NotEmpty(t, tabLines, "the tab's client printed nothing: its stream never ended")
	assert.False(t, tabLines[len(tabLines)-1].at.Before(sigterm), "the tab was open until the app's stop signal: %s", tabLines[len(tabLines)-1].text)
}

// agentConfig is the health agent's configuration as the release rendered it.
func (r *release) agentConfig() *config.Config {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cm, err := r.c.Client.CoreV1().ConfigMaps(r.ns).Get(ctx, serviceName+"-health", metav1.GetOptions{})
	require.NoError(r.t, err)
	cfg, err := config.Parse([]byte(cm.Data["config.yaml"]))
	require.NoError(r.t, err)
	return cfg
}

// watchSigterm reads the stand-in's state in pod a few times a second, each read bounded
// on its own, until the state shows SIGTERM or the test ends. It returns when the app got
// SIGTERM (on the test's clock; zero while it has not) and the last read's outcome.
func (r *release) watchSigterm(pod string) func() (time.Time, string) {
	var mu sync.Mutex
	var at time.Time
	last := "no read yet"
	ctx, cancel := context.WithCancel(context.Background())
	r.t.Cleanup(cancel)
	go func() {
		for ctx.Err() == nil {
			rctx, rcancel := context.WithTimeout(ctx, 3*time.Second)
			st, onTestClock, err := r.stateOnTestClock(rctx, pod)
			rcancel()
			mu.Lock()
			switch {
			case err != nil:
				last = err.Error()
			case st.SigtermAt == nil:
				last = "no SIGTERM yet"
			default:
				at, last = onTestClock(*st.SigtermAt), "SIGTERM"
			}
			done := !at.IsZero()
			mu.Unlock()
			if done {
				return
			}
			select {
			case <-ctx.Done():
			case <-time.After(250 * time.Millisecond):
			}
		}
	}()
	return func() (time.Time, string) {
		mu.Lock()
		defer mu.Unlock()
		return at, last
	}
}

// predecessorSigterm is when the app of pod got SIGTERM as its successor on the data
// volume reports it (on the test's clock), or why not yet.
func (r *release) predecessorSigterm(ctx context.Context, pod string) (time.Time, string) {
	pods, err := r.appPods(ctx)
	if err != nil {
		return time.Time{}, err.Error()
	}
	for _, p := range pods {
		if p.Name == pod || !kube.Running(&p) {
			continue
		}
		st, onTestClock, err := r.stateOnTestClock(ctx, p.Name)
		if err != nil {
			return time.Time{}, err.Error()
		}
		if st.PreviousSigtermAt == nil {
			return time.Time{}, "the successor reports no SIGTERM of its predecessor"
		}
		return onTestClock(*st.PreviousSigtermAt), ""
	}
	return time.Time{}, "no successor runs yet"
}
