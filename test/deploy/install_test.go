package deploy

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"kotaemon-k8s/installer"
	"kotaemon-k8s/nodeimages"
	"kotaemon-k8s/test/chart"
)

// The install command (`make install`, cmd/kotaemonctl, package installer) against the
// cluster: it waits until Ready and says what happens, or stops with the cause and the
// next step. The Kotaemon stand-in plays Kotaemon.

// runInstall runs the installer with the layers as values files and returns what it
// printed and its error.
func (r *release) runInstall(layers ...layer) (string, error) {
	r.t.Helper()
	c, err := installer.Connect(os.Getenv("KUBECONFIG"), chart.Root())
	require.NoError(r.t, err)
	var out bytes.Buffer
	puller := &nodeimages.Puller{CacheDir: r.t.TempDir(), Platform: v1.Platform{OS: "linux", Architecture: runtime.GOARCH},
		Out: &out, Reach: 5 * time.Second}
	o := installer.Options{Chart: chartArchive(r.t), Release: releaseName, Namespace: r.ns, ValuesFiles: r.files(layers),
		Images: r.im.agentArchiveDir, Timeout: 2 * time.Minute} // the installer loads the agent (or finds it) by its digest
	r.tl.Mark("kotaemonctl-install", strings.Join(o.ValuesFiles, " "))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	begin := time.Now()
	_, err = c.Install(ctx, o, puller, &out)
	r.installTook = time.Since(begin)
	r.t.Logf("install printed:\n%s\nand returned: %v", out.String(), err)
	return out.String(), err
}

// linesIn asserts that the output holds each line fragment, in this order.
func linesIn(t *testing.T, out string, fragments ...string) {
	t.Helper()
	rest := out
	for _, f := range fragments {
		i := strings.Index(rest, f)
		if !assert.GreaterOrEqual(t, i, 0, "%q (in order) not in the output", f) {
			return
		}
		rest = rest[i+len(f):]
	}
}

// With the image in the cluster, the install waits until Ready and streams a line per
// change: pod phase, init container done, app process started, start-up budget used,
// start-up done, Ready.
func TestInstallWaitsUntilReadyAndSaysWhatHappens(t *testing.T) {
	t.Parallel()
	r := newRelease(t, "install-ready")
	out, err := r.runInstall(imagesLayer(r.im), standinLayer("wrapper", 8000, "--startup=8s"), fastProbes)
	require.NoError(t, err)
	linesIn(t, out,
		"installed kh revision 1 in namespace "+r.ns+": Deployment/kh-kotaemon, start-up budget 16s: startupProbe 8 x 2s on kotaemon",
		": created",
		"init container install-health-agent done",
		"app process started (container kotaemon running)",
		"of the 16s budget used (",
		"start-up done after",
		": Ready",
		"Deployment/kh-kotaemon is Ready")
	assert.True(t, r.deployment().Status.ReadyReplicas == 1, "Ready when the command returns")

	// A second install of the same values changes nothing and returns at once.
	begin := time.Now()
	out, err = r.runInstall(imagesLayer(r.im), standinLayer("wrapper", 8000, "--startup=8s"), fastProbes)
	require.NoError(t, err)
	linesIn(t, out, "upgraded kh revision 2", "before this install", "Deployment/kh-kotaemon is Ready")
	assert.Less(t, time.Since(begin), time.Minute)
}

// An image the nodes cannot get stops the install before anything is installed, with
// the image named and the ways on (on the embedded cluster: the pull fails on a registry
// that refuses; elsewhere the node's pull fails and the wait says so).
func TestInstallWithoutTheImageSaysSoWithinSeconds(t *testing.T) {
	t.Parallel()
	r := newRelease(t, "install-noimage")
	absent := parseLayer(`image: {repository: "127.0.0.1:1/absent", tag: "1"}`)
	_, err := r.runInstall(imagesLayer(r.im), absent, standinLayer("wrapper", 8000), fastProbes)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "127.0.0.1:1/absent:1")
	var needs *installer.NeedsImageError
	if errors.As(err, &needs) {
		assert.Contains(t, err.Error(), "make load-images IMAGES=")
		assert.Contains(t, err.Error(), "make demo")
		assert.Contains(t, err.Error(), "Nothing was installed.")
		assert.Less(t, r.installTook, 30*time.Second, "said within seconds")
		r.assertNothingInstalled()
		return
	}
	var stuck *installer.StuckError
	require.True(t, errors.As(err, &stuck), "%v", err)
	assert.Contains(t, stuck.Cause, "cannot get the image")
}

