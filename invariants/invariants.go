package invariants

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"kotaemon-k8s/internal/config"
	"kotaemon-k8s/release"
)

// Violation is one broken invariant.
type Violation struct {
	ID      string // PI-01 .. PI-15
	Message string
}

func (v Violation) String() string { return v.ID + ": " + v.Message }

// rule checks one invariant on the resolved workload.
type rule struct {
	id    string
	check func(m *Manifest, w *release.Workload) []string
}

// rules are in id order; PI-15 (strict decoding) is Decode's job.
var rules = []rule{
	{"PI-01", probesPresent},
	{"PI-02", readinessAndLivenessDiffer},
	{"PI-03", liveTargetsLiveEndpoint},
	{"PI-04", readinessTargetsReadyEndpoint},
	{"PI-05", startupCovered},
	{"PI-06", timingFloors},
	{"PI-07", livenessSlowerThanReadiness},
	{"PI-08", probePortsServed},
	{"PI-09", agentAnswersInTime},
	{"PI-10", healthPortNotExposed},
	{"PI-11", probesCarryNoCredentials},
	{"PI-12", checkNetworkPolicies},
	{"PI-13", singleWriterStrategy},
	{"PI-14", cleanShutdown},
	{"PI-16", startFitsProgressDeadline},
	{"PI-17", imageUserCanStart},
	{"PI-18", agentReadsItsSecrets},
	{"PI-19", diskChecksOnMounts},
}

// Check returns every violation of PI-01..PI-19 (but PI-15) in the manifest, sorted by id.
func Check(m *Manifest) []Violation {
	w, problems := release.FindWorkload(m)
	var violations []Violation
	for _, p := range problems {
		violations = append(violations, Violation{ID: p.ID, Message: p.Message})
	}
	if w == nil {
		return violations
	}
	for _, r := range rules {
		for _, msg := range r.check(m, w) {
			violations = append(violations, Violation{ID: r.id, Message: msg})
		}
	}
	sort.SliceStable(violations, func(i, j int) bool { return violations[i].ID < violations[j].ID })
	return violations
}

// CheckYAML decodes a rendered manifest strictly and checks it; a decoding failure is
// reported as a PI-15 violation.
func CheckYAML(data []byte) []Violation {
	m, err := Decode(data)
	if err != nil {
		return []Violation{{ID: "PI-15", Message: err.Error()}}
	}
	return Check(m)
}

func probesPresent(_ *Manifest, w *release.Workload) []string {
	var out []string
	if w.Probes[Readiness] == nil {
		out = append(out, "the Kotaemon pod has no readiness probe")
	}
	if w.Probes[Liveness] == nil {
		out = append(out, "the Kotaemon pod has no liveness probe")
	}
	// Liveness without a startup probe must cover the start-up itself: PI-05 says so.
	return out
}

func readinessAndLivenessDiffer(_ *Manifest, w *release.Workload) []string {
	r, l := w.Probes[Readiness], w.Probes[Liveness]
	if r == nil || l == nil {
		return nil
	}
	switch {
	case r.Probe.HTTPGet != nil && l.Probe.HTTPGet != nil:
		if r.Path == l.Path {
			return []string{fmt.Sprintf("readiness (port %d) and liveness (port %d) share the path %q", r.Port, l.Port, r.Path)}
		}
	case r.Probe.TCPSocket != nil && l.Probe.TCPSocket != nil:
		if r.Port == l.Port {
			return []string{fmt.Sprintf("readiness and liveness are the same tcpSocket handler on port %d", r.Port)}
		}
	case r.Probe.Exec != nil && l.Probe.Exec != nil:
		if strings.Join(r.Probe.Exec.Command, " ") == strings.Join(l.Probe.Exec.Command, " ") {
			return []string{"readiness and liveness run the same exec command"}
		}
	}
	return nil
}

