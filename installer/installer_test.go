package installer

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes/fake"

	"kotaemon-k8s/agentimage"
	"kotaemon-k8s/nodeimages"
	"kotaemon-k8s/ociimage"
	"kotaemon-k8s/release"
)

var chartDir = filepath.Join("..", "charts", "kotaemon")

// valuesFile writes doc as a values file.
func valuesFile(t *testing.T, doc string) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "values.yaml")
	require.NoError(t, os.WriteFile(f, []byte(doc), 0o644))
	return f
}

const demoTimings = `
probes:
  startup: {expectedSeconds: 20, safetyFactor: 1.5, periodSeconds: 2, timeoutSeconds: 2}
`

// pinned is the agent image as the chart's values.yaml pins it.
func pinned(t *testing.T) agentimage.Pin {
	t.Helper()
	pin, err := agentimage.ReadPin(filepath.Join(chartDir, "values.yaml"))
	require.NoError(t, err)
	return pin
}

// fakeAgentArchive writes an agent image archive of two small files where `make image`
// would, and returns its directory and its digest.
func fakeAgentArchive(t *testing.T) (dir, digest string) {
	t.Helper()
	dir = t.TempDir()
	bins := map[string]string{}
	for _, arch := range agentimage.Archs {
		bins[arch] = filepath.Join(dir, arch)
		require.NoError(t, os.WriteFile(bins[arch], []byte("agent for "+arch), 0o644))
	}
	tag := pinned(t).Tag
	idx, err := ociimage.Binary("x", agentimage.Path, bins).Index()
	require.NoError(t, err)
	d, err := idx.Digest()
	require.NoError(t, err)
	require.NoError(t, ociimage.WriteOCITar(agentimage.ArchivePath(dir, tag), "localhost/kotaemon-health:"+tag, idx))
	return dir, d.String()
}

// agentRef is the agent image the plan renders.
func agentRef(t *testing.T, p *Plan) string {
	t.Helper()
	for _, ref := range p.Images {
		if strings.Contains(ref, "/"+agentimage.Repository+":") {
			return ref
		}
	}
	t.Fatalf("no agent image among %v", p.Images)
	return ""
}

func TestRenderFindsTheWorkloadItsImagesAndTheStartupBudget(t *testing.T) {
	t.Parallel()
	o := Options{Chart: chartDir, Release: "kh", Namespace: "ns", ValuesFiles: []string{valuesFile(t, demoTimings)},
		Set: []string{"health.image.registry=registry.test/team"}}
	p, err := Render(o, nil, "v1.34.0")
	require.NoError(t, err)
	assert.Equal(t, "Deployment", p.Target.Kind)
	assert.Equal(t, "kh-kotaemon", p.Target.Name)
	assert.Equal(t, "kh", p.Target.Selector["app.kubernetes.io/instance"])
	// 20 s x 1.5 = 30 s in periods of 2 s: 15 failures allowed.
	assert.Equal(t, 30*time.Second, p.Target.Budget())
	assert.Equal(t, int32(15), p.Target.Startup.FailureThreshold)
	assert.Equal(t, "kotaemon", p.Target.probed())
	pin := pinned(t)
	pin.Registry = "registry.test/team"
	assert.Equal(t, pin.Ref(), agentRef(t, p), "the values' registry, the chart's pinned digest")
	assert.Nil(t, p.Agent, "the nodes pull it: this install delivers no agent image")
	assert.Len(t, p.Images, 2, "the agent's and Kotaemon's; the test hook uses the agent's: %v", p.Images)
	assert.Equal(t, "ns", p.Target.Namespace, "the wait watches where the chart put the pods")

	// namespaceOverride moves the pods; the wait follows them.
	o.ValuesFiles = append(o.ValuesFiles, valuesFile(t, "namespaceOverride: elsewhere\n"))
	p, err = Render(o, nil, "v1.34.0")
	require.NoError(t, err)
	assert.Equal(t, "elsewhere", p.Target.Namespace)
}

