package kube

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// DiagnoseOnFailure prints, when t fails, what a person would look at: every pod of ns
// with its conditions and container states, the namespace's events in order, and the
// current and previous logs of every container. Register it after the namespace, so it
// runs before the namespace is deleted.
func (c *Cluster) DiagnoseOnFailure(t testing.TB, ns string) {
	t.Helper()
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		t.Log(c.Diagnose(ctx, ns))
	})
}

// logTail bounds the logs printed per container.
const logTail = 60

// Diagnose describes the pods, events and logs of ns as text.
func (c *Cluster) Diagnose(ctx context.Context, ns string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "\n===== diagnosis of namespace %s =====\n", ns)
	pods, err := c.Client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		fmt.Fprintf(&b, "listing pods: %v\n", err)
	}
	if pods != nil {
		for _, p := range pods.Items {
			describePod(&b, &p)
		}
	}
	events, err := c.Client.CoreV1().Events(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		fmt.Fprintf(&b, "listing events: %v\n", err)
	}
	if events != nil {
		sort.Slice(events.Items, func(i, j int) bool {
			return eventTime(&events.Items[i]).Before(eventTime(&events.Items[j]))
		})
		b.WriteString("--- events\n")
		for _, e := range events.Items {
			fmt.Fprintf(&b, "%s %-8s %-20s %s/%s x%d: %s\n", eventTime(&e).Format("15:04:05"), e.Type, e.Reason,
				e.InvolvedObject.Name, e.InvolvedObject.FieldPath, e.Count, strings.TrimSpace(e.Message))
		}
	}
	if pods != nil {
		for _, p := range pods.Items {
			for _, ctr := range append(append([]corev1.Container{}, p.Spec.InitContainers...), p.Spec.Containers...) {
				for _, previous := range []bool{false, true} {
					n := int64(logTail)
					out, err := c.Client.CoreV1().Pods(ns).GetLogs(p.Name, &corev1.PodLogOptions{
						Container: ctr.Name, Previous: previous, TailLines: &n}).DoRaw(ctx)
					if err != nil {
						continue // no previous instance, or not started
					}
					fmt.Fprintf(&b, "--- logs %s/%s (previous=%v, last %d lines)\n%s\n", p.Name, ctr.Name, previous, logTail, strings.TrimSpace(string(out)))
				}
			}
		}
	}
	return b.String()
}

func describePod(b *strings.Builder, p *corev1.Pod) {
	fmt.Fprintf(b, "--- pod %s: phase %s, node %s, ip %s\n", p.Name, p.Status.Phase, p.Spec.NodeName, p.Status.PodIP)
	for _, c := range p.Status.Conditions {
		fmt.Fprintf(b, "  condition %s=%s since %s %s\n", c.Type, c.Status, c.LastTransitionTime.Format("15:04:05"), c.Message)
	}
	for _, s := range append(append([]corev1.ContainerStatus{}, p.Status.InitContainerStatuses...), p.Status.ContainerStatuses...) {
		fmt.Fprintf(b, "  container %s: ready=%v restarts=%d state=%s last=%s\n", s.Name, s.Ready, s.RestartCount, stateText(s.State), stateText(s.LastTerminationState))
	}
}

func stateText(s corev1.ContainerState) string {
	switch {
	case s.Running != nil:
		return "running since " + s.Running.StartedAt.Format("15:04:05")
	case s.Waiting != nil:
		return "waiting (" + s.Waiting.Reason + ": " + s.Waiting.Message + ")"
	case s.Terminated != nil:
		return fmt.Sprintf("terminated (exit %d, %s, %s)", s.Terminated.ExitCode, s.Terminated.Reason, s.Terminated.Message)
	}
	return "-"
}

func eventTime(e *corev1.Event) time.Time {
	switch {
	case !e.LastTimestamp.IsZero():
		return e.LastTimestamp.Time
	case !e.EventTime.IsZero():
		return e.EventTime.Time
	}
	return e.CreationTimestamp.Time
}
