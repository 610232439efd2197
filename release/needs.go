package release

import (
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

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

// Needs lists what the release in m needs from the cluster and does not create, in the
// order of kindOrder, then of the objects that name it. The release's namespace is its
// Deployment's: needs in it have an empty Namespace.
func (m *Manifest) Needs() ([]Need, error) {
	g := &needs{rendered: map[string]bool{}, index: map[string]int{}}
	if len(m.Deployments) > 0 {
		g.ns = m.Deployments[0].Namespace
	}
	objects := m.objects()
	for _, o := range objects {
		ns := o.GetNamespace()
		if ns == g.ns {
			ns = ""
		}
		g.rendered[o.GetKind()+"/"+ns+"/"+o.GetName()] = true
	}
	for _, o := range objects {
		gv, err := schema.ParseGroupVersion(o.GetAPIVersion())
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", o.GetKind(), o.GetName(), err)
		}
		if !slices.Contains(builtinGroups, gv.Group) {
			g.add(Need{Kind: "CustomResourceDefinition", Name: strings.ToLower(o.GetKind()) + "s." + gv.Group, APIVersion: o.GetAPIVersion(),
				Why: fmt.Sprintf("the release's %s %s", o.GetKind(), o.GetName())})
		}
	}
	for i := range m.Deployments {
		d := &m.Deployments[i]
		g.pod(&d.Spec.Template.Spec, d.Namespace, "the Deployment "+d.Name)
	}
	for i := range m.Pods {
		g.pod(&m.Pods[i].Spec, m.Pods[i].Namespace, "the pod "+m.Pods[i].Name)
	}
	for i := range m.Claims {
		g.claim(&m.Claims[i])
	}
	for _, ing := range m.Ingresses {
		for _, tls := range ing.Spec.TLS {
			if tls.SecretName != "" {
				g.add(Need{Kind: "Secret", Namespace: ing.Namespace, Name: tls.SecretName, Why: "the TLS certificate of the Ingress " + ing.Name})
			}
		}
	}
	for i := range m.NetworkPolicies {
		g.policy(&m.NetworkPolicies[i])
	}
	for _, cm := range m.ConfigMaps {
		if cm.Labels["app.kubernetes.io/component"] != "health" {
			continue
		}
		if err := g.checks(cm.Data[agentConfigKey]); err != nil {
			return nil, fmt.Errorf("ConfigMap %s: %w", cm.Name, err)
		}
	}
	slices.SortStableFunc(g.list, func(a, b Need) int { return slices.Index(kindOrder, a.Kind) - slices.Index(kindOrder, b.Kind) })
	return g.list, nil
}

// object is what Needs reads of any object.
type object interface {
	GetAPIVersion() string
	GetKind() string
	GetName() string
	GetNamespace() string
}

// typed gives a typed object the apiVersion and kind its document had.
type typed struct {
	metav1.Object
	apiVersion, kind string
}

func (t typed) GetAPIVersion() string { return t.apiVersion }
func (t typed) GetKind() string       { return t.kind }

// objects are every object of the manifest.
func (m *Manifest) objects() []object {
	var out []object
	add := func(apiVersion, kind string, o metav1.Object) { out = append(out, typed{o, apiVersion, kind}) }
	for i := range m.Deployments {
		add("apps/v1", "Deployment", &m.Deployments[i])
	}
	for i := range m.Services {
		add("v1", "Service", &m.Services[i])
	}
	for i := range m.ConfigMaps {
		add("v1", "ConfigMap", &m.ConfigMaps[i])
	}
	for i := range m.Secrets {
		add("v1", "Secret", &m.Secrets[i])
	}
	for i := range m.ServiceAccounts {
		add("v1", "ServiceAccount", &m.ServiceAccounts[i])
	}
	for i := range m.Claims {
		add("v1", "PersistentVolumeClaim", &m.Claims[i])
	}
	for i := range m.Pods {
		add("v1", "Pod", &m.Pods[i])
	}
	for i := range m.Ingresses {
		add("networking.k8s.io/v1", "Ingress", &m.Ingresses[i])
	}
	for i := range m.NetworkPolicies {
		add("networking.k8s.io/v1", "NetworkPolicy", &m.NetworkPolicies[i])
	}
	for i := range m.Budgets {
		add("policy/v1", "PodDisruptionBudget", &m.Budgets[i])
	}
	for i := range m.HTTPRoutes {
		add("gateway.networking.k8s.io/v1", "HTTPRoute", &m.HTTPRoutes[i])
	}
	for i := range m.Custom {
		out = append(out, &m.Custom[i])
	}
	for i := range m.Other {
		out = append(out, &m.Other[i])
	}
	return out
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
func (g *needs) checks(agentConfig string) error {
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
