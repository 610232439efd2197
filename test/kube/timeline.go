package kube

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/tools/cache"
)

// ArtifactsEnv names the directory the suites write their artifacts to: timelines in
// timelines/, benchmark results in bench/ (default: .cache/artifacts under the module
// root, git-ignored).
const ArtifactsEnv = "KOTAEMON_ARTIFACTS"

// Entry is one thing the cluster showed (or the test did), at the time the test saw it.
type Entry struct {
	At     time.Time `json:"at"`
	Source string    `json:"source"` // pod, container, endpoint, event, test
	What   string    `json:"what"`   // e.g. ready, not-ready, started, restarted, endpoint-ready, Unhealthy
	Object string    `json:"object,omitempty"`
	Detail string    `json:"detail,omitempty"`
}

// Timeline records one scenario: pod and container transitions, endpoint readiness,
// the kubelet's events (probe failures, kills) and the test's own marks, with the
// configured probe windows, so a reader (or a picture) can set what happened against
// the bound the test proved. It is written as JSON when the test ends.
type Timeline struct {
	Scenario string             `json:"scenario"`
	Started  time.Time          `json:"started"`
	Windows  map[string]float64 `json:"windows,omitempty"` // seconds: startupBudget, readinessWindow, livenessWindow...
	Entries  []Entry            `json:"entries"`

	mu   sync.Mutex
	last map[string]string // source/object/aspect -> last value, to record changes only
}

// Record starts a timeline of namespace ns; it stops and is written to the artifacts
// directory when t ends.
func (c *Cluster) Record(t testing.TB, ns string) *Timeline {
	t.Helper()
	tl := &Timeline{Scenario: t.Name(), Started: time.Now(), last: map[string]string{}}
	factory := informers.NewSharedInformerFactoryWithOptions(c.Client, 0, informers.WithNamespace(ns))
	handler := func(on func(obj any)) cache.ResourceEventHandlerFuncs {
		return cache.ResourceEventHandlerFuncs{AddFunc: on, UpdateFunc: func(_, obj any) { on(obj) }}
	}
	_, _ = factory.Core().V1().Pods().Informer().AddEventHandler(handler(func(obj any) {
		if p, ok := obj.(*corev1.Pod); ok {
			tl.pod(p)
		}
	}))
	_, _ = factory.Discovery().V1().EndpointSlices().Informer().AddEventHandler(handler(func(obj any) {
		if s, ok := obj.(*discoveryv1.EndpointSlice); ok {
			tl.slice(s)
		}
	}))
	_, _ = factory.Core().V1().Events().Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{AddFunc: func(obj any) {
		if e, ok := obj.(*corev1.Event); ok {
			tl.event(e)
		}
	}, UpdateFunc: func(_, obj any) {
		if e, ok := obj.(*corev1.Event); ok {
			tl.event(e)
		}
	}})
	stop := make(chan struct{})
	factory.Start(stop)
	factory.WaitForCacheSync(stop)
	t.Cleanup(func() {
		close(stop)
		factory.Shutdown()
		if t.Failed() {
			// CI keeps the test's output, not the artifacts: the tail says where the time went.
			t.Logf("the timeline's last %d entries, seconds since the start:\n%s", failureTail, tl.Tail(failureTail))
		}
		if err := tl.write(); err != nil {
			t.Logf("timeline not written: %v", err)
		}
	})
	return tl
}

// Mark records something the test did (a fault switched, an upgrade started).
func (tl *Timeline) Mark(what, detail string) time.Time {
	return tl.MarkAt(time.Now(), what, "", detail)
}

// MarkAt records something the test learned happened to object (a pod) at a time of its
// own clock: the app answering for the first time, read from the stand-in afterwards.
func (tl *Timeline) MarkAt(at time.Time, what, object, detail string) time.Time {
	tl.add(Entry{At: at, Source: "test", What: what, Object: object, Detail: detail})
	return at
}

// SetWindow records a configured window (seconds) under name.
func (tl *Timeline) SetWindow(name string, seconds float64) {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	if tl.Windows == nil {
		tl.Windows = map[string]float64{}
	}
	tl.Windows[name] = seconds
}

// failureTail is how many entries a failed scenario prints.
const failureTail = 40

// Tail is the last n entries in time order, one per line, each at seconds since Started.
func (tl *Timeline) Tail(n int) string {
	tl.mu.Lock()
	es := append([]Entry(nil), tl.Entries...)
	tl.mu.Unlock()
	sort.SliceStable(es, func(i, j int) bool { return es[i].At.Before(es[j].At) })
	if len(es) > n {
		es = es[len(es)-n:]
	}
	var b strings.Builder
	for _, e := range es {
		fmt.Fprintf(&b, "%8.2f %-9s %-18s %s %s\n", e.At.Sub(tl.Started).Seconds(), e.Source, e.What, e.Object, e.Detail)
	}
	return b.String()
}

