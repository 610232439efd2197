package demo

import (
	"context"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"kotaemon-k8s/installer"
	"kotaemon-k8s/release"
	"kotaemon-k8s/standin/dependency"
	"kotaemon-k8s/standin/kotaemon"
)

// windows are the rendered probes' failure windows (package release's figures).
type windows struct {
	readiness, liveness, startup time.Duration
}

func windowsOf(w *release.Workload) windows {
	var out windows
	if p := w.Probes[release.Readiness]; p != nil {
		out.readiness = p.FailureWindow()
	}
	if p := w.Probes[release.Liveness]; p != nil {
		out.liveness = p.FailureWindow()
	}
	out.startup = w.StartupBudget()
	return out
}

func (w windows) String() string {
	return fmt.Sprintf("startup budget %s, readiness window %s, liveness window %s", w.startup, w.readiness, w.liveness)
}

// checkWindow is how long a critical check takes to turn a dependency's outage into a
// failing readiness: its failureThreshold (the agent's default, 2) runs, one interval
// apart, each bounded by its timeout.
const checkFailures = 2

func checkWindow() time.Duration {
	return time.Duration(checkFailures*checkInterval+checkTimeout) * time.Second
}

// outage takes the dependency down (NotReady, no restart) and brings it back (Ready).
func (d *Demo) outage(ctx context.Context) error {
	d.step("a dependency outage: the LLM stand-in answers 503; readiness must fail, liveness must not")
	before, err := d.restarts(ctx)
	if err != nil {
		return err
	}
	deps := dependency.NewControlClient(d.proxy(depsName, dependency.DefaultControlPort), d.http)
	t0 := time.Now()
	if _, err := deps.SetMode(ctx, dependency.ModeDown, 0); err != nil {
		return fmt.Errorf("switching the dependency down: %w", err)
	}
	expect := checkWindow() + d.window.readiness
	d.say("[%s] dependency down; expected NotReady within %s (check: %d runs %ds apart + %ds timeout; then the readiness window %s)",
		clock(0), expect, checkFailures, checkInterval, checkTimeout, d.window.readiness)
	if err := d.watchUntil(ctx, t0, expect+30*time.Second, "NotReady", func(p *corev1.Pod) bool { return !ready(p) }); err != nil {
		return err
	}
	if after, err := d.restarts(ctx); err != nil || after != before {
		return fmt.Errorf("the outage restarted the container (restarts %d -> %d): liveness must not depend on a dependency", before, after)
	}
	d.say("[%s] no restart: liveness never looked at the dependency", clock(time.Since(t0)))

	d.step("recovery: the dependency answers again")
	t1 := time.Now()
	if _, err := deps.SetMode(ctx, dependency.ModeUp, 0); err != nil {
		return fmt.Errorf("switching the dependency up: %w", err)
	}
	d.say("[%s] dependency up; expected Ready within about %s (one check run and a readiness period)", clock(0), time.Duration(checkInterval)*time.Second+d.window.readiness)
	return d.watchUntil(ctx, t1, time.Minute, "Ready again", ready)
}

// restartBy switches a fault on the stand-in that liveness must cure by a restart, then
// waits for the pod to be Ready again.
func (d *Demo) restartBy(ctx context.Context, fault kotaemon.Fault, what string) error {
	cure := "liveness must restart the container"
	if fault == kotaemon.FaultCrash {
		cure = "the kubelet restarts it at once (no probe needed)"
	}
	d.step("%s: %s", what, cure)
	before, err := d.restarts(ctx)
	if err != nil {
		return err
	}
	app := kotaemon.NewControlClient(d.proxy(d.pod, kotaemon.DefaultControlPort), d.http)
	t0 := time.Now()
	if _, err := app.SetFault(ctx, fault, 0); err != nil {
		return fmt.Errorf("fault %s: %w", fault, err)
	}
	expect := d.window.liveness
	if fault == kotaemon.FaultCrash {
		expect = 0
		d.say("[%s] fault %s switched on; expected restart at once", clock(0), fault)
	} else {
		d.say("[%s] fault %s switched on; expected restart within the liveness window %s", clock(0), fault, expect)
	}
	if err := d.watchUntil(ctx, t0, expect+time.Minute, "restarted", func(p *corev1.Pod) bool {
		return restarts(p) > before
	}); err != nil {
		return err
	}
	d.step("Ready again: the fresh process starts (%s) and passes its probes", standinStartup)
	return d.watchUntil(ctx, time.Now(), d.window.startup+time.Minute, "Ready again", ready)
}

