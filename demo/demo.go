// Package demo shows the chart's probes at work without the Kotaemon image and without
// a network: it installs the chart with the Kotaemon stand-in (standin/kotaemon, a
// small program that starts slowly, answers like Kotaemon's Gradio server and takes
// faults on a control port) and a dependency stand-in behind a critical readiness check,
// then plays a short script and prints what the kubelet's probes saw and when, against
// the windows the chart configured.
package demo

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/yaml"

	"kotaemon-k8s/installer"
	"kotaemon-k8s/nodeimages"
	"kotaemon-k8s/ociimage"
	"kotaemon-k8s/standin"
	"kotaemon-k8s/standin/dependency"
	"kotaemon-k8s/standin/kotaemon"
)

// Timings of the demo: short, lawful (every chart guard holds), and each stated once.
const (
	standinStartup  = 20 * time.Second // the stand-in keeps its port closed this long
	expectedStartup = 20               // probes.startup.expectedSeconds (x 1.5 safety)
	checkInterval   = 2                // the critical check's intervalSeconds
	checkTimeout    = 1
	depsName        = "deps"
	depsPort        = 8080
	model           = "llama3.1:8b"
)

// Steps of the script, in the order they play.
var Steps = []string{"slow-start", "outage", "deadlock", "crash"}

// Demo is one run of the script.
type Demo struct {
	Cluster   *installer.Cluster
	Out       io.Writer
	Chart     string // the chart's directory
	Module    string // a directory of this module, where the stand-ins are built
	Images    string // `make image`'s output (the agent's archive)
	Namespace string
	Release   string

	pod    string
	http   *http.Client
	plan   *installer.Plan
	window windows
}

// Run installs the stand-in release and plays the steps (nil: all of them).
func (d *Demo) Run(ctx context.Context, steps []string) error {
	for _, s := range steps {
		if !contains(Steps, s) {
			return fmt.Errorf("FAULT=%s: want one of %s", s, strings.Join(Steps, ", "))
		}
	}
	if len(steps) == 0 {
		steps = Steps
	}
	hc, err := rest.HTTPClientFor(d.Cluster.Config)
	if err != nil {
		return err
	}
	d.http = hc
	d.say("This demo runs the chart with the KOTAEMON STAND-IN (%s), not Kotaemon: a small program of this repository that starts in %s and takes faults on request. Nothing is pulled from a network.",
		standin.Image.Ref, standinStartup)
	if err := d.loadStandins(); err != nil {
		return err
	}
	if err := d.startDependency(ctx); err != nil {
		return err
	}
	if err := d.removePrevious(ctx); err != nil {
		return err
	}
	d.step("slow start: the app's port stays closed for %s; the startup probe holds the other probes off", standinStartup)
	if err := d.install(ctx); err != nil {
		return err
	}
	for _, s := range steps {
		var err error
		switch s {
		case "slow-start": // played by the install
		case "outage":
			err = d.outage(ctx)
		case "deadlock":
			err = d.restartBy(ctx, kotaemon.FaultDeadlock, "a deadlock: the process runs, /app_id never answers")
		case "crash":
			err = d.restartBy(ctx, kotaemon.FaultCrash, "a crash: the process exits, the container with it")
		}
		if err != nil {
			return err
		}
	}
	d.say("Done: every step behaved as the probes' windows say. Remove it with: make uninstall NAMESPACE=%s RELEASE=%s", d.Namespace, d.Release)
	return nil
}

func contains(list []string, s string) bool {
	for _, l := range list {
		if l == s {
			return true
		}
	}
	return false
}

func (d *Demo) say(format string, args ...any) { fmt.Fprintf(d.Out, format+"\n", args...) }

func (d *Demo) step(format string, args ...any) {
	fmt.Fprintf(d.Out, "\n== "+format+"\n", args...)
}

// loadStandins builds the two stand-ins' images and loads them into the nodes.
func (d *Demo) loadStandins() error {
	dir, err := os.MkdirTemp("", "kotaemon-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	for _, p := range []ociimage.Program{standin.Image} {
		if has, err := d.Cluster.Nodes.Has(p.Ref); err == nil && has {
			continue
		}
		tar := filepath.Join(dir, filepath.Base(p.Path)+".tar")
		if err := ociimage.WriteProgramTar(d.Module, p, tar); err != nil {
			return fmt.Errorf("building %s: %w", p.Ref, err)
		}
		if err := d.Cluster.Nodes.Load(tar); err != nil {
			return err
		}
		d.say("image %s: built and loaded", p.Ref)
	}
	return nil
}

