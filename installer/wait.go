package installer

import (
	"context"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/watch"
)

// StuckError is a release that cannot become Ready by waiting: the cause as the
// cluster tells it, and what to do next.
type StuckError struct {
	Pod   string
	Cause string
	Next  string
}

func (e *StuckError) Error() string {
	return fmt.Sprintf("pod %s will not become Ready: %s.\nNext: %s", e.Pod, e.Cause, e.Next)
}

// imageReasons are the waiting reasons of a container whose image the node cannot get.
var imageReasons = []string{"ErrImagePull", "ImagePullBackOff", "ErrImageNeverPull", "InvalidImageName"}

// waiter follows a workload's pods until the workload is Ready, printing one line per
// change of what a pod shows.
type waiter struct {
	c       *Cluster
	ns      string
	w       Target
	begin   time.Time
	out     io.Writer
	now     func() time.Time
	seen    map[string]*podView
	logTail func(ctx context.Context, pod, container string) string
}

// podView is what was last said about one pod.
type podView struct {
	phase        corev1.PodPhase
	unscheduled  string
	initDone     map[string]bool
	running      bool
	runningSince time.Time
	started      bool
	ready        bool
	restarts     int32
	budgetTenths int
	pendingSince time.Time
}

// WaitReady waits until the workload has all its replicas Ready and updated, or until
// limit has passed since begin, streaming progress to out.
func (c *Cluster) WaitReady(ctx context.Context, ns string, w Target, begin time.Time, limit time.Duration, out io.Writer) error {
	wt := &waiter{c: c, ns: ns, w: w, begin: begin, out: out, now: time.Now, seen: map[string]*podView{}}
	wt.logTail = wt.lastLogLine
	ctx, cancel := context.WithDeadline(ctx, begin.Add(limit))
	defer cancel()
	selector := labels.SelectorFromSet(w.Selector).String()
	tick := time.NewTicker(2 * time.Second)
	defer tick.Stop()
	// The watch wakes the loop on every change of a pod; the ticker moves the budget
	// lines and notices what pods do not show (a Pending claim, the workload's status).
	var wi watch.Interface
	defer func() {
		if wi != nil {
			wi.Stop()
		}
	}()
	var events <-chan watch.Event
	for {
		if events == nil {
			if wi != nil {
				wi.Stop()
			}
			var err error
			if wi, err = c.Client.CoreV1().Pods(ns).Watch(ctx, metav1.ListOptions{LabelSelector: selector}); err == nil {
				events = wi.ResultChan()
			} else {
				wi = nil
			}
		}
		done, err := wt.step(ctx, selector)
		if err != nil || done {
			return err
		}
		select {
		case <-ctx.Done():
			if ctx.Err() == context.DeadlineExceeded {
				return &StuckError{Pod: w.Kind + "/" + w.Name, Cause: fmt.Sprintf("not Ready %s after the install (start-up budget %s)", limit.Round(time.Second), w.Budget()),
					Next: "look at `make status` and `kubectl -n " + ns + " describe pod`; raise the wait with TIMEOUT=10m when a slow image pull is the cause"}
			}
			return ctx.Err()
		case _, ok := <-events:
			if !ok {
				events = nil
			}
		case <-tick.C:
		}
	}
}

// step looks at the pods and the workload once: it reports progress, a stuck pod, or done.
func (wt *waiter) step(ctx context.Context, selector string) (bool, error) {
	if listed, err := wt.reportPods(ctx, selector); !listed || err != nil {
		return false, err
	}
	ready, err := wt.workloadReady(ctx)
	if apierrors.IsNotFound(err) && wt.now().Sub(wt.begin) > 30*time.Second {
		return false, &StuckError{Pod: wt.w.Kind + "/" + wt.w.Name, Cause: "the release's " + wt.w.Kind + " is not in namespace " + wt.ns,
			Next: "helm -n " + wt.ns + " get manifest <release> shows where its objects went"}
	}
	if err != nil || !ready {
		return false, nil
	}
	// The pods may have become Ready between their listing and the workload's read: say
	// so before the workload, so every pod's Ready line comes first.
	if _, err := wt.reportPods(ctx, selector); err != nil {
		return false, err
	}
	wt.say("%s/%s is Ready (%s after the install)", wt.w.Kind, wt.w.Name, wt.now().Sub(wt.begin).Round(time.Second))
	return true, nil
}