// A container that keeps exiting stops the wait with CrashLoopBackOff and the last line
// it logged.
func TestInstallStopsOnACrashLoopWithTheLastLogLine(t *testing.T) {
	t.Parallel()
	r := newRelease(t, "install-crash")
	_, err := r.runInstall(imagesLayer(r.im), standinLayer("wrapper", 8000, "--no-such-flag"), fastProbes)
	var stuck *installer.StuckError
	require.True(t, errors.As(err, &stuck), "%v", err)
	assert.Contains(t, stuck.Cause, "CrashLoopBackOff")
	assert.Contains(t, stuck.Cause, "its last log lines:")
	assert.Contains(t, stuck.Cause, "exited with code 2", "the agent's line about the exit")
	assert.Contains(t, stuck.Next, "--previous")
}

// An app that never opens its port exhausts the start-up budget: the kubelet restarts
// it, and the wait stops saying so and how to measure and raise the budget.
func TestInstallStopsWhenTheStartupBudgetRunsOut(t *testing.T) {
	t.Parallel()
	r := newRelease(t, "install-budget")
	out, err := r.runInstall(imagesLayer(r.im), standinLayer("wrapper", 8000, "--never-start"), fastProbes)
	var stuck *installer.StuckError
	require.True(t, errors.As(err, &stuck), "%v", err)
	assert.Contains(t, stuck.Cause, "start-up did not finish within its budget of 16s (startupProbe 8 x 2s)")
	assert.Contains(t, stuck.Next, "probes.startup.expectedSeconds")
	// Progress reaches the end of the budget before the restart (lines come every couple
	// of seconds, so which percentages show depends on the node's pace).
	used := regexp.MustCompile(`of the 16s budget used \((\d+)%\)`).FindAllStringSubmatch(out, -1)
	most := 0
	for _, m := range used {
		n, _ := strconv.Atoi(m[1])
		most = max(most, n)
	}
	assert.GreaterOrEqual(t, most, 75, "the last progress line before the restart")
	linesIn(t, out, "of the 16s budget used (", "restart 1")
}

// A StorageClass the cluster does not have is named before anything is installed: a
// claim of it would stay Pending, and the pod with it. (A class that exists but cannot
// provision stops the wait instead, naming the claim: a unit test of the wait.)
func TestInstallNamesAStorageClassTheClusterLacksBeforeInstalling(t *testing.T) {
	t.Parallel()
	r := newRelease(t, "install-pvc")
	_, err := r.runInstall(imagesLayer(r.im), standinLayer("wrapper", 8000), fastProbes,
		parseLayer(`persistence: {storageClass: absent-class}`))
	var missing *installer.MissingError
	require.True(t, errors.As(err, &missing), "%v", err)
	assert.Equal(t, []string{"StorageClass absent-class (the PersistentVolumeClaim kh-kotaemon-data): not found"}, missing.Missing)
	r.assertNothingInstalled()
}

// values/prod.yaml on a cluster that has none of what the file lists at its top: the
// install names every missing object, with what needs it, and installs nothing.
func TestInstallOfAFileWhoseNeedsAreMissingNamesThemAndInstallsNothing(t *testing.T) {
	t.Parallel()
	r := newRelease(t, "install-needs")
	prod := readValues(t, filepath.Join(chart.ValuesDir(), "prod.yaml"))
	_, err := r.runInstall(prod, imagesLayer(r.im), standinLayer("wrapper", 8000))
	var missing *installer.MissingError
	require.True(t, errors.As(err, &missing), "%v", err)
	require.Len(t, missing.Missing, 5, "%s", err)
	for i, want := range []string{
		"Namespace ingress-nginx (a peer of the NetworkPolicy kh-kotaemon): not found",
		"Namespace monitoring (a peer of the NetworkPolicy kh-kotaemon",
		"Secret kotaemon-api-keys in namespace " + r.ns + " with the key OPENAI_API_KEY (",
		"Secret kotaemon-tls in namespace " + r.ns + " (the TLS certificate of the Ingress kh-kotaemon): not found",
		"Service llm-gateway in namespace ai (the critical check llm (readiness fails until it answers)): not found",
	} {
		assert.Contains(t, missing.Missing[i], want)
	}
	r.assertNothingInstalled()
}

// assertNothingInstalled: helm recorded no release in the namespace.
func (r *release) assertNothingInstalled() {
	r.t.Helper()
	secrets, err := r.c.Client.CoreV1().Secrets(r.ns).List(context.Background(), metav1.ListOptions{LabelSelector: "owner=helm"})
	require.NoError(r.t, err)
	assert.Empty(r.t, secrets.Items, "no release was recorded")
}
