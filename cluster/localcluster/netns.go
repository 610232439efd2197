package localcluster

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"

	"golang.org/x/sys/unix"
)

// setupNetNS creates the namespace the whole cluster lives in: loopback up and a bridge
// with no ports carrying the node address. With no link to the host there is no route
// off the machine, so no cluster packet can leave and no pod can reach outside.
func setupNetNS() error {
	if _, err := os.Stat(netnsPath); err != nil {
		if _, err := run("ip", "netns", "add", NetNS); err != nil {
			return err
		}
	}
	steps := [][]string{
		{"link", "set", "lo", "up"},
		{"link", "add", BridgeName, "type", "bridge"},
		{"link", "set", BridgeName, "up"},
		{"addr", "add", NodeIP + "/32", "dev", BridgeName},
		// Without a route a connect() to a ClusterIP fails before kube-proxy's DNAT applies.
		{"route", "add", ServiceCIDR, "dev", BridgeName},
	}
	for _, s := range steps {
		if out, err := run("ip", append([]string{"-n", NetNS}, s...)...); err != nil && !strings.Contains(out, "File exists") {
			return err
		}
	}
	sysctls := map[string]string{
		"net/ipv4/ip_forward":                       "1",
		"net/bridge/bridge-nf-call-iptables":        "1",
		"net/bridge/bridge-nf-call-ip6tables":       "1",
		"net/ipv4/conf/all/route_localnet":          "1",
		"net/ipv4/ping_group_range":                 "0 2147483647",
		"net/netfilter/nf_conntrack_tcp_be_liberal": "1",
	}
	for k, v := range sysctls {
		if err := nsWrite("/proc/sys/"+k, v); err != nil {
			if k == "net/bridge/bridge-nf-call-iptables" {
				return fmt.Errorf("%w: br_netfilter is missing from this kernel", errUnsupported)
			}
			if k == "net/netfilter/nf_conntrack_tcp_be_liberal" || k == "net/ipv4/ping_group_range" {
				continue // nice to have
			}
			return fmt.Errorf("setting %s in the cluster namespace: %w", k, err)
		}
	}
	return nil
}

// hostGuardCIDRs cover every cluster address. On the host they get "unreachable" routes,
// so a client started outside the namespace by mistake fails at once on this machine
// instead of sending a cluster address out through the host's default route.
var hostGuardCIDRs = []string{NodeIP + "/32", ServiceCIDR, PodCIDR}

// legacyGuardCIDRs were guarded by earlier versions; down removes them too. (The whole
// node /16 was guarded once, which swallowed a host DNS resolver living in it.)
var legacyGuardCIDRs = []string{"10.255.0.0/16"}

func guardHostRoutes() error {
	if err := resolversOutside(hostGuardCIDRs); err != nil {
		return err
	}
	for _, c := range hostGuardCIDRs {
		out, err := run("ip", "route", "add", "unreachable", c)
		if err != nil && !strings.Contains(out, "File exists") {
			return err
		}
		if err != nil {
			// Something routes it already: fine if it is our own guard, fatal otherwise.
			show, _ := run("ip", "route", "show", "exact", c)
			if !strings.HasPrefix(strings.TrimSpace(show), "unreachable") {
				return unsupported("the host already routes " + c + " (" + strings.TrimSpace(show) + "), which the cluster uses")
			}
		}
	}
	return nil
}

func removeHostRoutes() {
	for _, c := range append(append([]string{}, hostGuardCIDRs...), legacyGuardCIDRs...) {
		if show, _ := run("ip", "route", "show", "exact", c); strings.HasPrefix(strings.TrimSpace(show), "unreachable") {
			_, _ = run("ip", "route", "del", "unreachable", c)
		}
	}
}

// nsWrite writes a /proc/sys file as seen from inside the cluster's namespace.
func nsWrite(path, value string) error {
	return inNetNS(func() error { return os.WriteFile(path, []byte(value), 0o644) })
}

// inNetNS runs f on an OS thread switched into the cluster's network namespace. The
// thread is never unlocked, so Go discards it afterwards and the switch cannot leak.
func inNetNS(f func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		fd, err := unix.Open(netnsPath, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			errc <- fmt.Errorf("opening %s: %w", netnsPath, err)
			return
		}
		defer unix.Close(fd)
		if err := unix.Setns(fd, unix.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("entering %s: %w", netnsPath, err)
			return
		}
		errc <- f()
	}()
	return <-errc
}

// DialContext opens a TCP connection from inside the cluster's namespace: the socket
// belongs to the namespace of the thread that created it. Only IP literals are dialled.
func DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	var c net.Conn
	err := inNetNS(func() error {
		var err error
		c, err = (&net.Dialer{}).DialContext(ctx, network, addr)
		return err
	})
	return c, err
}

// deleteNetNS removes the pods' namespaces left by CNI and then the cluster's own,
// which takes cni0, the veths and every iptables rule and ipset made inside it.
func deleteNetNS() error {
	entries, _ := os.ReadDir("/run/netns")
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "cni-") {
			_, _ = run("ip", "netns", "del", e.Name())
			_ = unix.Unmount("/run/netns/"+e.Name(), unix.MNT_DETACH)
			_ = os.Remove("/run/netns/" + e.Name())
		}
	}
	if _, err := os.Stat(netnsPath); err == nil {
		if _, err := run("ip", "netns", "del", NetNS); err != nil {
			return err
		}
	}
	return nil
}

// Exec replaces this process with argv run inside the cluster's network namespace, with
// KUBECONFIG and the containerd address set for kubectl, helm, go test and ctr.
func (o Options) Exec(argv []string) error {
	if _, err := os.Stat(netnsPath); err != nil {
		return fmt.Errorf("the embedded cluster is not up (no %s): run `make cluster-up`", netnsPath)
	}
	nsenter, err := exec.LookPath("nsenter")
	if err != nil {
		return err
	}
	env := setEnv(os.Environ(), map[string]string{
		"KUBECONFIG": o.Kubeconfig,
		// kubectl of the cluster's own version, after any the caller has.
		"PATH":                 os.Getenv("PATH") + ":" + filepath.Dir(o.bin("kubectl")),
		"CONTAINERD_ADDRESS":   ctrdSocket,
		"CONTAINERD_NAMESPACE": "k8s.io",
		"KOTAEMON_CLUSTER":     "embedded",
	})
	return unix.Exec(nsenter, append([]string{"nsenter", "--net=" + netnsPath, "--"}, argv...), env)
}

// setEnv returns env with the given variables set, replacing earlier values.
func setEnv(env []string, vars map[string]string) []string {
	out := make([]string, 0, len(env)+len(vars))
	for _, kv := range env {
		if k, _, _ := strings.Cut(kv, "="); vars[k] == "" {
			out = append(out, kv)
		}
	}
	for k, v := range vars {
		out = append(out, k+"="+v)
	}
	return out
}

// resolversOutside refuses a host whose DNS resolver lives in an address range the
// cluster guards: the guard route would cut the host's name resolution (and with it
// the module proxy and image pulls) for as long as the cluster runs.
func resolversOutside(cidrs []string) error {
	b, err := os.ReadFile("/etc/resolv.conf")
	if err != nil {
		return nil // no resolver configured: nothing to cut
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 || f[0] != "nameserver" {
			continue
		}
		ip := net.ParseIP(f[1])
		for _, c := range cidrs {
			if _, n, err := net.ParseCIDR(c); err == nil && ip != nil && n.Contains(ip) {
				return unsupported("the host's DNS resolver " + f[1] + " is inside " + c + ", which the cluster uses")
			}
		}
	}
	return nil
}