func liveTargetsLiveEndpoint(_ *Manifest, w *release.Workload) []string {
	var out []string
	if a := w.Agent; a != nil && a.Paths.Live == a.Paths.Ready {
		out = append(out, fmt.Sprintf("the agent's live and ready paths are both %q", a.Paths.Live))
	}
	for _, kind := range []Kind{Liveness, Startup} {
		p := w.Probes[kind]
		if p == nil || p.Probe.HTTPGet == nil {
			continue
		}
		if p.Path == "/health/ready" || (w.Agent != nil && p.Path == w.Agent.Paths.Ready) {
			out = append(out, fmt.Sprintf("%s probe targets the ready endpoint %q, which consults dependencies", kind, p.Path))
			continue
		}
		if w.Agent != nil && p.Port == w.Agent.ListenPort() && p.Path != w.Agent.Paths.Live {
			out = append(out, fmt.Sprintf("%s probe targets %q on the agent port, not the agent's live path %q", kind, p.Path, w.Agent.Paths.Live))
		}
	}
	return out
}

func readinessTargetsReadyEndpoint(_ *Manifest, w *release.Workload) []string {
	r := w.Probes[Readiness]
	if r == nil || w.Agent == nil {
		return nil
	}
	var out []string
	if r.Probe.HTTPGet == nil || r.Port != w.Agent.ListenPort() || r.Path != w.Agent.Paths.Ready {
		out = append(out, fmt.Sprintf("readiness probe targets port %d path %q, not the agent's ready endpoint (port %d path %q)", r.Port, r.Path, w.Agent.ListenPort(), w.Agent.Paths.Ready))
	}
	if w.Agent.App.Ready.Path == "" {
		out = append(out, "the agent's ready endpoint has no app check (app.ready.path is empty)")
	}
	return out
}

// StartupCoverPermille is PI-05's floor on the start-up budget, expected x 1.2, in
// thousandths so that it compares in integers. The chart's guard
// ("kotaemon.startupCoverPermille") and its schema's minimum safetyFactor say the same;
// the render suite ties them.
const StartupCoverPermille = 1200

// coversStartup compares in integers: delay >= expected x 1.2.
func coversStartup(delay int32, expected int) bool {
	return int(delay)*1000 >= expected*StartupCoverPermille
}

// coverFactor is StartupCoverPermille as people write it (1.2).
var coverFactor = strconv.FormatFloat(StartupCoverPermille/1000.0, 'f', -1, 64)

func startupCovered(_ *Manifest, w *release.Workload) []string {
	if w.Expected < 0 {
		if w.Probes[Liveness] != nil {
			return []string{fmt.Sprintf("the Deployment has no %s annotation: start-up coverage cannot be checked", release.AnnotationExpectedStartup)}
		}
		return nil
	}
	if s := w.Probes[Startup]; s != nil {
		if budget := int(s.Window().Seconds()); !coversStartup(int32(budget), w.Expected) {
			return []string{fmt.Sprintf("startup budget %ds (%d + %d x %d) is below the expected start-up %ds x %s", budget, s.Probe.InitialDelaySeconds, s.Probe.PeriodSeconds, s.Probe.FailureThreshold, w.Expected, coverFactor)}
		}
		return nil
	}
	l, r := w.Probes[Liveness], w.Probes[Readiness]
	if l == nil {
		return nil
	}
	var out []string
	if !coversStartup(l.Probe.InitialDelaySeconds, w.Expected) {
		out = append(out, fmt.Sprintf("no startup probe and liveness initialDelaySeconds %d is below the expected start-up %ds x %s", l.Probe.InitialDelaySeconds, w.Expected, coverFactor))
	}
	if r != nil && l.Probe.InitialDelaySeconds <= r.Probe.InitialDelaySeconds {
		out = append(out, fmt.Sprintf("no startup probe and liveness initialDelaySeconds %d is not above readiness's %d", l.Probe.InitialDelaySeconds, r.Probe.InitialDelaySeconds))
	}
	return out
}