// startDependency runs the dependency stand-in (as Ollama) in the demo's namespace.
func (d *Demo) startDependency(ctx context.Context) error {
	cs := d.Cluster.Client
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: d.Namespace}}
	if _, err := cs.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil && !isExists(err) {
		return err
	}
	pod, svc := dependency.Manifests(depsName, standin.Image.Ref, depsPort, model)
	pod.Spec.Containers[0].ImagePullPolicy = corev1.PullNever
	if _, err := cs.CoreV1().Pods(d.Namespace).Create(ctx, pod, metav1.CreateOptions{}); err != nil && !isExists(err) {
		return err
	}
	if _, err := cs.CoreV1().Services(d.Namespace).Create(ctx, svc, metav1.CreateOptions{}); err != nil && !isExists(err) {
		return err
	}
	d.say("dependency stand-in %s (answers as Ollama with %s): starting", depsName, model)
	return d.until(ctx, time.Minute, "the dependency stand-in to be Ready", func(ctx context.Context) (bool, error) {
		p, err := cs.CoreV1().Pods(d.Namespace).Get(ctx, depsName, metav1.GetOptions{})
		return err == nil && ready(p), nil
	})
}

// removePrevious uninstalls the release of an earlier demo and waits for its pods to
// go, so that the slow start plays again from the beginning.
func (d *Demo) removePrevious(ctx context.Context) error {
	if err := d.Cluster.Uninstall(d.Namespace, d.Release, io.Discard); err != nil {
		return nil // none there
	}
	d.say("removed the release of an earlier demo")
	sel := "app.kubernetes.io/instance=" + d.Release + ",app.kubernetes.io/component=app"
	return d.until(ctx, time.Minute, "the earlier demo's pods to go", func(ctx context.Context) (bool, error) {
		list, err := d.Cluster.Client.CoreV1().Pods(d.Namespace).List(ctx, metav1.ListOptions{LabelSelector: sel})
		return err == nil && len(list.Items) == 0, nil
	})
}

// values are the demo's values: the stand-in in place of Kotaemon, short windows, and a
// critical check on the dependency stand-in.
func (d *Demo) values() map[string]any {
	repo, tag, _ := strings.Cut(standin.Image.Ref, ":")
	return map[string]any{
		"image": map[string]any{"repository": repo, "tag": tag},
		"kotaemon": map[string]any{
			"command": []any{standin.Python, fmt.Sprintf("--startup=%ds", int(standinStartup.Seconds()))},
			"resources": map[string]any{
				"requests": map[string]any{"cpu": "10m", "memory": "32Mi"},
				"limits":   map[string]any{"memory": "256Mi"},
			},
		},
		"terminationGracePeriodSeconds": 15,
		"probes": map[string]any{
			"startup":   map[string]any{"expectedSeconds": expectedStartup, "safetyFactor": 1.5, "periodSeconds": 2, "timeoutSeconds": 2},
			"readiness": map[string]any{"periodSeconds": 3, "timeoutSeconds": 3, "failureThreshold": 3},
			"liveness":  map[string]any{"periodSeconds": 3, "timeoutSeconds": 3, "failureThreshold": 3},
		},
		"health": map[string]any{
			"shutdown": map[string]any{"drainDelaySeconds": 2, "answersTimeoutSeconds": 3, "stopTimeoutSeconds": 8},
			"checks": []any{map[string]any{
				"name": "llm", "type": "ollama", "critical": true, "model": model,
				"url":             fmt.Sprintf("http://%s.%s.svc.cluster.local:%d", depsName, d.Namespace, depsPort),
				"intervalSeconds": checkInterval, "timeoutSeconds": checkTimeout,
			}},
		},
	}
}

// install installs the release and waits until it is Ready, with the installer's
// progress lines.
func (d *Demo) install(ctx context.Context) error {
	b, err := yaml.Marshal(d.values())
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "kotaemon-demo-values-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	file := filepath.Join(dir, "demo.yaml")
	if err := os.WriteFile(file, b, 0o644); err != nil {
		return err
	}
	o := installer.Options{Chart: d.Chart, Release: d.Release, Namespace: d.Namespace, ValuesFiles: []string{file}, Images: d.Images, Timeout: 3 * time.Minute}
	plan, err := d.Cluster.Install(ctx, o, nodeimages.New(d.Out), d.Out)
	if err != nil {
		return err
	}
	d.plan = plan
	d.window = windowsOf(plan.Workload)
	pod, err := d.currentPod(ctx)
	if err != nil {
		return err
	}
	d.pod = pod.Name
	d.say("windows: %s", d.window)
	return nil
}

// currentPod is the release's running pod.
func (d *Demo) currentPod(ctx context.Context) (*corev1.Pod, error) {
	sel := labels.SelectorFromSet(d.plan.Target.Selector).String()
	list, err := d.Cluster.Client.CoreV1().Pods(d.Namespace).List(ctx, metav1.ListOptions{LabelSelector: sel})
	if err != nil {
		return nil, err
	}
	for i := range list.Items {
		if list.Items[i].DeletionTimestamp == nil {
			return &list.Items[i], nil
		}
	}
	return nil, fmt.Errorf("no pod of %s/%s", d.plan.Target.Kind, d.plan.Target.Name)
}

// proxy is the base URL of a pod's port through the API server.
func (d *Demo) proxy(pod string, port int) string {
	return fmt.Sprintf("%s/api/v1/namespaces/%s/pods/%s:%d/proxy", strings.TrimSuffix(d.Cluster.Config.Host, "/"), d.Namespace, pod, port)
}

func ready(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

func isExists(err error) bool { return apierrors.IsAlreadyExists(err) }
