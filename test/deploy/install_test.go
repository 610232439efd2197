package deploy

import (
	"bytes"
	"context"
	"errors"
	"os"
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
	"kotaemon-k8s/ociimage"
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
	images := r.t.TempDir()
	if !c.Embedded {
		// Clusters loaded from archives (kind) get the agent's from where `make image`
		// would have written it.
		agent := agentProgram(r.t)
		_, tag := splitRef(agent.Ref)
		require.NoError(r.t, ociimage.WriteProgramTar(".", agent, ociimage.AgentArchive(images, tag, runtime.GOARCH)))
	}
	var out bytes.Buffer
	puller := &nodeimages.Puller{CacheDir: r.t.TempDir(), Platform: v1.Platform{OS: "linux", Architecture: runtime.GOARCH},
		Out: &out, Reach: 5 * time.Second}
	o := installer.Options{Chart: chartArchive(r.t), Release: releaseName, Namespace: r.ns, ValuesFiles: r.files(layers),
		Images: images, Timeout: 2 * time.Minute}
	r.tl.Mark("kotaemonctl-install", strings.Join(o.ValuesFiles, " "))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	_, err = c.Install(ctx, o, puller, &out)
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
	begin := time.Now()
	_, err := r.runInstall(imagesLayer(r.im), absent, standinLayer("wrapper", 8000), fastProbes)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "127.0.0.1:1/absent:1")
	var needs *installer.NeedsImageError
	if errors.As(err, &needs) {
		assert.Contains(t, err.Error(), "make load-images IMAGES=")
		assert.Contains(t, err.Error(), "make demo")
		assert.Contains(t, err.Error(), "Nothing was installed.")
		assert.Less(t, time.Since(begin), 30*time.Second, "said within seconds")
		secrets, lerr := r.c.Client.CoreV1().Secrets(r.ns).List(context.Background(), metav1.ListOptions{LabelSelector: "owner=helm"})
		require.NoError(t, lerr)
		assert.Empty(t, secrets.Items, "no release was recorded")
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

// A claim no provisioner can serve stops the wait naming the claim, the class and the
// classes the cluster has.
func TestInstallStopsOnAClaimThatStaysPending(t *testing.T) {
	t.Parallel()
	r := newRelease(t, "install-pvc")
	_, err := r.runInstall(imagesLayer(r.im), standinLayer("wrapper", 8000), fastProbes,
		parseLayer(`persistence: {storageClass: absent-class}`))
	var stuck *installer.StuckError
	require.True(t, errors.As(err, &stuck), "%v", err)
	assert.Contains(t, stuck.Cause, "PersistentVolumeClaim kh-kotaemon-data stays Pending (StorageClass absent-class)")
	assert.Contains(t, stuck.Next, "persistence.storageClass")
	assert.Contains(t, stuck.Next, "it has ")
}