// watchUntil prints the pod's probe events as they come until cond holds, and says how
// long it took.
func (d *Demo) watchUntil(ctx context.Context, t0 time.Time, limit time.Duration, what string, cond func(*corev1.Pod) bool) error {
	seen := map[string]int32{}
	said := map[string]bool{}
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	for {
		d.printEvents(ctx, t0, seen)
		d.printStateChanges(ctx, t0, said)
		p, err := d.Cluster.Client.CoreV1().Pods(d.Namespace).Get(ctx, d.pod, metav1.GetOptions{})
		if err == nil && cond(p) {
			d.say("[%s] %s", clock(time.Since(t0)), what)
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("not %s within %s", what, limit)
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// printEvents prints the kubelet's events about the pod since t0 (probe failures,
// kills), each once.
func (d *Demo) printEvents(ctx context.Context, t0 time.Time, seen map[string]int32) {
	evs, err := d.Cluster.Client.CoreV1().Events(d.Namespace).List(ctx, metav1.ListOptions{FieldSelector: "involvedObject.name=" + d.pod})
	if err != nil {
		return
	}
	for _, e := range evs.Items {
		at := e.LastTimestamp.Time
		if e.Series != nil {
			at = e.Series.LastObservedTime.Time
		}
		if at.IsZero() {
			at = e.EventTime.Time
		}
		if at.Before(t0.Truncate(time.Second)) || seen[string(e.UID)] == e.Count {
			continue
		}
		seen[string(e.UID)] = e.Count
		msg := strings.TrimSpace(e.Message)
		if len(msg) > 140 {
			msg = msg[:140] + "..."
		}
		d.say("[%s]   kubelet: %s: %s", clock(at.Sub(t0)), e.Reason, msg)
	}
}

// printStateChanges prints what the health agent saw since t0 (its "state change"
// lines: the app's routes, the dependency check), each once. The kubelet's own events
// are rate-limited per object and stop showing after a few dozen; the agent's lines are
// what its probes answered from.
func (d *Demo) printStateChanges(ctx context.Context, t0 time.Time, said map[string]bool) {
	p, err := d.Cluster.Client.CoreV1().Pods(d.Namespace).Get(ctx, d.pod, metav1.GetOptions{})
	if err != nil {
		return
	}
	for _, ch := range installer.StateChanges(ctx, d.Cluster.Client, p, t0) {
		key := ch.Time.String() + ch.String()
		if said[key] || ch.Time.Before(t0) {
			continue
		}
		said[key] = true
		d.say("[%s]   agent: %s", clock(ch.Time.Sub(t0)), ch)
	}
}

func (d *Demo) restarts(ctx context.Context) (int32, error) {
	p, err := d.Cluster.Client.CoreV1().Pods(d.Namespace).Get(ctx, d.pod, metav1.GetOptions{})
	if err != nil {
		return 0, err
	}
	return restarts(p), nil
}

func restarts(p *corev1.Pod) int32 {
	var n int32
	for _, s := range p.Status.ContainerStatuses {
		n += s.RestartCount
	}
	return n
}

// until polls cond every half second for at most limit.
func (d *Demo) until(ctx context.Context, limit time.Duration, what string, cond func(context.Context) (bool, error)) error {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	for {
		ok, err := cond(ctx)
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waited %s for %s", limit, what)
		case <-time.After(500 * time.Millisecond):
		}
	}
}

func clock(d time.Duration) string { return fmt.Sprintf("%5.1fs", max(d, 0).Seconds()) }
