package deploy

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/gruntwork-io/terratest/modules/helm"
	"github.com/gruntwork-io/terratest/modules/k8s"
	"github.com/gruntwork-io/terratest/modules/logger"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"

	"kotaemon-k8s/standin/kotaemon"
	"kotaemon-k8s/test/chart"
	"kotaemon-k8s/test/kube"
)

// releaseName is every scenario's release (each has a namespace of its own).
const releaseName = "kh"

// release is one scenario: its namespace, its timeline and the chart installed there.
type release struct {
	t      *testing.T
	c      *kube.Cluster
	ns     string
	im     images
	tl     *kube.Timeline
	dir    string
	layers int
	opts   *helm.Options
	// installTook is how long the last runInstall's install took (its preparation not
	// counted).
	installTook time.Duration
}

// newRelease connects, loads the images, and prepares a namespace that is diagnosed
// when the test fails and deleted when it ends, with a timeline of it.
func newRelease(t *testing.T, prefix string) *release {
	t.Helper()
	c := kube.Connect(t, "make test-deploy")
	r := releaseIn(t, c, c.Namespace(t, prefix))
	r.im = loadImages(t, c)
	return r
}

// releaseIn is a release in the namespace ns, diagnosed when the test fails, with a
// timeline of it, and no images loaded.
func releaseIn(t *testing.T, c *kube.Cluster, ns string) *release {
	t.Helper()
	c.DiagnoseOnFailure(t, ns)
	r := &release{t: t, c: c, ns: ns, dir: t.TempDir()}
	r.tl = c.Record(t, ns)
	kubectl := k8s.NewKubectlOptions("", c.Kubeconfig, ns)
	kubectl.Logger = logger.Discard
	r.opts = &helm.Options{KubectlOptions: kubectl, Logger: logger.Discard}
	if args := mutantArgs(t); args != nil {
		r.opts.ExtraArgs = map[string][]string{"install": args, "upgrade": args}
	}
	return r
}

// mutantArgs are helm's post-renderer flags of the mutation run (make
// test-deploy-mutants): every release goes through one broken variant of the chart
// (package test/mutants), named by KOTAEMON_MUTANT; nil outside that run.
func mutantArgs(t *testing.T) []string {
	variant := os.Getenv("KOTAEMON_MUTANT")
	if variant == "" {
		return nil
	}
	renderer := os.Getenv("KOTAEMON_MUTANT_RENDERER")
	require.NotEmpty(t, renderer, "KOTAEMON_MUTANT=%s needs KOTAEMON_MUTANT_RENDERER, the chartmutant binary", variant)
	return []string{"--post-renderer", renderer, "--post-renderer-args", variant}
}

// files writes the layers as values files, in order.
func (r *release) files(layers []layer) []string {
	var out []string
	for _, l := range layers {
		r.layers++
		out = append(out, l.write(r.t, r.dir, fmt.Sprintf("layer-%02d.yaml", r.layers)))
	}
	return out
}

// install runs `helm install` with the values files and layers, without --wait: the
// scenario itself watches the pod come up.
func (r *release) install(valuesFiles []string, layers ...layer) {
	r.t.Helper()
	opts := *r.opts
	opts.ValuesFiles = append(append([]string{}, valuesFiles...), r.files(layers)...)
	r.tl.Mark("helm-install", strings.Join(opts.ValuesFiles, " "))
	require.NoError(r.t, helm.InstallE(r.t, &opts, chartArchive(r.t), releaseName))
	r.opts.ValuesFiles = opts.ValuesFiles
}

// upgrade runs `helm upgrade` with the install's values plus more layers, without --wait.
func (r *release) upgrade(layers ...layer) {
	r.t.Helper()
	opts := *r.opts
	opts.ValuesFiles = append(append([]string{}, r.opts.ValuesFiles...), r.files(layers)...)
	r.tl.Mark("helm-upgrade", "")
	require.NoError(r.t, helm.UpgradeE(r.t, &opts, chartArchive(r.t), releaseName))
	r.opts.ValuesFiles = opts.ValuesFiles
}

// chartArchive is the packaged chart every scenario installs (make package's).
func chartArchive(t *testing.T) string {
	t.Helper()
	archive, err := chart.Archive()
	require.NoError(t, err)
	return archive
}

// helmTest runs `helm test` (the chart's test hook).
func (r *release) helmTest() (string, error) {
	r.tl.Mark("helm-test", "")
	return helm.RunHelmCommandAndGetOutputE(r.t, r.opts, "test", releaseName, "--timeout", "3m")
}

// appSelector selects the release's Kotaemon pods.
func appSelector() string {
	return "app.kubernetes.io/instance=" + releaseName + ",app.kubernetes.io/component=app"
}

// appPods lists the release's Kotaemon pods, oldest first.
func (r *release) appPods(ctx context.Context) ([]corev1.Pod, error) {
	list, err := r.c.Client.CoreV1().Pods(r.ns).List(ctx, metav1.ListOptions{LabelSelector: appSelector()})
	if err != nil {
		return nil, err
	}
	sort.Slice(list.Items, func(i, j int) bool { return list.Items[i].CreationTimestamp.Before(&list.Items[j].CreationTimestamp) })
	return list.Items, nil
}

