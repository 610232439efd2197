package invariants

import (
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"reflect"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"kotaemon-k8s/internal/config"
	"kotaemon-k8s/release"
)

// checkNetworkPolicies is PI-12: a policy that selects the Kotaemon pods selects exactly
// them, never opens the app or health port to everyone, never gives the app's peers the
// health port, and with egress on keeps DNS and every dependency check reachable.
func checkNetworkPolicies(m *Manifest, w *release.Workload) []string {
	var out []string
	selector := w.Deployment.Spec.Selector
	healthPort := 0
	if w.Agent != nil {
		healthPort = w.Agent.ListenPort()
	}
	for _, np := range policiesFor(m, w) {
		if selector == nil || !reflect.DeepEqual(np.Spec.PodSelector.MatchLabels, selector.MatchLabels) || len(np.Spec.PodSelector.MatchExpressions) > 0 {
			out = append(out, fmt.Sprintf("NetworkPolicy %s selects %v, not exactly the Kotaemon pods %v", np.Name, np.Spec.PodSelector.MatchLabels, selector.MatchLabels))
		}
		appPeers := map[string]bool{}
		for i, r := range np.Spec.Ingress {
			ports := rulePorts(w, r.Ports)
			if len(r.From) == 0 {
				out = append(out, fmt.Sprintf("NetworkPolicy %s ingress[%d] admits every source", np.Name, i))
			}
			if len(ports) == 0 {
				out = append(out, fmt.Sprintf("NetworkPolicy %s ingress[%d] opens every port", np.Name, i))
			}
			if ports[w.AppPort] && healthPort != 0 && ports[healthPort] {
				out = append(out, fmt.Sprintf("NetworkPolicy %s ingress[%d] opens the app and health ports to the same peers", np.Name, i))
			}
			if ports[w.AppPort] {
				for _, p := range r.From {
					// An address block is how node CIDRs are admitted: where the kubelet
					// probes both ports (sidecar mode) it rightly reaches both.
					if p.IPBlock == nil {
						appPeers[fmt.Sprint(p)] = true
					}
				}
			}
		}
		for i, r := range np.Spec.Ingress {
			if healthPort == 0 || !rulePorts(w, r.Ports)[healthPort] {
				continue
			}
			for _, p := range r.From {
				if appPeers[fmt.Sprint(p)] {
					out = append(out, fmt.Sprintf("NetworkPolicy %s ingress[%d] gives the app port's peer %v the health port", np.Name, i, p))
				}
			}
		}
		if hasPolicyType(np, networkingv1.PolicyTypeEgress) {
			out = append(out, egressReachesDependencies(w, np)...)
		}
	}
	return out
}

func policiesFor(m *Manifest, w *release.Workload) []networkingv1.NetworkPolicy {
	var out []networkingv1.NetworkPolicy
	for _, np := range m.NetworkPolicies {
		if selectsPod(np.Spec.PodSelector.MatchLabels, w.Deployment.Spec.Template.Labels) || len(np.Spec.PodSelector.MatchLabels) == 0 {
			out = append(out, np)
		}
	}
	return out
}

func hasPolicyType(np networkingv1.NetworkPolicy, t networkingv1.PolicyType) bool {
	for _, pt := range np.Spec.PolicyTypes {
		if pt == t {
			return true
		}
	}
	return false
}

// rulePorts resolves a rule's ports (names through the pod's containers) to numbers.
func rulePorts(w *release.Workload, ports []networkingv1.NetworkPolicyPort) map[int]bool {
	out := map[int]bool{}
	for _, p := range ports {
		if p.Port == nil {
			continue
		}
		if p.Port.Type == intstr.Int {
			out[p.Port.IntValue()] = true
			continue
		}
		for _, c := range w.Containers {
			if n, ok := ContainerPort(c, *p.Port); ok {
				out[n] = true
			}
		}
	}
	return out
}

func egressReachesDependencies(w *release.Workload, np networkingv1.NetworkPolicy) []string {
	var out []string
	allows := func(port int, proto corev1.Protocol) bool {
		for _, r := range np.Spec.Egress {
			if len(r.Ports) == 0 {
				return true
			}
			for _, p := range r.Ports {
				pr := corev1.ProtocolTCP
				if p.Protocol != nil {
					pr = *p.Protocol
				}
				if p.Port != nil && p.Port.Type == intstr.Int && p.Port.IntValue() == port && pr == proto {
					return true
				}
			}
		}
		return false
	}
	if !allows(53, corev1.ProtocolUDP) {
		out = append(out, fmt.Sprintf("NetworkPolicy %s restricts egress but does not allow DNS (53/UDP)", np.Name))
	}
	for _, d := range dependencyEndpoints(w.Agent) {
		if !allows(d.port, corev1.ProtocolTCP) {
			out = append(out, fmt.Sprintf("NetworkPolicy %s restricts egress but check %q (port %d) is not reachable", np.Name, d.name, d.port))
			continue
		}
		if d.addr.IsValid() && !d.addr.IsLoopback() && !reachesAddress(np, d.addr, d.port) {
			out = append(out, fmt.Sprintf("NetworkPolicy %s opens no rule on port %d to an ipBlock holding %s, which check %q reaches (selectors match pods, not addresses)", np.Name, d.port, d.addr, d.name))
		}
	}
	return out
}

// reachesAddress reports whether an egress rule opens the TCP port to a block that holds
// the address (or to every destination).
func reachesAddress(np networkingv1.NetworkPolicy, addr netip.Addr, port int) bool {
	for _, r := range np.Spec.Egress {
		portOpen := len(r.Ports) == 0
		for _, p := range r.Ports {
			tcp := p.Protocol == nil || *p.Protocol == corev1.ProtocolTCP
			portOpen = portOpen || tcp && p.Port != nil && p.Port.Type == intstr.Int && p.Port.IntValue() == port
		}
		held := len(r.To) == 0
		for _, peer := range r.To {
			held = held || peer.IPBlock != nil && blockHolds(*peer.IPBlock, addr)
		}
		if portOpen && held {
			return true
		}
	}
	return false
}

// blockHolds reports whether the address is inside the block's CIDR and outside its
// except ranges.
func blockHolds(b networkingv1.IPBlock, addr netip.Addr) bool {
	cidr, err := netip.ParsePrefix(b.CIDR)
	if err != nil || !cidr.Contains(addr) {
		return false
	}
	for _, e := range b.Except {
		if ex, err := netip.ParsePrefix(e); err == nil && ex.Contains(addr) {
			return false
		}
	}
	return true
}

// endpoint is where a check connects: its TCP port, and its address when the host is an
// IP literal.
type endpoint struct {
	name string
	addr netip.Addr // zero unless the host is an IP literal
	port int
}

// dependencyEndpoints lists each configured check's endpoint.
func dependencyEndpoints(a *config.Config) []endpoint {
	if a == nil {
		return nil
	}
	var out []endpoint
	for _, c := range a.Checks {
		hostport, def := c.Address, 80
		if c.URL != "" {
			u, err := url.Parse(c.URL)
			if err != nil {
				continue
			}
			hostport = u.Host
			if u.Scheme == "https" {
				def = 443
			}
		}
		if hostport == "" {
			continue
		}
		e := endpoint{name: c.Name, port: def}
		host := strings.TrimSuffix(strings.TrimPrefix(hostport, "["), "]")
		if h, p, err := net.SplitHostPort(hostport); err == nil {
			host = h
			if n, err := strconv.Atoi(p); err == nil {
				e.port = n
			}
		}
		e.addr, _ = netip.ParseAddr(host)
		out = append(out, e)
	}
	return out
}
