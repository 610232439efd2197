// Package mutants is the deploy suite's mutation run: named broken variants of a
// rendered release, each a chart bug one PB test exists to catch. A variant is applied
// after render (cmd/chartmutant, a helm post-renderer), so it reaches the cluster even
// where the chart's guards would refuse the values that produce it; everything else the
// chart rendered stays as it is. `make test-deploy-mutants` runs each PB test against its
// variants and reports which failed, as they must.
package mutants

import (
	"fmt"
	"regexp"
	"strings"

	"sigs.k8s.io/yaml"
)

// Variant is one chart bug: what it breaks, the PB tests that must fail on it, and the
// change to the rendered objects.
type Variant struct {
	Name  string
	Bug   string   // the chart bug, as a reviewer would name it
	Tests []string // the PB tests (function names) that exist to catch it
	apply func(*release) error
}

// Variants are every named variant, in the table's order.
var Variants = []Variant{
	{"startup-budget-without-margin", "the startup budget is expected start-up x 1.0, no safety factor (failureThreshold x 2/3)",
		[]string{"TestPB01_ASlowStartIsNeitherRestartedNorServedBeforeTheAppAnswers"}, cutStartupBudget},
	{"no-startup-probe", "no startup probe",
		[]string{"TestPB01_ASlowStartIsNeitherRestartedNorServedBeforeTheAppAnswers", "TestPB02_AStartThatNeverCompletesIsRestartedAfterTheStartupBudget"}, dropStartupProbe},
	{"startup-on-the-agent-port", "the startup probe asks a port that answers before the app does (tcpSocket on the health port)",
		[]string{"TestPB02_AStartThatNeverCompletesIsRestartedAfterTheStartupBudget"}, startupOnHealthPort},
	{"liveness-on-the-agent-port", "liveness asks a port that answers while the app hangs (tcpSocket on the health port)",
		[]string{"TestPB03_ADeadlockedAppIsRestartedWithinTheLivenessWindowAndKeepsItsData"}, livenessOnHealthPort},
	{"data-on-an-emptydir", "the data volume is an emptyDir, not the claim",
		[]string{"TestPB03_ADeadlockedAppIsRestartedWithinTheLivenessWindowAndKeepsItsData"}, dataOnEmptyDir},
	{"liveness-on-the-ready-endpoint", "liveness asks the ready endpoint, which checks dependencies and the worker pool",
		[]string{"TestPB04_ACriticalDependencyOutageTakesThePodOutOfTrafficWithoutARestart", "TestPB05_AFlappingDependencyNeverRestartsThePodAndBoundsItsReadinessChanges", "TestPB06_ExhaustedWorkersTakeThePodOutOfTrafficWithoutARestart"}, livenessOnReady},
	{"readiness-on-the-live-endpoint", "readiness and liveness on one handler (the live endpoint): no dependency or worker check gates traffic",
		[]string{"TestPB04_ACriticalDependencyOutageTakesThePodOutOfTrafficWithoutARestart", "TestPB05_AFlappingDependencyNeverRestartsThePodAndBoundsItsReadinessChanges", "TestPB06_ExhaustedWorkersTakeThePodOutOfTrafficWithoutARestart"}, readinessOnLive},
	{"stop-at-once", "the app is stopped before it leaves the endpoints, by SIGTERM (drain delay 0, no wait for answers)",
		[]string{"TestPB07a_ARollingUpgradeOfTwoReplicasFailsNoRequest", "TestPB07b_ASingleReplicaLeavesTheEndpointsBeforeTheAppIsStoppedCleanly"}, stopAtOnce},
	{"stop-without-waiting-for-answers", "the app is stopped cleanly but without waiting for its answers in flight",
		[]string{"TestPB07b_ASingleReplicaLeavesTheEndpointsBeforeTheAppIsStoppedCleanly"}, stopWithoutAnswers},
	{"policy-admits-everyone", "the NetworkPolicy admits every peer on every port",
		[]string{"TestPB08_TheNetworkPolicyAdmitsOnlyItsPeersWhileKubeletProbesPass"}, admitEveryone},
	{"details-without-auth", "health details are shown to callers without credentials",
		[]string{"TestPB09_HealthDetailsAreShownOnlyToAuthenticatedCallers"}, detailsPublic},
	{"history-in-memory", "the agent keeps its history in memory, not on the data volume: it does not outlive the pod",
		[]string{"TestPB11_TheAdvisorSizesTheProbesFromTheStartUpsAndStallsItSaw"}, historyInMemory},
}

// Named is the variant called name.
func Named(name string) (Variant, error) {
	for _, v := range Variants {
		if v.Name == name {
			return v, nil
		}
	}
	var names []string
	for _, v := range Variants {
		names = append(names, v.Name)
	}
	return Variant{}, fmt.Errorf("no variant %q (one of: %s)", name, strings.Join(names, ", "))
}

var separator = regexp.MustCompile(`(?m)^---[ \t]*$`)

// Apply applies the variant to a rendered release (helm's multi-document YAML) and
// returns it; an error names what the variant needed and did not find.
func (v Variant) Apply(manifest []byte) ([]byte, error) {
	return Rewrite(manifest, func(objects []map[string]any) error {
		if err := v.apply(&release{docs: objects}); err != nil {
			return fmt.Errorf("variant %s: %w", v.Name, err)
		}
		return nil
	})
}