// The embedded cluster's nodes pull nothing: the agent image is loaded from `make
// image`'s archive and rendered by that archive's digest under a name nobody publishes.
func TestOnTheEmbeddedClusterTheAgentImageIsLoadedByItsDigestAndNothingIsPulled(t *testing.T) {
	t.Parallel()
	images, digest := fakeAgentArchive(t)
	o := Options{Chart: chartDir, Release: "kh", Namespace: "ns", Images: images}
	p, err := Render(o, &Cluster{Embedded: true}, "v1.34.0")
	require.NoError(t, err)
	spec := p.Workload.Deployment.Spec.Template.Spec
	for _, c := range append(spec.InitContainers, spec.Containers...) {
		assert.Equal(t, corev1.PullNever, c.ImagePullPolicy, c.Name)
	}
	want := agentimage.Pin{Registry: agentimage.LocalRegistry, Repository: agentimage.Repository, Tag: pinned(t).Tag, Digest: digest}
	assert.Equal(t, want.Ref(), agentRef(t, p))
	require.NotNil(t, p.Agent)
	assert.Equal(t, want, *p.Agent)
	assert.Equal(t, agentimage.ArchivePath(images, want.Tag), p.AgentArchive)
}

// REGISTRY=... make install pushed the archive's build: the release names that registry
// and that build's digest.
func TestARegistryIsWhereTheAgentImageComesFrom(t *testing.T) {
	t.Parallel()
	images, digest := fakeAgentArchive(t)
	o := Options{Chart: chartDir, Release: "kh", Namespace: "ns", Registry: "127.0.0.1:5000/team", Images: images}
	p, err := Render(o, nil, "v1.34.0")
	require.NoError(t, err)
	want := agentimage.Pin{Registry: "127.0.0.1:5000/team", Repository: agentimage.Repository, Tag: pinned(t).Tag, Digest: digest}
	assert.Equal(t, want.Ref(), agentRef(t, p))
	var out bytes.Buffer
	require.NoError(t, (&Cluster{}).EnsureImages(context.Background(), p, o, nodeimages.New(&out), &out))
	assert.Contains(t, out.String(), "image "+want.Ref()+": pulled by the nodes from the registry 127.0.0.1:5000/team")
}

func TestBadValuesAreRefusedBeforeAnythingReachesTheCluster(t *testing.T) {
	t.Parallel()
	o := Options{Chart: chartDir, Release: "kh", Namespace: "ns", Set: []string{"probes.startup.safetyFactor=0.5", "health.image.registry=registry.test"}}
	_, err := Render(o, nil, "v1.34.0")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "safetyFactor")
}

// On a cluster that is neither the embedded one nor kind, without a registry, the agent
// image has no way to the nodes: the install stops naming it and the ways on.
func TestAnUnreachableAgentImageStopsTheInstall(t *testing.T) {
	t.Parallel()
	_, err := Render(Options{Chart: chartDir, Release: "kh", Namespace: "ns"}, nil, "v1.34.0")
	var needs *NeedsImageError
	require.True(t, errors.As(err, &needs), "%v", err)
	assert.Contains(t, err.Error(), "kotaemon-health:"+pinned(t).Tag+"@"+pinned(t).Digest)
	assert.Contains(t, err.Error(), "REGISTRY=")
	assert.Contains(t, err.Error(), "published chart")
	assert.Contains(t, err.Error(), "kind")
	assert.Contains(t, err.Error(), "Nothing was installed.")
}

// Without `make image`'s archive, the embedded cluster has no agent image to load.
func TestAMissingAgentArchiveStopsTheInstall(t *testing.T) {
	t.Parallel()
	_, err := Render(Options{Chart: chartDir, Release: "kh", Namespace: "ns", Images: t.TempDir()}, &Cluster{Embedded: true}, "v1.34.0")
	var needs *NeedsImageError
	require.True(t, errors.As(err, &needs), "%v", err)
	assert.Contains(t, err.Error(), "make image")
}