// PI-06's floors for readiness and liveness. values.yaml states them on each key, with
// the reason; the render suite holds the schema and the chart's guard to the same number.
const (
	MinTimeoutSeconds   = 3
	MinFailureThreshold = 3
)

func timingFloors(_ *Manifest, w *release.Workload) []string {
	var out []string
	for _, kind := range []Kind{Startup, Readiness, Liveness} {
		b := w.Probes[kind]
		if b == nil {
			continue
		}
		p := b.Probe
		if p.PeriodSeconds < 1 {
			out = append(out, fmt.Sprintf("%s periodSeconds %d < 1", kind, p.PeriodSeconds))
		}
		if kind != Readiness && p.SuccessThreshold != 1 {
			out = append(out, fmt.Sprintf("%s successThreshold %d != 1", kind, p.SuccessThreshold))
		}
		if kind != Startup && p.TimeoutSeconds < MinTimeoutSeconds {
			out = append(out, fmt.Sprintf("%s timeoutSeconds %d < %d", kind, p.TimeoutSeconds, MinTimeoutSeconds))
		}
		if kind != Startup && p.FailureThreshold < MinFailureThreshold {
			out = append(out, fmt.Sprintf("%s failureThreshold %d < %d", kind, p.FailureThreshold, MinFailureThreshold))
		}
		if p.TimeoutSeconds > p.PeriodSeconds {
			out = append(out, fmt.Sprintf("%s timeoutSeconds %d > periodSeconds %d", kind, p.TimeoutSeconds, p.PeriodSeconds))
		}
	}
	return out
}

func livenessSlowerThanReadiness(_ *Manifest, w *release.Workload) []string {
	r, l := w.Probes[Readiness], w.Probes[Liveness]
	if r == nil || l == nil {
		return nil
	}
	if lw, rw := l.FailureWindow(), r.FailureWindow(); lw < rw {
		return []string{fmt.Sprintf("liveness period x failureThreshold %ds < readiness's %ds: a short stall would restart before it drains", int(lw.Seconds()), int(rw.Seconds()))}
	}
	return nil
}

func probePortsServed(_ *Manifest, w *release.Workload) []string {
	var out []string
	for _, kind := range []Kind{Startup, Readiness, Liveness} {
		p := w.Probes[kind]
		if p == nil || (p.Probe.HTTPGet == nil && p.Probe.TCPSocket == nil && p.Probe.GRPC == nil) {
			continue
		}
		if !p.PortKnown {
			out = append(out, fmt.Sprintf("%s probe port is not declared by container %q", kind, p.Container.Name))
			continue
		}
		switch {
		case w.Agent != nil && p.Port == w.Agent.ListenPort():
			if release.AgentCommand(p.Container) == "" {
				out = append(out, fmt.Sprintf("%s probe targets the agent port %d on container %q, which does not run the agent", kind, p.Port, p.Container.Name))
			}
		case p.Port == w.AppPort:
			if p.Container != w.App {
				out = append(out, fmt.Sprintf("%s probe targets the app port %d on container %q, not on %q", kind, p.Port, p.Container.Name, release.AppContainer))
			}
		case w.Agent != nil:
			out = append(out, fmt.Sprintf("%s probe targets port %d, where neither the agent (%d) nor the app (%d) listens", kind, p.Port, w.Agent.ListenPort(), w.AppPort))
		}
	}
	if w.AppPort == 0 {
		out = append(out, "the kotaemon container sets no GRADIO_SERVER_PORT")
	} else if !release.Declares(w.App, w.AppPort) {
		out = append(out, fmt.Sprintf("the kotaemon container does not declare its app port %d", w.AppPort))
	}
	return out
}

