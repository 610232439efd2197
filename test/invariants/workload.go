package invariants

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/yaml"
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

// agentConfig is the part of the agent's config file the invariants read. Its format is
// the agent's (docs/agent-config.md); the render suite additionally proves the agent's
// own loader accepts every rendered file.
type agentConfig struct {
	Listen string `json:"listen"`
	Paths  struct {
		Live    string `json:"live"`
		Ready   string `json:"ready"`
		Metrics string `json:"metrics"`
	} `json:"paths"`
	App struct {
		URL   string   `json:"url"`
		Live  appRoute `json:"live"`
		Ready appRoute `json:"ready"`
	} `json:"app"`
	Shutdown struct {
		DrainDelay  string `json:"drainDelay"`
		StopTimeout string `json:"stopTimeout"`
	} `json:"shutdown"`
	Auth struct {
		Mode string `json:"mode"`
	} `json:"auth"`
	Checks []struct {
		Name     string `json:"name"`
		Type     string `json:"type"`
		Critical bool   `json:"critical"`
		URL      string `json:"url"`
		Address  string `json:"address"`
	} `json:"checks"`

	listenPort                int
	liveTimeout, readyTimeout time.Duration
	drain                     time.Duration
}

type appRoute struct {
	Path    string `json:"path"`
	Timeout string `json:"timeout"`
}

func parseAgentConfig(data string) (*agentConfig, error) {
	var c agentConfig
	if err := yaml.Unmarshal([]byte(data), &c); err != nil {
		return nil, err
	}
	_, port, ok := strings.Cut(c.Listen, ":")
	if !ok {
		return nil, fmt.Errorf("listen %q has no port", c.Listen)
	}
	var err error
	if c.listenPort, err = strconv.Atoi(port); err != nil {
		return nil, fmt.Errorf("listen %q: %w", c.Listen, err)
	}
	durations := []struct {
		name string
		text string
		into *time.Duration
	}{
		{"app.live.timeout", c.App.Live.Timeout, &c.liveTimeout},
		{"app.ready.timeout", c.App.Ready.Timeout, &c.readyTimeout},
	}
	for _, d := range durations {
		if *d.into, err = time.ParseDuration(d.text); err != nil {
			return nil, fmt.Errorf("%s: %w", d.name, err)
		}
	}
	var delay, stop time.Duration
	if c.Shutdown.DrainDelay != "" {
		if delay, err = time.ParseDuration(c.Shutdown.DrainDelay); err != nil {
			return nil, fmt.Errorf("shutdown.drainDelay: %w", err)
		}
	}
	if c.Shutdown.StopTimeout != "" {
		if stop, err = time.ParseDuration(c.Shutdown.StopTimeout); err != nil {
			return nil, fmt.Errorf("shutdown.stopTimeout: %w", err)
		}
	}
	c.drain = delay + stop
	return &c, nil
}

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
		violations = append(violations, Violation{ID: "PI-08", Message: "agent config: " + err.Error()})
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
		b.Port, b.PortKnown = resolvePort(c, *port)
	}
	return b
}

func resolvePort(c *corev1.Container, port intstr.IntOrString) (int, bool) {
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

// runsAgent tells whether a container's command starts the health agent.
func runsAgent(c *corev1.Container) bool {
	argv := append(append([]string{}, c.Command...), c.Args...)
	for i, a := range argv {
		if strings.HasSuffix(a, "kotaemon-health") && i+1 < len(argv) && (argv[i+1] == "supervise" || argv[i+1] == "serve") {
			return true
		}
	}
	return false
}

func supervises(c *corev1.Container) bool {
	argv := append(append([]string{}, c.Command...), c.Args...)
	for i, a := range argv {
		if strings.HasSuffix(a, "kotaemon-health") && i+1 < len(argv) && argv[i+1] == "supervise" {
			return true
		}
	}
	return false
}
