package installer

import (
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	sigsyaml "sigs.k8s.io/yaml"

	"kotaemon-k8s/internal/config"
)

// Need is an object the release refers to and does not create. The cluster must hold it
// before the install, or a pod waits for it for ever (a Secret, a claim, a critical
// check's Service), traffic never arrives (the namespaces a NetworkPolicy admits), or
// helm refuses the release (a custom kind without its definition).
type Need struct {
	Kind string // Secret, ConfigMap, PersistentVolumeClaim, Service, Namespace, StorageClass, CustomResourceDefinition
	// Namespace of a namespaced object outside the release's namespace ("" in it).
	Namespace string
	Name      string   // empty for "a default StorageClass" and for a Namespace by Selector
	Keys      []string // the keys of a Secret or ConfigMap the release reads
	Selector  string   // a Namespace given by labels other than its name
	// APIVersion of a custom kind's objects (a CustomResourceDefinition's need).
	APIVersion string
	Why        string // what refers to it
}

// String is the need as a values file lists it at its top.
func (n Need) String() string {
	switch {
	case n.Kind == "StorageClass" && n.Name == "":
		return "a default StorageClass"
	case n.Kind == "Namespace" && n.Selector != "":
		return "a Namespace labelled " + n.Selector
	}
	s := n.Kind + " " + n.Name
	if n.Namespace != "" {
		s += " in namespace " + n.Namespace
	}
	switch len(n.Keys) {
	case 0:
	case 1:
		s += " with the key " + n.Keys[0]
	default:
		s += " with the keys " + strings.Join(n.Keys, ", ")
	}
	return s
}

// builtinGroups are the API groups every cluster serves; another group's kind needs its
// CustomResourceDefinition.
var builtinGroups = []string{"", "apps", "batch", "policy", "autoscaling", "networking.k8s.io", "rbac.authorization.k8s.io",
	"storage.k8s.io", "scheduling.k8s.io", "coordination.k8s.io", "discovery.k8s.io", "node.k8s.io"}

// needs gathers the release's needs, each once.
type needs struct {
	ns       string          // the release's namespace
	rendered map[string]bool // kind/namespace/name of what the release creates
	list     []Need          // in order of discovery
	index    map[string]int  // identity -> position in list
}

func (g *needs) add(n Need) {
	if n.Namespace == g.ns {
		n.Namespace = ""
	}
	id := n.Kind + "/" + n.Namespace + "/" + n.Name
	if g.rendered[id] {
		return
	}
	id += "/" + n.Selector
	i, ok := g.index[id]
	if !ok {
		i = len(g.list)
		g.index[id] = i
		keys := n.Keys
		n.Keys = nil
		g.list = append(g.list, n)
		n.Keys = keys
	}
	for _, key := range n.Keys {
		if !slices.Contains(g.list[i].Keys, key) {
			g.list[i].Keys = append(g.list[i].Keys, key)
		}
	}
}