func agentAnswersInTime(_ *Manifest, w *release.Workload) []string {
	a := w.Agent
	if a == nil {
		return nil
	}
	var out []string
	for _, kind := range []Kind{Startup, Readiness, Liveness} {
		p := w.Probes[kind]
		if p == nil || p.Probe.HTTPGet == nil || p.Port != a.ListenPort() {
			continue
		}
		limit, spent := int64(p.Probe.TimeoutSeconds)*1000, a.MaxProbeTimeout(p.Path).Milliseconds()
		what := "app.live.timeout"
		if p.Path == a.Paths.Ready {
			what = "app.ready.timeout"
		}
		if spent >= limit {
			out = append(out, fmt.Sprintf("agent %s %dms is not below the %s probe's timeoutSeconds %d", what, spent, kind, p.Probe.TimeoutSeconds))
		}
	}
	return out
}

func healthPortNotExposed(m *Manifest, w *release.Workload) []string {
	var out []string
	healthPorts := map[int]bool{}
	if w.Agent != nil {
		healthPorts[w.Agent.ListenPort()] = true
	}
	for _, kind := range []Kind{Readiness, Liveness, Startup} {
		if p := w.Probes[kind]; p != nil && p.Port != w.AppPort && p.Port != 0 {
			healthPorts[p.Port] = true
		}
	}
	metricsServices := map[string]bool{}
	for _, s := range m.Services {
		if !selectsPod(s.Spec.Selector, w.Deployment.Spec.Template.Labels) {
			continue
		}
		isMetrics := s.Labels["app.kubernetes.io/component"] == "metrics"
		if isMetrics {
			metricsServices[s.Name] = true
		}
		for _, sp := range s.Spec.Ports {
			target := resolveTarget(w, sp.TargetPort, sp.Port)
			if healthPorts[target] && !isMetrics {
				out = append(out, fmt.Sprintf("Service %s exposes the health port %d", s.Name, target))
			}
			if isMetrics && !healthPorts[target] {
				out = append(out, fmt.Sprintf("metrics Service %s exposes port %d, which is not the health port", s.Name, target))
			}
		}
	}
	for _, ing := range m.Ingresses {
		for _, r := range ing.Spec.Rules {
			if r.HTTP == nil {
				continue
			}
			for _, p := range r.HTTP.Paths {
				if bad := guardedPrefix(p.Path, w.Agent); bad != "" {
					out = append(out, fmt.Sprintf("Ingress %s path %q reaches %q", ing.Name, p.Path, bad))
				}
				if svc := p.Backend.Service; svc != nil && metricsServices[svc.Name] {
					out = append(out, fmt.Sprintf("Ingress %s routes to the metrics Service %s", ing.Name, svc.Name))
				}
			}
		}
	}
	for _, route := range m.HTTPRoutes {
		for _, r := range route.Spec.Rules {
			for _, match := range r.Matches {
				if match.Path != nil && match.Path.Value != nil {
					if bad := guardedPrefix(*match.Path.Value, w.Agent); bad != "" {
						out = append(out, fmt.Sprintf("HTTPRoute %s path %q reaches %q", route.Name, *match.Path.Value, bad))
					}
				}
			}
			for _, ref := range r.BackendRefs {
				if metricsServices[string(ref.Name)] {
					out = append(out, fmt.Sprintf("HTTPRoute %s routes to the metrics Service %s", route.Name, ref.Name))
				}
			}
		}
	}
	return out
}

func guardedPrefix(path string, a *config.Config) string {
	guarded := []string{"/health", "/metrics"}
	if a != nil {
		guarded = append(guarded, a.Paths.Live, a.Paths.Ready, a.Paths.Metrics)
	}
	for _, g := range guarded {
		// Path segments, not characters: /metrics-dashboard is not /metrics.
		if g != "" && (strings.TrimSuffix(path, "/") == g || strings.HasPrefix(path, g+"/")) {
			return g
		}
	}
	return ""
}

// resolveTarget maps a Service targetPort (name or number) to a container port number.
func resolveTarget(w *release.Workload, target intstr.IntOrString, port int32) int {
	if target.Type == intstr.Int {
		if target.IntVal == 0 {
			return int(port)
		}
		return int(target.IntVal)
	}
	for _, c := range w.Containers {
		if n, ok := release.ContainerPort(c, target); ok {
			return n
		}
	}
	return -1
}