// reportPods reports every live pod of the selector; listed is false on a blip of the
// API server (the next tick asks again).
func (wt *waiter) reportPods(ctx context.Context, selector string) (listed bool, err error) {
	pods, err := wt.c.Client.CoreV1().Pods(wt.ns).List(ctx, metav1.ListOptions{LabelSelector: selector})
	if err != nil {
		return false, nil
	}
	sort.Slice(pods.Items, func(i, j int) bool { return pods.Items[i].Name < pods.Items[j].Name })
	for i := range pods.Items {
		p := &pods.Items[i]
		if p.DeletionTimestamp != nil {
			continue
		}
		if err := wt.report(ctx, p); err != nil {
			return true, err
		}
	}
	return true, nil
}

func (wt *waiter) say(format string, args ...any) {
	fmt.Fprintf(wt.out, "[%4ds] %s\n", int(wt.now().Sub(wt.begin).Seconds()), fmt.Sprintf(format, args...))
}

// workloadReady: every desired replica is updated to the current spec and Ready.
func (wt *waiter) workloadReady(ctx context.Context) (bool, error) {
	d, err := wt.c.Client.AppsV1().Deployments(wt.ns).Get(ctx, wt.w.Name, metav1.GetOptions{})
	if err != nil {
		return false, err
	}
	want := int32(1)
	if d.Spec.Replicas != nil {
		want = *d.Spec.Replicas
	}
	return d.Status.ObservedGeneration >= d.Generation && d.Status.UpdatedReplicas == want &&
		d.Status.ReadyReplicas == want && d.Status.Replicas == want, nil
}

// report prints what changed on pod p and returns a StuckError when it cannot get to
// Ready by waiting.
func (wt *waiter) report(ctx context.Context, p *corev1.Pod) error {
	v := wt.seen[p.Name]
	if v == nil {
		v = wt.firstSight(p)
	}
	if p.Status.Phase != v.phase {
		v.phase = p.Status.Phase
		wt.say("pod %s: %s", p.Name, p.Status.Phase)
	}
	if err := wt.scheduling(ctx, p, v); err != nil {
		return err
	}
	for _, s := range p.Status.InitContainerStatuses {
		if t := s.State.Terminated; t != nil && t.ExitCode == 0 && !v.initDone[s.Name] {
			v.initDone[s.Name] = true
			wt.say("pod %s: init container %s done", p.Name, s.Name)
		}
		if err := wt.waiting(ctx, p, s); err != nil {
			return err
		}
	}
	for _, s := range p.Status.ContainerStatuses {
		if err := wt.waiting(ctx, p, s); err != nil {
			return err
		}
		if s.Name == wt.w.probed() || (wt.w.probed() == "" && len(p.Status.ContainerStatuses) == 1) {
			if err := wt.probed(ctx, p, s, v); err != nil {
				return err
			}
		}
	}
	if ready := podReady(p); ready != v.ready {
		v.ready = ready
		if ready {
			wt.say("pod %s: Ready", p.Name)
		} else {
			wt.say("pod %s: not Ready", p.Name)
		}
	}
	return nil
}

// firstSight starts the view of a pod; a pod older than the install (an upgrade that
// changed nothing in it) is described as it is, not replayed from its history.
func (wt *waiter) firstSight(p *corev1.Pod) *podView {
	v := &podView{initDone: map[string]bool{}, pendingSince: wt.now()}
	wt.seen[p.Name] = v
	if p.CreationTimestamp.Time.After(wt.begin.Add(-time.Second)) {
		wt.say("pod %s: created", p.Name)
		return v
	}
	for _, s := range p.Status.InitContainerStatuses {
		v.initDone[s.Name] = true
	}
	for _, s := range p.Status.ContainerStatuses {
		if s.Name != wt.w.probed() {
			continue
		}
		v.restarts = s.RestartCount
		if r := s.State.Running; r != nil {
			v.running, v.runningSince = true, r.StartedAt.Time
			v.started = s.Started != nil && *s.Started
		}
	}
	v.phase, v.ready = p.Status.Phase, podReady(p)
	wt.say("pod %s: running since %s (before this install; %d restarts so far), %s, Ready %v", p.Name,
		p.CreationTimestamp.Local().Format("15:04:05"), v.restarts, p.Status.Phase, v.ready)
	return v
}