// onePod waits for the release's single Kotaemon pod to exist and returns its name.
func (r *release) onePod() string {
	r.t.Helper()
	var name string
	kube.Await(r.t, "the Kotaemon pod exists", podStart, func(ctx context.Context) (bool, string) {
		pods, err := r.appPods(ctx)
		if err != nil {
			return false, err.Error()
		}
		var live []string
		for _, p := range pods {
			if p.DeletionTimestamp == nil {
				live = append(live, p.Name)
			}
		}
		if len(live) != 1 {
			return false, fmt.Sprintf("pods: %v", live)
		}
		name = live[0]
		return true, ""
	})
	return name
}

// pod reads a pod of the namespace, or says why it cannot.
func (r *release) pod(ctx context.Context, name string) (*corev1.Pod, string) {
	return kube.GetPod(ctx, r.c.Client, r.ns, name)
}

// awaitReady waits for the pod to be Ready within bound and returns when it was seen.
func (r *release) awaitReady(name, why string, bound time.Duration) time.Time {
	r.t.Helper()
	kube.Await(r.t, name+" is Ready "+why, bound, func(ctx context.Context) (bool, string) {
		p, why := r.pod(ctx, name)
		if p == nil {
			return false, why
		}
		return kube.PodReady(p), podSummary(p)
	})
	return time.Now()
}

// awaitNotReady waits for the pod to lose readiness within bound.
func (r *release) awaitNotReady(name, why string, bound time.Duration) time.Time {
	r.t.Helper()
	kube.Await(r.t, name+" is not Ready "+why, bound, func(ctx context.Context) (bool, string) {
		p, why := r.pod(ctx, name)
		if p == nil {
			return false, why
		}
		return !kube.PodReady(p), podSummary(p)
	})
	return time.Now()
}

// podEvents are the kubelet's events of a reason (Killing, Unhealthy, ...) about pod or
// its containers since a moment, in order, as the timeline recorded them.
func (r *release) podEvents(reason, pod string, since time.Time) []kube.Entry {
	var out []kube.Entry
	for _, e := range r.tl.Find("event", reason, "", since) {
		if strings.HasPrefix(e.Detail, pod+"/") {
			out = append(out, e)
		}
	}
	return out
}

// holdWithoutRestart fails if the pod restarts any container during d.
func (r *release) holdWithoutRestart(name, invariant string, d time.Duration, also func(*corev1.Pod) (bool, string)) {
	r.t.Helper()
	kube.Hold(r.t, name+" is not restarted ("+invariant+")", d, func(ctx context.Context) (bool, string) {
		p, why := r.pod(ctx, name)
		if p == nil {
			return false, why
		}
		if kube.Restarts(p) != 0 {
			return false, podSummary(p)
		}
		if also != nil {
			return also(p)
		}
		return true, ""
	})
}

func podSummary(p *corev1.Pod) string {
	var cs []string
	for _, s := range append(append([]corev1.ContainerStatus{}, p.Status.InitContainerStatuses...), p.Status.ContainerStatuses...) {
		cs = append(cs, fmt.Sprintf("%s ready=%v restarts=%d", s.Name, s.Ready, s.RestartCount))
	}
	return fmt.Sprintf("phase=%s ready=%v [%s]", p.Status.Phase, kube.PodReady(p), strings.Join(cs, "; "))
}

// deployment reads the release's Deployment as the API server stored it.
func (r *release) deployment() *appsv1.Deployment {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	d, err := r.c.Client.AppsV1().Deployments(r.ns).Get(ctx, releaseName+"-kotaemon", metav1.GetOptions{})
	require.NoError(r.t, err)
	return d
}

// proxyClient is an HTTP client that authenticates to the API server like the suite.
func (r *release) proxyClient() *http.Client {
	r.t.Helper()
	hc, err := rest.HTTPClientFor(r.c.Config)
	require.NoError(r.t, err)
	return hc
}

// podProxy is the base URL of a pod's port through the API server's proxy, so the suite
// reaches pods on any cluster, not only from inside the embedded one's namespace.
func (r *release) podProxy(pod string, port int) string {
	return fmt.Sprintf("%s/api/v1/namespaces/%s/pods/%s:%d/proxy", strings.TrimSuffix(r.c.Config.Host, "/"), r.ns, pod, port)
}

// standin reaches the Kotaemon stand-in's control port in pod.
func (r *release) standin(pod string) kotaemon.ControlClient {
	return kotaemon.NewControlClient(r.podProxy(pod, kotaemon.DefaultControlPort), r.proxyClient())
}

// state reads the stand-in's state, or why not.
func (r *release) state(ctx context.Context, pod string) (kotaemon.State, error) {
	return r.standin(pod).State(ctx)
}

// stateOnTestClock reads the stand-in's state with a function that moves a time of its
// clock onto the test's: the stand-in's clock may differ from the test's (another node),
// so its times are shifted by the offset seen in this very request (its "now" against
// the request's midpoint).
func (r *release) stateOnTestClock(ctx context.Context, pod string) (kotaemon.State, func(time.Time) time.Time, error) {
	sent := time.Now()
	st, err := r.state(ctx, pod)
	if err != nil {
		return st, nil, err
	}
	offset := st.Now.Sub(sent.Add(time.Since(sent) / 2))
	return st, func(t time.Time) time.Time { return t.Add(-offset) }, nil
}

// fault switches a fault on the stand-in in pod and marks it on the timeline.
func (r *release) fault(pod string, kind kotaemon.Fault, seconds int) time.Time {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, err := r.standin(pod).SetFault(ctx, kind, seconds)
	require.NoError(r.t, err, "fault %s", kind)
	return r.tl.Mark("fault-"+string(kind), pod)
}