// waiterFor is a waiter on a fake cluster holding objs, with a clock the test moves.
func waiterFor(t *testing.T, objs ...any) (*waiter, *bytes.Buffer, *time.Time) {
	t.Helper()
	var runtimeObjs []any
	runtimeObjs = append(runtimeObjs, objs...)
	cs := fake.NewClientset()
	for _, o := range runtimeObjs {
		switch v := o.(type) {
		case *corev1.Pod:
			_, err := cs.CoreV1().Pods(v.Namespace).Create(context.Background(), v, metav1.CreateOptions{})
			require.NoError(t, err)
		case *appsv1.Deployment:
			_, err := cs.AppsV1().Deployments(v.Namespace).Create(context.Background(), v, metav1.CreateOptions{})
			require.NoError(t, err)
		}
	}
	begin := time.Unix(1000, 0)
	now := begin
	var out bytes.Buffer
	startup := &release.Probe{Probe: &corev1.Probe{PeriodSeconds: 2, FailureThreshold: 10}, Container: &corev1.Container{Name: "app"}}
	w := Target{Kind: "Deployment", Name: "kh", Selector: map[string]string{"app": "kh"}, Startup: startup}
	wt := &waiter{c: &Cluster{Client: cs}, ns: "ns", w: w, begin: begin, out: &out, now: func() time.Time { return now }, seen: map[string]*podView{}}
	wt.logTail = func(context.Context, string, string) string { return "    panic: models not found" }
	return wt, &out, &now
}

func pod(mutate func(*corev1.Pod)) *corev1.Pod {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "kh-1", Namespace: "ns", Labels: map[string]string{"app": "kh"},
		CreationTimestamp: metav1.NewTime(time.Unix(1000, 0))}, Status: corev1.PodStatus{Phase: corev1.PodPending}}
	mutate(p)
	return p
}

func TestTheWaitSaysOneLinePerChange(t *testing.T) {
	t.Parallel()
	wt, out, now := waiterFor(t)
	ctx := context.Background()
	yes := true
	steps := []func(*corev1.Pod){
		func(p *corev1.Pod) {},
		func(p *corev1.Pod) {
			p.Status.InitContainerStatuses = []corev1.ContainerStatus{{Name: "install", State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 0}}}}
		},
		func(p *corev1.Pod) {
			p.Status.Phase = corev1.PodRunning
			p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "app", State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: metav1.NewTime(*now)}}}}
		},
		func(p *corev1.Pod) {}, // 5 s later: a quarter of the budget
		func(p *corev1.Pod) {
			p.Status.ContainerStatuses[0].Started = &yes
			p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}}
		},
	}
	p := pod(func(*corev1.Pod) {})
	for i, step := range steps {
		step(p)
		require.NoError(t, wt.report(ctx, p), "step %d", i)
		require.NoError(t, wt.report(ctx, p), "step %d again: nothing new", i)
		*now = now.Add(5 * time.Second)
	}
	assert.Equal(t, `[   0s] pod kh-1: created
[   0s] pod kh-1: Pending
[   5s] pod kh-1: init container install done
[  10s] pod kh-1: Running
[  10s] pod kh-1: app process started (container app running)
[  15s] pod kh-1: start-up 5s of the 20s budget used (25%)
[  20s] pod kh-1: start-up done after 10s (50% of the 20s budget)
[  20s] pod kh-1: Ready
`, out.String())
}

func TestWaitingReasonsNoWaitCanCure(t *testing.T) {
	t.Parallel()
	cases := []struct {
		reason, cause, next string
	}{
		{"ImagePullBackOff", "cannot get the image img:1 of container app", "make load-images"},
		{"ErrImageNeverPull", "cannot get the image img:1 of container app", "make demo"},
		{"CrashLoopBackOff", "keeps exiting (CrashLoopBackOff, 3 restarts); its last log lines:\n    panic: models not found", "--previous"},
		{"CreateContainerConfigError", "cannot be created: secret \"x\" not found", "create the Secret"},
	}
	for _, tc := range cases {
		t.Run(tc.reason, func(t *testing.T) {
			t.Parallel()
			wt, _, _ := waiterFor(t)
			p := pod(func(p *corev1.Pod) {
				p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "app", Image: "img:1", RestartCount: 3,
					State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: tc.reason, Message: `secret "x" not found`}}}}
			})
			err := wt.report(context.Background(), p)
			var stuck *StuckError
			require.True(t, errors.As(err, &stuck), "%v", err)
			assert.Contains(t, stuck.Cause, tc.cause)
			assert.Contains(t, stuck.Next, tc.next)
		})
	}
	wt, _, _ := waiterFor(t)
	p := pod(func(p *corev1.Pod) {
		p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "app",
			State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ContainerCreating"}}}}
	})
	assert.NoError(t, wt.report(context.Background(), p), "a reason that passes with time is waited on")
}

