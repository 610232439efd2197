package invariants

import (
	"fmt"
	"strconv"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"kotaemon-k8s/internal/config"
)

// Annotations the chart writes on the Deployment so that a rendered manifest carries
// what its probe timing was sized for.
const (
	AnnotationExpectedStartup = "kotaemon.health/expected-startup-seconds"
	AnnotationExternalStores  = "kotaemon.health/external-stores"
	appContainerName          = "kotaemon"
	agentConfigVolume         = "health-config"
	agentConfigKey            = "config.yaml"
)

// Kind names a probe the way the values file does.
type Kind string

const (
	Startup   Kind = "startup"
	Readiness Kind = "readiness"
	Liveness  Kind = "liveness"
)

// boundProbe is a probe together with the container that declares it, its Kubernetes
// defaults applied and its port resolved to a number.
type boundProbe struct {
	Kind      Kind
	Container *corev1.Container
	Probe     *corev1.Probe
	Port      int    // resolved; 0 when the probe has no port (exec)
	Path      string // httpGet only
	PortKnown bool   // the port is declared by the container
}

// workload is the view of the Kotaemon pod every rule reads.
type workload struct {
	manifest   *Manifest
	Deployment *appsv1.Deployment
	App        *corev1.Container
	Containers []*corev1.Container // running containers, native sidecars included
	Probes     map[Kind]*boundProbe
	Agent      *agentConfig // nil when no agent is configured (health.mode none)
	AppPort    int          // GRADIO_SERVER_PORT of the app container
	Expected   int          // expected start-up seconds; -1 when not annotated
}

// agentConfig is the agent's own configuration, parsed with the agent's own loader: the
// invariants can never accept a file the agent would refuse at start.
type agentConfig = config.Config

func parseAgentConfig(data string) (*agentConfig, error) { return config.Parse([]byte(data)) }

// findWorkload locates the Kotaemon Deployment and resolves its probes and agent config.
func findWorkload(m *Manifest) (*workload, []Violation) {
	for i := range m.Deployments {
		d := &m.Deployments[i]
		for j := range d.Spec.Template.Spec.Containers {
			if d.Spec.Template.Spec.Containers[j].Name == appContainerName {
				return buildWorkload(m, d, &d.Spec.Template.Spec.Containers[j])
			}
		}
	}
	return nil, []Violation{{ID: "PI-01", Message: fmt.Sprintf("no Deployment has a container named %q", appContainerName)}}
}

func buildWorkload(m *Manifest, d *appsv1.Deployment, app *corev1.Container) (*workload, []Violation) {
	var violations []Violation
	w := &workload{manifest: m, Deployment: d, App: app, Probes: map[Kind]*boundProbe{}, Expected: -1}
	spec := &d.Spec.Template.Spec
	for i := range spec.InitContainers {
		c := &spec.InitContainers[i]
		if c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways {
			w.Containers = append(w.Containers, c)
		}
	}
	for i := range spec.Containers {
		w.Containers = append(w.Containers, &spec.Containers[i])
	}
	for _, c := range w.Containers {
		for kind, p := range map[Kind]*corev1.Probe{Startup: c.StartupProbe, Readiness: c.ReadinessProbe, Liveness: c.LivenessProbe} {
			if p == nil {
				continue
			}
			if prev, dup := w.Probes[kind]; dup {
				violations = append(violations, Violation{ID: "PI-01", Message: fmt.Sprintf("%s probes on both containers %q and %q; the pod must have one", kind, prev.Container.Name, c.Name)})
				continue
			}
			w.Probes[kind] = bindProbe(kind, c, p)
		}
	}
	for _, e := range app.Env {
		if e.Name == "GRADIO_SERVER_PORT" {
			w.AppPort, _ = strconv.Atoi(e.Value)
		}
	}
	if text, ok := d.Annotations[AnnotationExpectedStartup]; ok {
		n, err := strconv.Atoi(text)
		if err != nil || n < 0 {
			violations = append(violations, Violation{ID: "PI-05", Message: fmt.Sprintf("annotation %s=%q is not a number of seconds", AnnotationExpectedStartup, text)})
		} else {
			w.Expected = n
		}
	}
	agent, err := findAgentConfig(m, spec)
	if err != nil {
		violations = append(violations, Violation{ID: "PI-08", Message: "the agent would refuse its config and never listen: " + err.Error()})
	}
	w.Agent = agent
	return w, violations
}

