package invariants

import (
	"fmt"
	"path"
	"regexp"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"

	"kotaemon-k8s/release"
)

// agentImageUser is the user the agent's image runs as when no security context says
// otherwise (ociimage.Binary builds it as 65532:65532).
const agentImageUser = 65532

// defaultProgressDeadline is the API's progressDeadlineSeconds when a Deployment sets none.
const defaultProgressDeadline = 600 * time.Second

// cleanShutdown (PI-14): readiness carries no probe-level grace period, and the grace
// period covers what runs before the kill: a preStop hook's sleep, then the agent's drain
// where the agent stops the app. In sidecar mode the app's preStop must be the agent's
// stop, because Kotaemon itself dies on SIGTERM.
func cleanShutdown(_ *Manifest, w *release.Workload) []string {
	var out []string
	if r := w.Probes[Readiness]; r != nil && r.Probe.TerminationGracePeriodSeconds != nil {
		out = append(out, "the readiness probe sets terminationGracePeriodSeconds, which the API rejects")
	}
	grace := w.Grace()
	var preStop *corev1.LifecycleHandler
	if w.App.Lifecycle != nil {
		preStop = w.App.Lifecycle.PreStop
	}
	if agent := agentContainer(w); agent != nil && agent != w.App && !isAgentStop(preStop) {
		out = append(out, "in sidecar mode the app's preStop hook is not the agent's stop: Kotaemon gets SIGTERM directly and dies mid-answer")
	}
	spent := preStopSleep(preStop)
	what := fmt.Sprintf("the preStop hook's %s", spent)
	if w.Agent != nil {
		spent += w.Agent.DrainTime()
		what += fmt.Sprintf(" + the agent's drain time %s", w.Agent.DrainTime())
	}
	if spent > 0 && grace <= spent {
		out = append(out, fmt.Sprintf("terminationGracePeriodSeconds %s does not exceed %s", grace, what))
	}
	return out
}

// isAgentStop reports whether a hook runs the agent's stop subcommand.
func isAgentStop(h *corev1.LifecycleHandler) bool {
	if h == nil || h.Exec == nil || len(h.Exec.Command) < 2 {
		return false
	}
	return strings.HasSuffix(h.Exec.Command[0], "kotaemon-health") && h.Exec.Command[1] == "stop"
}

// sleepScript is a shell script that only sleeps whole seconds.
var sleepScript = regexp.MustCompile(`^\s*sleep\s+([0-9]+)s?\s*$`)

// preStopSleep is how long a preStop hook is known to take: a sleep action, or an exec of
// sleep N (directly or through sh -c). Any other hook's time is unknown and counts 0.
func preStopSleep(h *corev1.LifecycleHandler) time.Duration {
	if h == nil {
		return 0
	}
	if h.Sleep != nil {
		return time.Duration(h.Sleep.Seconds) * time.Second
	}
	if h.Exec == nil {
		return 0
	}
	argv, script := h.Exec.Command, ""
	switch {
	case len(argv) == 2 && path.Base(argv[0]) == "sleep":
		script = "sleep " + argv[1]
	case len(argv) == 3 && (path.Base(argv[0]) == "sh" || path.Base(argv[0]) == "bash") && argv[1] == "-c":
		script = argv[2]
	}
	m := sleepScript.FindStringSubmatch(script)
	if m == nil {
		return 0
	}
	n, err := strconv.Atoi(m[1])
	if err != nil {
		return 0
	}
	return time.Duration(n) * time.Second
}

// startFitsProgressDeadline (PI-16): the longest start the chart promises to cover reaches
// Ready before the Deployment's progress deadline. WorstStartToReady says what it adds.
func startFitsProgressDeadline(_ *Manifest, w *release.Workload) []string {
	worst, reason := w.WorstStartToReady()
	if worst == 0 {
		return nil
	}
	deadline := defaultProgressDeadline
	if d := w.Deployment.Spec.ProgressDeadlineSeconds; d != nil {
		deadline = time.Duration(*d) * time.Second
	}
	if worst >= deadline {
		return []string{fmt.Sprintf("a covered start may take %s to Ready (%s), not below progressDeadlineSeconds %s", worst, reason, deadline)}
	}
	return nil
}

// imageUserCanStart (PI-17): the Kotaemon image runs as root, so runAsNonRoot needs a
// non-root runAsUser (of an image derived for it) or the kubelet refuses the container.
func imageUserCanStart(_ *Manifest, w *release.Workload) []string {
	u := effectiveUser(w.Deployment.Spec.Template.Spec.SecurityContext, w.App.SecurityContext, 0)
	if u.nonRoot && u.user == 0 {
		return []string{"the Kotaemon container sets runAsNonRoot but runs as root (its image's user, or runAsUser 0): the kubelet refuses to start it"}
	}
	return nil
}

