package advise

import (
	"fmt"
	"io"
	"time"

	"kotaemon-k8s/release"
)

// Figures are what a release's probes mean for its user, read from the rendered workload
// (package release computes every bound; nothing is re-derived here).
type Figures struct {
	StartupBudget  time.Duration // startup window: the slowest start not restarted
	ReadyLag       time.Duration // worst covered start to Ready (PI-16's sum)
	DeadlockDetect time.Duration // a hung app to the kubelet's restart decision: liveness ToFail
	LivenessWindow time.Duration // periodSeconds x failureThreshold: the longest tolerated stall
}

// FiguresOf reads the figures of a rendered workload.
func FiguresOf(w *release.Workload) Figures {
	f := Figures{StartupBudget: w.StartupBudget()}
	f.ReadyLag, _ = w.WorstStartToReady()
	if l := w.Probes[release.Liveness]; l != nil {
		f.DeadlockDetect = l.ToFail()
		f.LivenessWindow = l.FailureWindow()
	}
	return f
}

// Report prints before and after side by side, and what the longest stall seen means
// for each.
func Report(out io.Writer, before, after Figures, a *Advice) {
	row := func(name string, b, f time.Duration) {
		fmt.Fprintf(out, "  %-46s %10s %10s\n", name, b, f)
	}
	fmt.Fprintf(out, "  %-46s %10s %10s\n", "", "now", "advised")
	row("startup budget (slowest start not restarted)", before.StartupBudget, after.StartupBudget)
	row("worst-case ready lag of a covered start", before.ReadyLag, after.ReadyLag)
	row("time to detect a deadlock (liveness)", before.DeadlockDetect, after.DeadlockDetect)
	row("liveness window (longest stall tolerated)", before.LivenessWindow, after.LivenessWindow)
	if a.Stalls.N > 0 {
		longest := time.Duration(a.Stalls.Max * float64(time.Second)).Round(100 * time.Millisecond)
		fmt.Fprintf(out, "  longest stall of the live route seen: %s; a false restart at that stall: now %s, advised %s\n",
			longest, risk(longest, before.LivenessWindow), risk(longest, after.LivenessWindow))
	}
	for _, w := range a.Warnings {
		fmt.Fprintf(out, "  warning: %s\n", w)
	}
}

func risk(stall, window time.Duration) string {
	if window == 0 {
		return "no liveness probe"
	}
	if stall >= window {
		return "yes"
	}
	return fmt.Sprintf("no (%.0f%% of the window)", 100*stall.Seconds()/window.Seconds())
}