func findAgentConfig(m *Manifest, spec *corev1.PodSpec) (*agentConfig, error) {
	for _, v := range spec.Volumes {
		if v.Name != agentConfigVolume || v.ConfigMap == nil {
			continue
		}
		for _, cm := range m.ConfigMaps {
			if cm.Name == v.ConfigMap.Name {
				data, ok := cm.Data[agentConfigKey]
				if !ok {
					return nil, fmt.Errorf("ConfigMap %s has no %s", cm.Name, agentConfigKey)
				}
				c, err := parseAgentConfig(data)
				if err != nil {
					return nil, fmt.Errorf("ConfigMap %s: %w", cm.Name, err)
				}
				return c, nil
			}
		}
		return nil, fmt.Errorf("volume %s names ConfigMap %s, which is not in the manifest", v.Name, v.ConfigMap.Name)
	}
	return nil, nil
}

// bindProbe applies the API's defaults to zero fields (what the API server would store)
// and resolves the probe's port against the container's declared ports.
func bindProbe(kind Kind, c *corev1.Container, p *corev1.Probe) *boundProbe {
	q := p.DeepCopy()
	if q.TimeoutSeconds == 0 {
		q.TimeoutSeconds = 1
	}
	if q.PeriodSeconds == 0 {
		q.PeriodSeconds = 10
	}
	if q.SuccessThreshold == 0 {
		q.SuccessThreshold = 1
	}
	if q.FailureThreshold == 0 {
		q.FailureThreshold = 3
	}
	b := &boundProbe{Kind: kind, Container: c, Probe: q}
	var port *intstr.IntOrString
	switch {
	case q.HTTPGet != nil:
		port, b.Path = &q.HTTPGet.Port, q.HTTPGet.Path
	case q.TCPSocket != nil:
		port = &q.TCPSocket.Port
	case q.GRPC != nil:
		b.Port, b.PortKnown = int(q.GRPC.Port), declares(c, int(q.GRPC.Port))
	}
	if port != nil {
		b.Port, b.PortKnown = ContainerPort(c, *port)
	}
	return b
}

// ContainerPort resolves a probe or Service port (a name or a number) against the ports a
// container declares: the number, and whether the container declares it.
func ContainerPort(c *corev1.Container, port intstr.IntOrString) (int, bool) {
	if port.Type == intstr.Int {
		return port.IntValue(), declares(c, port.IntValue())
	}
	for _, p := range c.Ports {
		if p.Name == port.StrVal {
			return int(p.ContainerPort), true
		}
	}
	return 0, false
}

func declares(c *corev1.Container, port int) bool {
	for _, p := range c.Ports {
		if int(p.ContainerPort) == port {
			return true
		}
	}
	return false
}

// window is the longest a failing container is tolerated by a probe.
func window(p *corev1.Probe) int {
	return int(p.InitialDelaySeconds + p.PeriodSeconds*p.FailureThreshold)
}

// agentCommand is the agent subcommand ("supervise" or "serve") a container's command
// starts, or "" when it does not run the agent.
func agentCommand(c *corev1.Container) string {
	argv := append(append([]string{}, c.Command...), c.Args...)
	for i, a := range argv {
		if strings.HasSuffix(a, "kotaemon-health") && i+1 < len(argv) && (argv[i+1] == "supervise" || argv[i+1] == "serve") {
			return argv[i+1]
		}
	}
	return ""
}
