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
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
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
	pods, err := c.Client.CoreV1().Pods(podNamespace).List(ctx, metav1.ListOptions{
		LabelSelector: "app.kubernetes.io/instance=" + name + ",app.kubernetes.io/component=app"})
	if err != nil {
		return err
	}
	if len(pods.Items) == 0 {
		fmt.Fprintln(out, "no pods")
	}
	for i := range pods.Items {
		p := &pods.Items[i]
		fmt.Fprintf(out, "\npod %s: %s, Ready %v\n", p.Name, p.Status.Phase, podReady(p))
		for _, s := range p.Status.ContainerStatuses {
			fmt.Fprintf(out, "  container %s: %s, restarts %d\n", s.Name, containerState(s), s.RestartCount)
		}
		for _, ct := range p.Spec.Containers {
			for _, pr := range []struct {
				kind  string
				probe *corev1.Probe
			}{{"startup", ct.StartupProbe}, {"readiness", ct.ReadinessProbe}, {"liveness", ct.LivenessProbe}} {
				if pr.probe != nil {
					fmt.Fprintf(out, "  %-9s probe on %s: %s\n", pr.kind, ct.Name, describeProbe(pr.probe, ct.Ports))
				}
			}
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
// 30s)"; a named port is shown as its number (ports: the container's).
func describeProbe(p *corev1.Probe, ports []corev1.ContainerPort) string {
	port := func(v intstr.IntOrString) string {
		for _, cp := range ports {
			if v.Type == intstr.String && cp.Name == v.StrVal {
				return fmt.Sprint(cp.ContainerPort)
			}
		}
		return v.String()
	}
	what := "exec"
	switch {
	case p.HTTPGet != nil:
		what = fmt.Sprintf("GET :%s%s", port(p.HTTPGet.Port), p.HTTPGet.Path)
	case p.TCPSocket != nil:
		what = "TCP :" + port(p.TCPSocket.Port)
	case p.GRPC != nil:
		what = fmt.Sprintf("gRPC :%d", p.GRPC.Port)
	}
	period, fails := max(p.PeriodSeconds, 1), max(p.FailureThreshold, 1)
	return fmt.Sprintf("%s every %ds, timeout %ds, %d failures (window %ds)", what, period, max(p.TimeoutSeconds, 1), fails, period*fails)
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