// Needs lists what the release needs from the cluster and does not create, in the order
// the rendered objects name it.
func (p *Plan) Needs() ([]Need, error) {
	g := &needs{ns: p.Workload.Namespace, rendered: map[string]bool{}, index: map[string]int{}}
	type head struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Metadata   struct{ Name, Namespace string }
	}
	heads := make([]head, len(p.Docs))
	for i, doc := range p.Docs {
		if err := sigsyaml.Unmarshal(doc, &heads[i]); err != nil {
			return nil, err
		}
		h := heads[i]
		ns := h.Metadata.Namespace
		if ns == g.ns {
			ns = ""
		}
		g.rendered[h.Kind+"/"+ns+"/"+h.Metadata.Name] = true
	}
	for i, doc := range p.Docs {
		h := heads[i]
		gv, err := schema.ParseGroupVersion(h.APIVersion)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", h.Kind, h.Metadata.Name, err)
		}
		if !slices.Contains(builtinGroups, gv.Group) {
			g.add(Need{Kind: "CustomResourceDefinition", Name: strings.ToLower(h.Kind) + "s." + gv.Group, APIVersion: h.APIVersion,
				Why: fmt.Sprintf("the release's %s %s", h.Kind, h.Metadata.Name)})
		}
		var err2 error
		switch h.Kind {
		case "Deployment":
			var d appsv1.Deployment
			if err2 = sigsyaml.Unmarshal(doc, &d); err2 == nil {
				g.pod(&d.Spec.Template.Spec, d.Namespace, "the Deployment "+d.Name)
			}
		case "Pod":
			var pod corev1.Pod
			if err2 = sigsyaml.Unmarshal(doc, &pod); err2 == nil {
				g.pod(&pod.Spec, pod.Namespace, "the pod "+pod.Name)
			}
		case "PersistentVolumeClaim":
			var c corev1.PersistentVolumeClaim
			if err2 = sigsyaml.Unmarshal(doc, &c); err2 == nil {
				g.claim(&c)
			}
		case "Ingress":
			var ing networkingv1.Ingress
			if err2 = sigsyaml.Unmarshal(doc, &ing); err2 == nil {
				for _, tls := range ing.Spec.TLS {
					if tls.SecretName != "" {
						g.add(Need{Kind: "Secret", Namespace: ing.Namespace, Name: tls.SecretName, Why: "the TLS certificate of the Ingress " + ing.Name})
					}
				}
			}
		case "NetworkPolicy":
			var np networkingv1.NetworkPolicy
			if err2 = sigsyaml.Unmarshal(doc, &np); err2 == nil {
				g.policy(&np)
			}
		case "ConfigMap":
			var cm corev1.ConfigMap
			if err2 = sigsyaml.Unmarshal(doc, &cm); err2 == nil && cm.Labels["app.kubernetes.io/component"] == "health" {
				err2 = g.checks(cm.Data["config.yaml"], cm.Name)
			}
		}
		if err2 != nil {
			return nil, fmt.Errorf("%s %s: %w", h.Kind, h.Metadata.Name, err2)
		}
	}
	slices.SortStableFunc(g.list, func(a, b Need) int { return slices.Index(kindOrder, a.Kind) - slices.Index(kindOrder, b.Kind) })
	return g.list, nil
}

// kindOrder is the order needs are listed in: what the cluster's operator provides
// first, then the release's own namespace's objects, then other teams' Services.
var kindOrder = []string{"CustomResourceDefinition", "StorageClass", "Namespace", "Secret", "ConfigMap", "PersistentVolumeClaim", "Service"}

// pod: the Secrets, ConfigMaps and claims a pod reads; optional ones are not needed.
func (g *needs) pod(spec *corev1.PodSpec, ns, owner string) {
	for _, c := range append(append([]corev1.Container{}, spec.InitContainers...), spec.Containers...) {
		why := fmt.Sprintf("container %s of %s", c.Name, owner)
		for _, e := range c.Env {
			if e.ValueFrom == nil {
				continue
			}
			if r := e.ValueFrom.SecretKeyRef; r != nil && !isTrue(r.Optional) {
				g.add(Need{Kind: "Secret", Namespace: ns, Name: r.Name, Keys: []string{r.Key}, Why: why})
			}
			if r := e.ValueFrom.ConfigMapKeyRef; r != nil && !isTrue(r.Optional) {
				g.add(Need{Kind: "ConfigMap", Namespace: ns, Name: r.Name, Keys: []string{r.Key}, Why: why})
			}
		}
		for _, e := range c.EnvFrom {
			if r := e.SecretRef; r != nil && !isTrue(r.Optional) {
				g.add(Need{Kind: "Secret", Namespace: ns, Name: r.Name, Why: why})
			}
			if r := e.ConfigMapRef; r != nil && !isTrue(r.Optional) {
				g.add(Need{Kind: "ConfigMap", Namespace: ns, Name: r.Name, Why: why})
			}
		}
	}
	for _, v := range spec.Volumes {
		why := fmt.Sprintf("volume %s of %s", v.Name, owner)
		switch {
		case v.Secret != nil && !isTrue(v.Secret.Optional):
			g.add(Need{Kind: "Secret", Namespace: ns, Name: v.Secret.SecretName, Keys: itemKeys(v.Secret.Items), Why: why})
		case v.ConfigMap != nil && !isTrue(v.ConfigMap.Optional):
			g.add(Need{Kind: "ConfigMap", Namespace: ns, Name: v.ConfigMap.Name, Keys: itemKeys(v.ConfigMap.Items), Why: why})
		case v.PersistentVolumeClaim != nil:
			g.add(Need{Kind: "PersistentVolumeClaim", Namespace: ns, Name: v.PersistentVolumeClaim.ClaimName, Why: why})
		case v.Projected != nil:
			for _, src := range v.Projected.Sources {
				if s := src.Secret; s != nil && !isTrue(s.Optional) {
					g.add(Need{Kind: "Secret", Namespace: ns, Name: s.Name, Keys: itemKeys(s.Items), Why: why})
				}
				if s := src.ConfigMap; s != nil && !isTrue(s.Optional) {
					g.add(Need{Kind: "ConfigMap", Namespace: ns, Name: s.Name, Keys: itemKeys(s.Items), Why: why})
				}
			}
		}
	}
}