// Find returns the entries of a source and what (and object, when not empty) since t0.
func (tl *Timeline) Find(source, what, object string, since time.Time) []Entry {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	var out []Entry
	for _, e := range tl.Entries {
		if e.Source == source && e.What == what && (object == "" || e.Object == object) && !e.At.Before(since) {
			out = append(out, e)
		}
	}
	return out
}

func (tl *Timeline) add(e Entry) {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	tl.Entries = append(tl.Entries, e)
}

// change records what when the aspect's value differs from the last one seen (the first
// value seen counts as a change).
func (tl *Timeline) change(source, object, aspect, value, what, detail string) {
	tl.changeAfter(true, source, object, aspect, value, what, detail)
}

// changeAfter is change; with first false, the first value seen is only remembered (a
// restart count of 0 is not a restart).
func (tl *Timeline) changeAfter(first bool, source, object, aspect, value, what, detail string) {
	key := source + "/" + object + "/" + aspect
	tl.mu.Lock()
	old, seen := tl.last[key]
	tl.last[key] = value
	tl.mu.Unlock()
	if seen && old == value || !seen && !first {
		return
	}
	tl.add(Entry{At: time.Now(), Source: source, What: what, Object: object, Detail: detail})
}

func (tl *Timeline) pod(p *corev1.Pod) {
	ready := "false"
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue {
			ready = "true"
		}
	}
	tl.change("pod", p.Name, "phase", string(p.Status.Phase), "phase", string(p.Status.Phase))
	tl.change("pod", p.Name, "ready", ready, map[string]string{"true": "ready", "false": "not-ready"}[ready], "")
	if p.DeletionTimestamp != nil {
		tl.change("pod", p.Name, "deleting", "true", "deleting", "")
	}
	for _, s := range append(append([]corev1.ContainerStatus{}, p.Status.InitContainerStatuses...), p.Status.ContainerStatuses...) {
		obj := p.Name + "/" + s.Name
		tl.changeAfter(s.RestartCount > 0, "container", obj, "restarts", fmt.Sprint(s.RestartCount), "restarted", fmt.Sprintf("restartCount=%d", s.RestartCount))
		state, detail := "waiting", ""
		switch {
		case s.State.Running != nil:
			state, detail = "running", "started "+s.State.Running.StartedAt.UTC().Format(time.RFC3339)
		case s.State.Terminated != nil:
			t := s.State.Terminated
			state, detail = "terminated", fmt.Sprintf("exit %d (%s)", t.ExitCode, t.Reason)
		case s.State.Waiting != nil:
			detail = s.State.Waiting.Reason
		}
		tl.change("container", obj, "state", state+detail, state, detail)
		tl.change("container", obj, "ready", fmt.Sprint(s.Ready), map[bool]string{true: "ready", false: "not-ready"}[s.Ready], "")
	}
}

func (tl *Timeline) slice(s *discoveryv1.EndpointSlice) {
	svc := s.Labels[discoveryv1.LabelServiceName]
	for _, e := range s.Endpoints {
		ready := e.Conditions.Ready != nil && *e.Conditions.Ready
		who := strings.Join(e.Addresses, ",")
		if e.TargetRef != nil {
			who = e.TargetRef.Name
		}
		tl.change("endpoint", svc+"/"+who, "ready", fmt.Sprint(ready), map[bool]string{true: "endpoint-ready", false: "endpoint-not-ready"}[ready], "")
	}
}

// spaceRE squeezes an event message onto one line.
var spaceRE = regexp.MustCompile(`\s+`)

// event records each new event and each repeat of one (the kubelet counts repeated
// probe failures on one event instead of creating new ones).
func (tl *Timeline) event(e *corev1.Event) {
	obj := e.InvolvedObject.Name
	if e.InvolvedObject.FieldPath != "" {
		obj += "/" + e.InvolvedObject.FieldPath
	}
	tl.change("event", string(e.UID), "count", fmt.Sprint(e.Count, e.Series != nil && e.Series.Count > 0),
		e.Reason, obj+": "+spaceRE.ReplaceAllString(e.Message, " "))
}

// ArtifactsDir is the directory of one kind of artifact (timelines, bench) under
// $KOTAEMON_ARTIFACTS, or under .cache/artifacts of the module root.
func ArtifactsDir(kind string) string {
	if d := os.Getenv(ArtifactsEnv); d != "" {
		return filepath.Join(d, kind)
	}
	dir, _ := os.Getwd()
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return filepath.Join(d, ".cache", "artifacts", kind)
		}
		if filepath.Dir(d) == d {
			return filepath.Join(dir, "artifacts", kind)
		}
	}
}

func (tl *Timeline) write() error {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	sort.SliceStable(tl.Entries, func(i, j int) bool { return tl.Entries[i].At.Before(tl.Entries[j].At) })
	b, err := json.MarshalIndent(tl, "", "  ")
	if err != nil {
		return err
	}
	dir := ArtifactsDir("timelines")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	name := strings.NewReplacer("/", "__", " ", "_").Replace(tl.Scenario) + ".json"
	return os.WriteFile(filepath.Join(dir, name), b, 0o644)
}