func selectsPod(selector, labels map[string]string) bool {
	if len(selector) == 0 {
		return false
	}
	for k, v := range selector {
		if labels[k] != v {
			return false
		}
	}
	return true
}

func probesCarryNoCredentials(_ *Manifest, w *release.Workload) []string {
	var out []string
	for _, kind := range []Kind{Startup, Readiness, Liveness} {
		p := w.Probes[kind]
		if p == nil || p.Probe.HTTPGet == nil {
			continue
		}
		for _, h := range p.Probe.HTTPGet.HTTPHeaders {
			if strings.EqualFold(h.Name, "Authorization") {
				out = append(out, fmt.Sprintf("%s probe sends an Authorization header: status codes must not depend on credentials", kind))
			}
		}
	}
	return out
}

func singleWriterStrategy(m *Manifest, w *release.Workload) []string {
	d := w.Deployment
	replicas := int32(1)
	if d.Spec.Replicas != nil {
		replicas = *d.Spec.Replicas
	}
	if replicas <= 1 {
		// A rolling update that surges runs a second pod beside the first on its volume.
		ru := d.Spec.Strategy.RollingUpdate
		surges := d.Spec.Strategy.Type != appsv1.RecreateDeploymentStrategyType &&
			(ru == nil || ru.MaxSurge == nil || !isZero(ru.MaxSurge))
		if !surges {
			return nil
		}
		if usesReadWriteOnce(m, d) {
			return []string{fmt.Sprintf("one replica on a ReadWriteOnce volume uses strategy %q with a surge, not Recreate", d.Spec.Strategy.Type)}
		}
		if usesClaim(d) && d.Annotations[release.AnnotationExternalStores] != "true" {
			return []string{"one replica with local stores on its volume rolls with a surge: two processes would share SQLite, Chroma and LanceDB"}
		}
		return nil
	}
	var out []string
	if d.Annotations[release.AnnotationExternalStores] != "true" {
		out = append(out, fmt.Sprintf("%d replicas without the external-stores opt-in", replicas))
	}
	ru := d.Spec.Strategy.RollingUpdate
	if d.Spec.Strategy.Type != appsv1.RollingUpdateDeploymentStrategyType || ru == nil || ru.MaxUnavailable == nil || !isZero(ru.MaxUnavailable) {
		out = append(out, fmt.Sprintf("%d replicas must use RollingUpdate with maxUnavailable 0", replicas))
	}
	if usesReadWriteOnce(m, d) {
		out = append(out, fmt.Sprintf("%d replicas share a ReadWriteOnce volume", replicas))
	}
	return out
}

// isZero reports whether an int-or-percent is zero (0 or 0%).
func isZero(v *intstr.IntOrString) bool { return v.String() == "0" || v.String() == "0%" }

// usesClaim reports whether the pod mounts any PersistentVolumeClaim.
func usesClaim(d *appsv1.Deployment) bool {
	for _, v := range d.Spec.Template.Spec.Volumes {
		if v.PersistentVolumeClaim != nil {
			return true
		}
	}
	return false
}

func usesReadWriteOnce(m *Manifest, d *appsv1.Deployment) bool {
	for _, v := range d.Spec.Template.Spec.Volumes {
		if v.PersistentVolumeClaim == nil {
			continue
		}
		found := false
		for _, c := range m.Claims {
			if c.Name != v.PersistentVolumeClaim.ClaimName {
				continue
			}
			found = true
			for _, mode := range c.Spec.AccessModes {
				if mode == corev1.ReadWriteOnce || mode == corev1.ReadWriteOncePod {
					return true
				}
			}
		}
		if !found {
			return true // an existing claim of unknown mode: assume the strictest
		}
	}
	return false
}
