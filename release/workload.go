package release

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
)

// Names the chart gives the pod's parts.
const (
	// AppContainer runs Kotaemon (and, in wrapper mode, the agent as its PID 1).
	AppContainer      = "kotaemon"
	agentConfigVolume = "health-config"
	agentConfigKey    = "config.yaml"
)

// Kind names a probe the way the values file does.
type Kind string

const (
	Startup   Kind = "startup"
	Readiness Kind = "readiness"
	Liveness  Kind = "liveness"
)

// Kinds are the probe kinds in the order a pod starts using them.
var Kinds = []Kind{Startup, Readiness, Liveness}

// Probe is a probe of the workload as the API server stores it (its defaults applied,
// WithDefaults), with the container that declares it and its port resolved to a number.
// Its timing (Window, ToFail, ToPass) is derived here and nowhere else.
type Probe struct {
	*corev1.Probe
	Kind      Kind
	Container *corev1.Container
	Port      int    // resolved; 0 when the probe has no port (exec)
	Path      string // httpGet only
	PortKnown bool   // the port is declared by the container
}

// Workload is the Kotaemon pod of a rendered (or stored) release: the Deployment with a
// container named "kotaemon", the containers that run (native sidecars included), its
// probes wherever they sit, and the agent's own configuration.
type Workload struct {
	Deployment *appsv1.Deployment
	App        *corev1.Container
	Containers []*corev1.Container // running containers, native sidecars included
	Probes     map[Kind]*Probe
	Agent      *config.Config // nil when no agent is configured (health.mode none)
	AppPort    int            // GRADIO_SERVER_PORT of the app container
	Expected   int            // expected start-up seconds; -1 when not annotated
}

// Problem is what keeps a workload from being read whole, with the invariant it breaks.
type Problem struct {
	ID      string // PI-xx
	Message string
}

// FindWorkload locates the Kotaemon Deployment of m and resolves its probes and the
// agent's configuration (parsed by the agent's own loader, so nothing here accepts a
// file the agent would refuse). The problems say what could not be resolved; a nil
// workload means there is no Kotaemon Deployment.
func FindWorkload(m *Manifest) (*Workload, []Problem) {
	for i := range m.Deployments {
		d := &m.Deployments[i]
		for j := range d.Spec.Template.Spec.Containers {
			if d.Spec.Template.Spec.Containers[j].Name == AppContainer {
				return buildWorkload(m, d, &d.Spec.Template.Spec.Containers[j])
			}
		}
	}
	return nil, []Problem{{ID: "PI-01", Message: fmt.Sprintf("no Deployment has a container named %q", AppContainer)}}
}

// WorkloadOf is the workload of one Deployment alone (as the API server stored it), for
// its probes and their timing; the agent's configuration is not resolved.
func WorkloadOf(d *appsv1.Deployment) *Workload {
	w, _ := FindWorkload(&Manifest{Deployments: []appsv1.Deployment{*d}})
	return w
}

func buildWorkload(m *Manifest, d *appsv1.Deployment, app *corev1.Container) (*Workload, []Problem) {
	var problems []Problem
	w := &Workload{Deployment: d, App: app, Probes: map[Kind]*Probe{}, Expected: -1}
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
				problems = append(problems, Problem{ID: "PI-01", Message: fmt.Sprintf("%s probes on both containers %q and %q; the pod must have one", kind, prev.Container.Name, c.Name)})
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
			problems = append(problems, Problem{ID: "PI-05", Message: fmt.Sprintf("annotation %s=%q is not a number of seconds", AnnotationExpectedStartup, text)})
		} else {
			w.Expected = n
		}
	}
	agent, err := findAgentConfig(m, spec)
	if err != nil {
		problems = append(problems, Problem{ID: "PI-08", Message: "the agent would refuse its config and never listen: " + err.Error()})
	}
	w.Agent = agent
	return w, problems
}

func findAgentConfig(m *Manifest, spec *corev1.PodSpec) (*config.Config, error) {
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
				c, err := config.Parse([]byte(data))
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

// bindProbe applies the API's defaults and resolves the probe's port against the
// container's declared ports.
func bindProbe(kind Kind, c *corev1.Container, p *corev1.Probe) *Probe {
	b := &Probe{Probe: WithDefaults(p), Kind: kind, Container: c}
	var port *intstr.IntOrString
	switch q := b.Probe; {
	case q.HTTPGet != nil:
		port, b.Path = &q.HTTPGet.Port, q.HTTPGet.Path
	case q.TCPSocket != nil:
		port = &q.TCPSocket.Port
	case q.GRPC != nil:
		b.Port, b.PortKnown = int(q.GRPC.Port), Declares(c, int(q.GRPC.Port))
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
		return port.IntValue(), Declares(c, port.IntValue())
	}
	for _, p := range c.Ports {
		if p.Name == port.StrVal {
			return int(p.ContainerPort), true
		}
	}
	return 0, false
}

// Declares reports whether the container declares the port.
func Declares(c *corev1.Container, port int) bool {
	for _, p := range c.Ports {
		if int(p.ContainerPort) == port {
			return true
		}
	}
	return false
}

// AgentCommand is the agent subcommand ("supervise" or "serve") a container's command
// starts, or "" when it does not run the agent.
func AgentCommand(c *corev1.Container) string {
	argv := append(append([]string{}, c.Command...), c.Args...)
	for i, a := range argv {
		if strings.HasSuffix(a, "kotaemon-health") && i+1 < len(argv) && (argv[i+1] == "supervise" || argv[i+1] == "serve") {
			return argv[i+1]
		}
	}
	return ""
}