// agentReadsItsSecrets (PI-18): every Secret volume the agent's container mounts is
// readable by the user the agent runs as.
func agentReadsItsSecrets(_ *Manifest, w *release.Workload) []string {
	c := agentContainer(w)
	if c == nil {
		return nil
	}
	spec := &w.Deployment.Spec.Template.Spec
	imageUser := int64(0)
	if c != w.App {
		imageUser = agentImageUser
	}
	u := effectiveUser(spec.SecurityContext, c.SecurityContext, imageUser)
	var out []string
	for _, m := range c.VolumeMounts {
		for _, v := range spec.Volumes {
			if v.Name != m.Name || v.Secret == nil {
				continue
			}
			if !u.canRead(v.Secret.DefaultMode, spec.SecurityContext) {
				out = append(out, fmt.Sprintf("the agent (container %s, user %d) cannot read Secret volume %s: mode %s, owned by root and the pod's fsGroup (none)", c.Name, u.user, v.Name, modeText(v.Secret.DefaultMode)))
			}
		}
	}
	return out
}

// diskChecksOnMounts (PI-19): a disk check looks at a volume its container mounts.
func diskChecksOnMounts(_ *Manifest, w *release.Workload) []string {
	c := agentContainer(w)
	if c == nil || w.Agent == nil {
		return nil
	}
	var out []string
	for _, check := range w.Agent.Checks {
		if check.Type != "disk" {
			continue
		}
		on := false
		for _, m := range c.VolumeMounts {
			root := strings.TrimSuffix(m.MountPath, "/") + "/"
			on = on || m.SubPath == "" && strings.HasPrefix(strings.TrimSuffix(check.Path, "/")+"/", root)
		}
		if !on {
			out = append(out, fmt.Sprintf("disk check %s looks at %s, on no volume of container %s", check.Name, check.Path, c.Name))
		}
	}
	return out
}

// agentContainer is the container that runs the agent (the app's in wrapper mode), nil
// when none does.
func agentContainer(w *release.Workload) *corev1.Container {
	for _, c := range w.Containers {
		if release.AgentCommand(c) != "" {
			return c
		}
	}
	return nil
}

// user is a container's identity as the kubelet resolves it. group is -1 where the
// runtime looks it up in the image's /etc/passwd (runAsUser without runAsGroup): a user
// it does not find there gets group 0.
type user struct {
	user, group int64
	nonRoot     bool
}

// effectiveUser resolves the container's security context over the pod's over the image
// (whose user and group are imageUser).
func effectiveUser(pod *corev1.PodSecurityContext, c *corev1.SecurityContext, imageUser int64) user {
	u := user{user: imageUser, group: imageUser}
	var runAsUser, runAsGroup []*int64
	var nonRootFlags []*bool
	if pod != nil {
		runAsUser, runAsGroup, nonRootFlags = append(runAsUser, pod.RunAsUser), append(runAsGroup, pod.RunAsGroup), append(nonRootFlags, pod.RunAsNonRoot)
	}
	if c != nil {
		runAsUser, runAsGroup, nonRootFlags = append(runAsUser, c.RunAsUser), append(runAsGroup, c.RunAsGroup), append(nonRootFlags, c.RunAsNonRoot)
	}
	for _, id := range runAsUser { // the container's, when set, wins
		if id != nil {
			u.user, u.group = *id, -1
		}
	}
	for _, id := range runAsGroup {
		if id != nil {
			u.group = *id
		}
	}
	for _, b := range nonRootFlags {
		if b != nil {
			u.nonRoot = *b
		}
	}
	return u
}

// canRead reports whether the user reads a Secret volume's files: root does; the files
// belong to root and to the pod's fsGroup (which every container holds), so group bits
// serve a pod with an fsGroup or a user in group 0 (or maybe 0), other bits everyone.
func (u user) canRead(mode *int32, pod *corev1.PodSecurityContext) bool {
	m := int32(0o644) // the API's default for a Secret volume
	if mode != nil {
		m = *mode
	}
	if u.user == 0 || m&0o004 != 0 {
		return true
	}
	inGroup := u.group <= 0 // group 0, or looked up in an image that may not know the user
	if pod != nil {
		inGroup = inGroup || pod.FSGroup != nil
		for _, g := range pod.SupplementalGroups {
			inGroup = inGroup || g == 0
		}
	}
	return inGroup && m&0o040 != 0
}

func modeText(mode *int32) string {
	if mode == nil {
		return "0644"
	}
	return fmt.Sprintf("%#o", *mode)
}
