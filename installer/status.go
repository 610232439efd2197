package installer

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"helm.sh/helm/v3/pkg/action"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"kotaemon-k8s/release"
)

// Status writes the release, its pods, their probes and the agent's last state changes.
func (c *Cluster) Status(ctx context.Context, namespace, name string, out io.Writer) error {
	cfg, err := c.helmConfig(namespace)
	if err != nil {
		return err
	}
	rel, err := action.NewStatus(cfg).Run(name)
	if err != nil {
		return fmt.Errorf("release %s in namespace %s: %w", name, namespace, err)
	}
	fmt.Fprintf(out, "release %s: revision %d, %s (chart %s, app %s), updated %s\n", rel.Name, rel.Version, rel.Info.Status,
		rel.Chart.Metadata.Version, rel.Chart.Metadata.AppVersion, rel.Info.LastDeployed.Format("2006-01-02 15:04:05 MST"))
	podNamespace := namespace
	if ov, _ := rel.Config["namespaceOverride"].(string); ov != "" {
		podNamespace = ov // the chart put its objects there
	}
	selector := "app.kubernetes.io/instance=" + name + ",app.kubernetes.io/component=app"
	deps, err := c.Client.AppsV1().Deployments(podNamespace).List(ctx, metav1.ListOptions{LabelSelector: selector})
	if err != nil {
		return err
	}
	for i := range deps.Items {
		if w := release.WorkloadOf(&deps.Items[i]); w != nil {
			for _, kind := range release.Kinds {
				if p := w.Probes[kind]; p != nil {
					fmt.Fprintf(out, "%-9s probe on %s: %s\n", kind, p.Container.Name, describeProbe(p))
				}
			}
		}
	}
	pods, err := c.Client.CoreV1().Pods(podNamespace).List(ctx, metav1.ListOptions{LabelSelector: selector})
	if err != nil {
		return err
	}
	if len(pods.Items) == 0 {
		fmt.Fprintln(out, "no pods")
	}
	for i := range pods.Items {
		p := &pods.Items[i]
		fmt.Fprintf(out, "\npod %s: %s, Ready %v\n", p.Name, p.Status.Phase, podReady(p))
		for _, s := range append(append([]corev1.ContainerStatus{}, p.Status.InitContainerStatuses...), p.Status.ContainerStatuses...) {
			fmt.Fprintf(out, "  container %s: %s, restarts %d\n", s.Name, containerState(s), s.RestartCount)
		}
		changes := StateChanges(ctx, c.Client, p, time.Time{})
		if len(changes) > 5 {
			changes = changes[len(changes)-5:]
		}
		if len(changes) > 0 {
			fmt.Fprintln(out, "  last state changes of the health agent:")
			for _, ch := range changes {
				fmt.Fprintf(out, "    %s %s\n", ch.Time.Local().Format("15:04:05"), ch)
			}
		}
	}
	return nil
}

func containerState(s corev1.ContainerStatus) string {
	switch {
	case s.State.Running != nil:
		started := ""
		if s.Started != nil && *s.Started {
			started = ", started"
		}
		return "running since " + s.State.Running.StartedAt.Format("15:04:05") + started
	case s.State.Waiting != nil:
		return "waiting (" + s.State.Waiting.Reason + ")"
	case s.State.Terminated != nil:
		return fmt.Sprintf("terminated (%s, exit %d)", s.State.Terminated.Reason, s.State.Terminated.ExitCode)
	}
	return "unknown"
}

// describeProbe is "GET :8000/health/ready every 10s, timeout 3s, 3 failures (window
// 30s)", the port resolved to its number.
func describeProbe(p *release.Probe) string {
	what := "exec"
	switch {
	case p.HTTPGet != nil:
		what = fmt.Sprintf("GET :%d%s", p.Port, p.Path)
	case p.TCPSocket != nil:
		what = fmt.Sprintf("TCP :%d", p.Port)
	case p.GRPC != nil:
		what = fmt.Sprintf("gRPC :%d", p.Port)
	}
	return fmt.Sprintf("%s every %s, timeout %s, %d failures (window %s)", what, p.Period(), p.Timeout(), p.FailureThreshold, p.FailureWindow())
}

// StateChange is one "state change" line of the health agent.
type StateChange struct {
	Time                        time.Time
	Component, From, To, Reason string
}

func (c StateChange) String() string {
	return fmt.Sprintf("%s: %s -> %s (%s)", c.Component, c.From, c.To, c.Reason)
}

// StateChanges are the "state change" lines the health agent logged in the pod's
// containers since since (zero: the last 500 lines of each), oldest first.
func StateChanges(ctx context.Context, cs kubernetes.Interface, p *corev1.Pod, since time.Time) []StateChange {
	var all []StateChange
	for _, ct := range p.Spec.Containers {
		opts := &corev1.PodLogOptions{Container: ct.Name}
		if since.IsZero() {
			tail := int64(500)
			opts.TailLines = &tail
		} else {
			opts.SinceTime = &metav1.Time{Time: since}
		}
		b, err := cs.CoreV1().Pods(p.Namespace).GetLogs(p.Name, opts).DoRaw(ctx)
		if err != nil {
			continue
		}
		for _, l := range strings.Split(string(b), "\n") {
			var m struct {
				Time      time.Time `json:"time"`
				Msg       string    `json:"msg"`
				Component string    `json:"component"`
				Route     string    `json:"route"`
				From, To  string
				Reason    string `json:"reason"`
			}
			if json.Unmarshal([]byte(l), &m) != nil || m.Msg != "state change" {
				continue
			}
			comp := m.Component
			if m.Route != "" {
				comp += " " + m.Route
			}
			all = append(all, StateChange{Time: m.Time, Component: comp, From: m.From, To: m.To, Reason: m.Reason})
		}
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].Time.Before(all[j].Time) })
	return all
}
