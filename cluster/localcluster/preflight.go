package localcluster

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
)

var errUnsupported = errors.New("the embedded cluster cannot run on this machine")

// unsupported explains why the cluster cannot run and what works instead.
func unsupported(reason string) error {
	return fmt.Errorf("%w: %s.\nAny cluster works instead: set KUBECONFIG to a kind, minikube or real "+
		"cluster and the suites use it", errUnsupported, reason)
}

// preflight refuses early and clearly where the cluster cannot work.
func preflight() error {
	if runtime.GOOS != "linux" {
		return unsupported("it needs Linux (network namespaces, cgroups, overlayfs), this is " + runtime.GOOS)
	}
	if os.Geteuid() != 0 {
		return unsupported("it must run as root (network namespaces, mounts, cgroups, iptables)")
	}
	if _, err := os.Stat("/proc/self/ns/net"); err != nil {
		return unsupported("the kernel has no network namespaces")
	}
	fs, _ := os.ReadFile("/proc/filesystems")
	if !strings.Contains(string(fs), "\toverlay\n") {
		return unsupported("the kernel has no overlay filesystem (containerd's overlayfs snapshotter needs it)")
	}
	_, v1 := os.Stat("/sys/fs/cgroup/memory")
	ctrl, v2 := os.ReadFile("/sys/fs/cgroup/cgroup.controllers")
	if v1 != nil && (v2 != nil || !strings.Contains(string(ctrl), "memory")) {
		return unsupported("no memory cgroup controller is mounted")
	}
	for _, tool := range []string{"ip", "nsenter", "mount"} {
		if _, err := exec.LookPath(tool); err != nil {
			return unsupported(tool + " is not installed")
		}
	}
	return nil
}

// debianPackages maps a file the cluster needs to the Debian package that ships it.
var debianPackages = []struct{ file, pkg string }{
	{"containerd", "containerd"},
	{"ctr", "containerd"},
	{"containerd-shim-runc-v2", "containerd"},
	{"runc", "runc"},
	{"/usr/lib/cni/bridge", "containernetworking-plugins"},
	{"iptables", "iptables"},
	{"ipset", "ipset"},
	{"conntrack", "conntrack"},
}

// ensurePackages installs the missing runtime packages with apt-get. Debian's policy
// keeps containerd from starting on install; we run our own with our own config.
func ensurePackages(p phase) error {
	var missing []string
	seen := map[string]bool{}
	for _, d := range debianPackages {
		found := false
		if strings.HasPrefix(d.file, "/") {
			_, err := os.Stat(d.file)
			found = err == nil
		} else {
			_, err := exec.LookPath(d.file)
			found = err == nil
		}
		if !found && !seen[d.pkg] {
			seen[d.pkg] = true
			missing = append(missing, d.pkg)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	if _, err := exec.LookPath("apt-get"); err != nil {
		return unsupported("missing packages " + strings.Join(missing, ", ") + " and no apt-get to install them")
	}
	p.say("installing %s with apt-get", strings.Join(missing, " "))
	install := func() error {
		cmd := exec.Command("apt-get", append([]string{"install", "-y", "-q", "--no-install-recommends"}, missing...)...)
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		return cmd.Run()
	}
	if err := install(); err != nil {
		if _, err := run("apt-get", "update", "-q"); err != nil {
			return err
		}
		if err := install(); err != nil {
			return fmt.Errorf("installing %s: %w", strings.Join(missing, " "), err)
		}
	}
	return nil
}