// probed follows the container with the startup probe: process started, the start-up
// budget spent, started, restarts.
func (wt *waiter) probed(ctx context.Context, p *corev1.Pod, s corev1.ContainerStatus, v *podView) error {
	if s.RestartCount > v.restarts {
		v.restarts = s.RestartCount
		last := "restarted"
		if t := s.LastTerminationState.Terminated; t != nil {
			last = fmt.Sprintf("exited %d (%s) after %s", t.ExitCode, t.Reason, t.FinishedAt.Sub(t.StartedAt.Time).Round(time.Second))
		}
		wt.say("pod %s: container %s %s; restart %d", p.Name, s.Name, last, s.RestartCount)
		if !v.started && wt.failedStartup(ctx, p) {
			return &StuckError{Pod: p.Name,
				Cause: fmt.Sprintf("start-up did not finish within its budget of %s (startupProbe %d x %ds): the kubelet restarted the container", wt.w.Budget(), wt.w.Startup.FailureThreshold, wt.w.Startup.PeriodSeconds),
				Next:  "measure the start-up (the agent's app_startup_seconds metric; chart README, \"Measuring the start-up\") and raise probes.startup.expectedSeconds in your values file"}
		}
		v.running, v.budgetTenths = false, 0
	}
	if r := s.State.Running; r != nil && !v.running {
		v.running, v.runningSince = true, r.StartedAt.Time
		wt.say("pod %s: app process started (container %s running)", p.Name, s.Name)
	}
	started := s.Started != nil && *s.Started
	if started && !v.started {
		v.started = true
		took := wt.now().Sub(v.runningSince).Round(time.Second)
		if wt.w.Budget() > 0 {
			wt.say("pod %s: start-up done after %s (%d%% of the %s budget)", p.Name, took, int(100*took/wt.w.Budget()), wt.w.Budget())
		} else {
			wt.say("pod %s: started", p.Name)
		}
	}
	if v.running && !v.started && wt.w.Budget() > 0 {
		used := wt.now().Sub(v.runningSince)
		if tenth := int(10 * used / wt.w.Budget()); tenth > v.budgetTenths && tenth < 10 {
			v.budgetTenths = tenth
			wt.say("pod %s: start-up %s of the %s budget used (%d%%)", p.Name, used.Truncate(time.Second), wt.w.Budget(), int(100*used/wt.w.Budget()))
		}
	}
	return nil
}

// waiting turns the waiting reasons no wait can cure into a StuckError.
func (wt *waiter) waiting(ctx context.Context, p *corev1.Pod, s corev1.ContainerStatus) error {
	w := s.State.Waiting
	if w == nil {
		return nil
	}
	switch {
	case slices.Contains(imageReasons, w.Reason):
		return &StuckError{Pod: p.Name, Cause: fmt.Sprintf("the node cannot get the image %s of container %s (%s: %s)", s.Image, s.Name, w.Reason, w.Message),
			Next: "import the image (make load-images IMAGES=image.tar: a docker archive or an OCI layout), or run make demo"}
	case w.Reason == "CrashLoopBackOff":
		line := wt.logTail(ctx, p.Name, s.Name)
		cause := fmt.Sprintf("container %s keeps exiting (CrashLoopBackOff, %d restarts)", s.Name, s.RestartCount)
		if line != "" {
			cause += "; its last log lines:\n" + line
		}
		return &StuckError{Pod: p.Name, Cause: cause,
			Next: "kubectl -n " + wt.ns + " logs " + p.Name + " -c " + s.Name + " --previous; a refused agent configuration names the values key to fix"}
	case w.Reason == "CreateContainerConfigError":
		return &StuckError{Pod: p.Name, Cause: fmt.Sprintf("container %s cannot be created: %s", s.Name, w.Message),
			Next: "create the Secret or ConfigMap it names, or fix the values that reference it"}
	}
	return nil
}