func TestAClaimIsStuckOnlyWithAWarningThatLasts(t *testing.T) {
	t.Parallel()
	class := "absent-class"
	claim := &corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Name: "data", Namespace: "ns"},
		Spec: corev1.PersistentVolumeClaimSpec{StorageClassName: &class}, Status: corev1.PersistentVolumeClaimStatus{Phase: corev1.ClaimPending}}
	wt, out, now := waiterFor(t)
	ctx := context.Background()
	_, err := wt.c.Client.CoreV1().PersistentVolumeClaims("ns").Create(ctx, claim, metav1.CreateOptions{})
	require.NoError(t, err)
	_, err = wt.c.Client.CoreV1().Events("ns").Create(ctx, &corev1.Event{ObjectMeta: metav1.ObjectMeta{Name: "e1", Namespace: "ns"},
		InvolvedObject: corev1.ObjectReference{Kind: "PersistentVolumeClaim", Name: "data"}, Type: "Warning",
		Message: `storageclass.storage.k8s.io "absent-class" not found`}, metav1.CreateOptions{})
	require.NoError(t, err)
	p := pod(func(p *corev1.Pod) {
		p.Spec.Volumes = []corev1.Volume{{Name: "data", VolumeSource: corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: "data"}}}}
		p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Message: "pod has unbound immediate PersistentVolumeClaims"}}
	})
	require.NoError(t, wt.report(ctx, p), "a provisioner gets a moment")
	assert.Contains(t, out.String(), "not scheduled yet: pod has unbound immediate PersistentVolumeClaims")
	*now = now.Add(21 * time.Second)
	err = wt.report(ctx, p)
	var stuck *StuckError
	require.True(t, errors.As(err, &stuck), "%v", err)
	assert.Contains(t, stuck.Cause, `PersistentVolumeClaim data stays Pending (StorageClass absent-class): storageclass.storage.k8s.io "absent-class" not found`)
	assert.Contains(t, stuck.Next, "it has none")
}

func TestDescribeProbe(t *testing.T) {
	t.Parallel()
	c := &corev1.Container{Name: "agent", Ports: []corev1.ContainerPort{{Name: "app", ContainerPort: 7860}, {Name: "health", ContainerPort: 8000}}}
	p := &corev1.Probe{PeriodSeconds: 10, TimeoutSeconds: 3, FailureThreshold: 3}
	p.HTTPGet = &corev1.HTTPGetAction{Path: "/health/ready", Port: intstr.FromString("health")}
	c.ReadinessProbe = p
	d := &appsv1.Deployment{Spec: appsv1.DeploymentSpec{Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: []corev1.Container{*c}}}}}
	d.Spec.Template.Spec.Containers[0].Name = release.AppContainer
	w := release.WorkloadOf(d)
	assert.Equal(t, "GET :8000/health/ready every 10s, timeout 3s, 3 failures (window 30s)", describeProbe(w.Probes[release.Readiness]),
		"a named port shown as its number")
	p.HTTPGet.Port = intstr.FromInt32(8000)
	p.TimeoutSeconds, p.FailureThreshold = 0, 0
	d.Spec.Template.Spec.Containers[0].ReadinessProbe = p
	assert.Equal(t, "GET :8000/health/ready every 10s, timeout 1s, 3 failures (window 30s)", describeProbe(release.WorkloadOf(d).Probes[release.Readiness]),
		"fields left empty are the API's defaults")
}

// An agent image the values already point at a registry for is the user's to publish:
// the install goes on.
func TestAnAgentImageFromTheValuesRegistryIsPulledByTheNodes(t *testing.T) {
	t.Parallel()
	o := Options{Chart: chartDir, Release: "kh", Namespace: "ns", Set: []string{"health.image.registry=127.0.0.1:5000/team"}}
	p, err := Render(o, nil, "v1.34.0")
	require.NoError(t, err)
	var out bytes.Buffer
	require.NoError(t, (&Cluster{}).EnsureImages(context.Background(), p, o, nodeimages.New(&out), &out))
	assert.Contains(t, out.String(), "image 127.0.0.1:5000/team/kotaemon-health:"+pinned(t).Tag+"@"+pinned(t).Digest+": pulled by the nodes")
}