// claim: a claim without a class is bound by the cluster's default StorageClass.
func (g *needs) claim(c *corev1.PersistentVolumeClaim) {
	why := "the PersistentVolumeClaim " + c.Name
	switch sc := c.Spec.StorageClassName; {
	case sc == nil:
		g.add(Need{Kind: "StorageClass", Why: why})
	case *sc != "":
		g.add(Need{Kind: "StorageClass", Name: *sc, Why: why})
	}
}

// policy: the namespaces a NetworkPolicy's peers name must exist, or nothing is admitted.
func (g *needs) policy(np *networkingv1.NetworkPolicy) {
	var peers []networkingv1.NetworkPolicyPeer
	for _, r := range np.Spec.Ingress {
		peers = append(peers, r.From...)
	}
	for _, r := range np.Spec.Egress {
		peers = append(peers, r.To...)
	}
	for _, peer := range peers {
		sel := peer.NamespaceSelector
		if sel == nil || (len(sel.MatchLabels) == 0 && len(sel.MatchExpressions) == 0) {
			continue
		}
		why := "a peer of the NetworkPolicy " + np.Name
		if name, ok := sel.MatchLabels[corev1.LabelMetadataName]; ok && len(sel.MatchLabels) == 1 && len(sel.MatchExpressions) == 0 {
			g.add(Need{Kind: "Namespace", Name: name, Why: why})
			continue
		}
		g.add(Need{Kind: "Namespace", Selector: metav1.FormatLabelSelector(sel), Why: why})
	}
}

// checks: a critical check on a Service of the cluster keeps the pod out of traffic
// until that Service answers.
func (g *needs) checks(agentConfig, configMap string) error {
	cfg, err := config.Parse([]byte(agentConfig))
	if err != nil {
		return err
	}
	for _, c := range cfg.Checks {
		if !c.IsCritical() {
			continue
		}
		host := ""
		if c.URL != "" {
			u, err := url.Parse(c.URL)
			if err != nil {
				return fmt.Errorf("check %s: %w", c.Name, err)
			}
			host = u.Hostname()
		} else if c.Address != "" {
			host, _, _ = net.SplitHostPort(c.Address)
		}
		if name, ns, ok := serviceOf(host); ok {
			if ns == "" {
				ns = g.ns
			}
			g.add(Need{Kind: "Service", Namespace: ns, Name: name, Why: fmt.Sprintf("the critical check %s (readiness fails until it answers)", c.Name)})
		}
	}
	return nil
}

// serviceOf is the Service a cluster DNS name stands for: <name> (the pod's own
// namespace) or <name>.<namespace>.svc[.<cluster domain>]. Other names are outside the
// cluster, or loopback.
func serviceOf(host string) (name, namespace string, ok bool) {
	if host == "" || host == "localhost" || net.ParseIP(host) != nil {
		return "", "", false
	}
	labels := strings.Split(host, ".")
	switch {
	case len(labels) == 1:
		return host, "", true
	case len(labels) >= 3 && labels[2] == "svc":
		return labels[0], labels[1], true
	}
	return "", "", false
}

func itemKeys(items []corev1.KeyToPath) []string {
	var keys []string
	for _, it := range items {
		keys = append(keys, it.Key)
	}
	return keys
}

func isTrue(b *bool) bool { return b != nil && *b }