// scheduling reports an unscheduled pod, and stops on a claim that stays Pending.
func (wt *waiter) scheduling(ctx context.Context, p *corev1.Pod, v *podView) error {
	msg := ""
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse {
			msg = c.Message
		}
	}
	if msg != v.unscheduled {
		v.unscheduled = msg
		if msg != "" {
			wt.say("pod %s: not scheduled yet: %s", p.Name, msg)
		}
	}
	if msg == "" {
		return nil
	}
	for _, vol := range p.Spec.Volumes {
		if vol.PersistentVolumeClaim == nil {
			continue
		}
		claim := vol.PersistentVolumeClaim.ClaimName
		pvc, err := wt.c.Client.CoreV1().PersistentVolumeClaims(wt.ns).Get(ctx, claim, metav1.GetOptions{})
		if err != nil || pvc.Status.Phase != corev1.ClaimPending {
			continue
		}
		why := wt.lastWarning(ctx, "PersistentVolumeClaim", claim)
		// A provisioner may take a moment; a claim with a warning that lasts is stuck.
		if why == "" || wt.now().Sub(v.pendingSince) < 20*time.Second {
			continue
		}
		class := "the default StorageClass"
		if sc := pvc.Spec.StorageClassName; sc != nil {
			class = "StorageClass " + *sc
		}
		return &StuckError{Pod: p.Name, Cause: fmt.Sprintf("its PersistentVolumeClaim %s stays Pending (%s): %s", claim, class, why),
			Next: "set persistence.storageClass to a class of this cluster (" + wt.storageClasses(ctx) + "), or persistence.existingClaim to a bound claim"}
	}
	return nil
}

// failedStartup is true when the kubelet says it restarted a container of p for its
// startup probe.
func (wt *waiter) failedStartup(ctx context.Context, p *corev1.Pod) bool {
	evs, err := wt.c.Client.CoreV1().Events(wt.ns).List(ctx, metav1.ListOptions{FieldSelector: "involvedObject.name=" + p.Name})
	if err != nil {
		return false
	}
	for _, e := range evs.Items {
		if strings.Contains(e.Message, "failed startup probe") {
			return true
		}
	}
	return false
}

// lastWarning is the message of the newest Warning event about an object.
func (wt *waiter) lastWarning(ctx context.Context, kind, name string) string {
	evs, err := wt.c.Client.CoreV1().Events(wt.ns).List(ctx, metav1.ListOptions{
		FieldSelector: "involvedObject.kind=" + kind + ",involvedObject.name=" + name + ",type=Warning"})
	if err != nil || len(evs.Items) == 0 {
		return ""
	}
	last := evs.Items[0]
	for _, e := range evs.Items[1:] {
		if e.LastTimestamp.After(last.LastTimestamp.Time) {
			last = e
		}
	}
	return last.Message
}

func (wt *waiter) storageClasses(ctx context.Context) string {
	list, err := wt.c.Client.StorageV1().StorageClasses().List(ctx, metav1.ListOptions{})
	if err != nil || len(list.Items) == 0 {
		return "it has none"
	}
	var names []string
	for _, sc := range list.Items {
		names = append(names, sc.Name)
	}
	return "it has " + strings.Join(names, ", ")
}

// lastLogLine is the last lines the container wrote before its last exit (the app's
// complaint, then the agent's line about the exit), indented, each at most 300 bytes.
func (wt *waiter) lastLogLine(ctx context.Context, pod, container string) string {
	tail := int64(3)
	b, err := wt.c.Client.CoreV1().Pods(wt.ns).GetLogs(pod, &corev1.PodLogOptions{Container: container, Previous: true, TailLines: &tail}).DoRaw(ctx)
	if err != nil || len(strings.TrimSpace(string(b))) == 0 {
		return ""
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	for i, l := range lines {
		if len(l) > 300 {
			l = l[:300] + "..."
		}
		lines[i] = "    " + l
	}
	return strings.Join(lines, "\n")
}

func podReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}