// Rewrite decodes a rendered release into plain objects, lets change alter them in
// place, and writes the release again: every post-renderer of the project (the
// variants, the benchmarks' naive probes) changes a render through it.
func Rewrite(manifest []byte, change func(objects []map[string]any) error) ([]byte, error) {
	r, err := parse(manifest)
	if err != nil {
		return nil, err
	}
	if err := change(r.docs); err != nil {
		return nil, err
	}
	return r.render()
}

// release is a rendered release as plain objects, in order.
type release struct{ docs []map[string]any }

func parse(manifest []byte) (*release, error) {
	r := &release{}
	for i, doc := range separator.Split(string(manifest), -1) {
		if strings.TrimSpace(doc) == "" {
			continue
		}
		var obj map[string]any
		if err := yaml.Unmarshal([]byte(doc), &obj); err != nil {
			return nil, fmt.Errorf("document %d: %w", i, err)
		}
		if obj != nil {
			r.docs = append(r.docs, obj)
		}
	}
	return r, nil
}

func (r *release) render() ([]byte, error) {
	var b strings.Builder
	for _, d := range r.docs {
		out, err := yaml.Marshal(d)
		if err != nil {
			return nil, err
		}
		b.WriteString("---\n")
		b.Write(out)
	}
	return []byte(b.String()), nil
}

// kind is every object of a kind.
func (r *release) kind(k string) []map[string]any {
	var out []map[string]any
	for _, d := range r.docs {
		if d["kind"] == k {
			out = append(out, d)
		}
	}
	return out
}

// podSpec is the Kotaemon Deployment's pod spec.
func (r *release) podSpec() (map[string]any, error) {
	for _, d := range r.kind("Deployment") {
		if spec, ok := Dig(d, "spec", "template", "spec").(map[string]any); ok {
			return spec, nil
		}
	}
	return nil, fmt.Errorf("no Deployment with a pod template")
}

// containers is every container of the pod spec, init containers included.
func containers(spec map[string]any) []map[string]any {
	var out []map[string]any
	for _, key := range []string{"initContainers", "containers"} {
		list, _ := spec[key].([]any)
		for _, c := range list {
			if m, ok := c.(map[string]any); ok {
				out = append(out, m)
			}
		}
	}
	return out
}

// probes calls f for each container's probe of the kind (startupProbe, ...); it is an
// error when no container has one.
func (r *release) probes(kind string, f func(c, probe map[string]any) error) error {
	spec, err := r.podSpec()
	if err != nil {
		return err
	}
	found := false
	for _, c := range containers(spec) {
		if p, ok := c[kind].(map[string]any); ok {
			found = true
			if err := f(c, p); err != nil {
				return err
			}
		}
	}
	if !found {
		return fmt.Errorf("no container has a %s", kind)
	}
	return nil
}

// healthPort is the agent's port number, from the agent config's listen address.
func (r *release) healthPort() (int, error) {
	cfg, _, err := r.agentConfig()
	if err != nil {
		return 0, err
	}
	listen, _ := cfg["listen"].(string)
	var port int
	if _, err := fmt.Sscanf(listen[strings.LastIndex(listen, ":")+1:], "%d", &port); err != nil || port == 0 {
		return 0, fmt.Errorf("agent config: listen %q names no port", listen)
	}
	return port, nil
}

// agentConfig is the health agent's config (the -health ConfigMap's config.yaml), and
// the ConfigMap to write it back into.
func (r *release) agentConfig() (map[string]any, map[string]any, error) {
	for _, cm := range r.kind("ConfigMap") {
		name, _ := Dig(cm, "metadata", "name").(string)
		data, _ := cm["data"].(map[string]any)
		text, ok := data["config.yaml"].(string)
		if !strings.HasSuffix(name, "-health") || !ok {
			continue
		}
		var cfg map[string]any
		if err := yaml.Unmarshal([]byte(text), &cfg); err != nil {
			return nil, nil, fmt.Errorf("ConfigMap %s: config.yaml: %w", name, err)
		}
		return cfg, cm, nil
	}
	return nil, nil, fmt.Errorf("no agent config (a ConfigMap *-health with config.yaml)")
}

// setAgentConfig changes the agent config with f and writes it back.
func (r *release) setAgentConfig(f func(cfg map[string]any)) error {
	cfg, cm, err := r.agentConfig()
	if err != nil {
		return err
	}
	f(cfg)
	out, err := yaml.Marshal(cfg)
	if err != nil {
		return err
	}
	cm["data"].(map[string]any)["config.yaml"] = string(out)
	return nil
}

// endpoint is the httpGet (path and port) of the probe of the kind where the chart put it.
func (r *release) endpoint(kind string) (map[string]any, error) {
	var get map[string]any
	err := r.probes(kind, func(_, p map[string]any) error {
		g, ok := p["httpGet"].(map[string]any)
		if !ok {
			return fmt.Errorf("%s is not an httpGet probe", kind)
		}
		get = g
		return nil
	})
	return get, err
}

// Dig is the value at a path of keys in a decoded object, nil where the path breaks.
func Dig(m map[string]any, keys ...string) any {
	var cur any = m
	for _, k := range keys {
		next, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = next[k]
	}
	return cur
}
