package localcluster

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// exclusive checks that the cluster can run here, then takes the lock that up and down
// share; the caller releases it.
func exclusive() (func(), error) {
	if err := preflight(); err != nil {
		return nil, err
	}
	return lock()
}

// lock serialises up and down across processes. The lock file lives outside StateDir
// so that teardown can remove StateDir while holding it.
func lock() (func(), error) {
	if err := os.MkdirAll(filepath.Dir(lockFile), 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(lockFile, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	deadline := time.Now().Add(10 * time.Minute)
	for {
		if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err == nil {
			break
		}
		if time.Now().After(deadline) {
			f.Close()
			return nil, errors.New("another localcluster up/down holds " + lockFile)
		}
		time.Sleep(200 * time.Millisecond)
	}
	return func() { _ = unix.Flock(int(f.Fd()), unix.LOCK_UN); f.Close() }, nil
}

// leftovers reports whether anything an earlier up made is still on the machine.
func leftovers() bool {
	for _, p := range []string{StateDir, RunDir, netnsPath} {
		if _, err := os.Stat(p); err == nil {
			return true
		}
	}
	if show, _ := run("ip", "route", "show", "exact", ServiceCIDR); strings.HasPrefix(strings.TrimSpace(show), "unreachable") {
		return true
	}
	return len(cgroupDirs()) > 0
}

// Down removes everything Up made; on a machine without a cluster it does nothing.
func (o Options) Down(ctx context.Context) error {
	p := phase{out: o.Out, start: time.Now()}
	unlock, err := exclusive()
	if err != nil {
		return err
	}
	defer unlock()
	if !leftovers() {
		removeHostLeftovers()
		_ = os.Remove(o.Kubeconfig)
		p.say("cluster already down")
		return nil
	}
	if err := o.teardown(p); err != nil {
		return err
	}
	_ = os.Remove(o.Kubeconfig)
	p.say("cluster down")
	return nil
}

// teardown stops processes by their recorded PIDs, removes containers through ctr,
// unmounts, deletes the namespaces (with their links, iptables rules and ipsets), the
// kubepods cgroups and the state directories. Each step tolerates a missing object.
func (o Options) teardown(p phase) error {
	var errs []error
	parallelStop := func(names []string, grace time.Duration) {
		var wg sync.WaitGroup
		var mu sync.Mutex
		for _, n := range names {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := stopRecorded(n, grace); err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
	}
	parallelStop([]string{"provisioner", "kube-router", "kube-proxy", "coredns", "kube-scheduler", "kube-controller-manager", "kubelet"}, 5*time.Second)
	p.say("node components stopped")
	if r, ok := readRecord("containerd"); ok && r.alive() {
		if n, err := removeCRIContainers(); err != nil {
			p.say("removing containers through ctr: %v (continuing: their processes are killed below)", err)
		} else if n > 0 {
			p.say("removed %d containers through ctr", n)
		}
	}
	parallelStop([]string{"containerd"}, 10*time.Second)
	p.say("containerd stopped")
	killShims()
	if err := killCgroupProcs(10 * time.Second); err != nil {
		errs = append(errs, err)
	}
	p.say("container processes gone")
	// Their data is about to be deleted: no need to wait long for a graceful exit.
	parallelStop([]string{"kube-apiserver", "etcd"}, 2*time.Second)
	p.say("apiserver and etcd stopped")

	if err := unmountUnder(StateDir, RunDir, "/run/containerd/", "/run/netns/cni-"); err != nil {
		errs = append(errs, err)
	}
	if err := deleteNetNS(); err != nil {
		errs = append(errs, err)
	}
	if err := removeCgroups(10 * time.Second); err != nil {
		errs = append(errs, err)
	}
	removeHostLeftovers()
	removeHostRoutes()
	if err := restoreHostSysctls(); err != nil {
		errs = append(errs, err)
	}
	for _, d := range []string{StateDir, RunDir} {
		if err := os.RemoveAll(d); err != nil {
			errs = append(errs, err)
		}
	}
	_ = unix.Rmdir(baseDir) // only when empty
	p.say("mounts, namespaces, cgroups and state removed")
	return errors.Join(errs...)
}

// removeCRIContainers kills and deletes every task and container in containerd's k8s.io
// namespace, returning how many containers were removed.
func removeCRIContainers() (int, error) {
	ctr := func(args ...string) (string, error) {
		return run("timeout", append([]string{"10", "ctr", "--address", ctrdSocket, "-n", "k8s.io"}, args...)...)
	}
	tasks, err := ctr("tasks", "ls", "-q")
	if err != nil {
		return 0, err
	}
	if ids := strings.Fields(tasks); len(ids) > 0 {
		// --force kills a running task before deleting it.
		_, _ = ctr(append([]string{"tasks", "delete", "-f"}, ids...)...)
	}
	ids, err := ctr("containers", "ls", "-q")
	if err != nil {
		return 0, err
	}
	if f := strings.Fields(ids); len(f) > 0 {
		if _, err := ctr(append([]string{"containers", "delete"}, f...)...); err != nil {
			return 0, err
		}
		return len(f), nil
	}
	return 0, nil
}

// killShims stops the runc shims that outlived their containerd (after a crash or a
// kill -9). containerd 1.6 records no shim PID on disk, so a shim is recognised by what
// ties it to this cluster alone: its executable is a containerd shim and its command line
// names this cluster's containerd socket. Unrelated shims never match.
func killShims() {
	procs, _ := os.ReadDir("/proc")
	for _, e := range procs {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid <= 1 {
			continue
		}
		exe, _ := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
		if !strings.HasPrefix(filepath.Base(exe), "containerd-shim") {
			continue
		}
		cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		if strings.Contains(string(cmdline), "\x00-address\x00"+ctrdSocket+"\x00") {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

// cgroupDirs lists the kubepods cgroups the kubelet created, in every hierarchy.
func cgroupDirs() []string {
	dirs, _ := filepath.Glob("/sys/fs/cgroup/*/kubepods")
	if _, err := os.Stat("/sys/fs/cgroup/kubepods"); err == nil {
		dirs = append(dirs, "/sys/fs/cgroup/kubepods")
	}
	return dirs
}

// killCgroupProcs kills every process left in the pods' cgroups (container processes
// whose shim is gone): the kernel's record of what the kubelet started.
func killCgroupProcs(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		var pids []int
		for _, root := range cgroupDirs() {
			_ = filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
				if err != nil || d.IsDir() || d.Name() != "cgroup.procs" {
					return nil
				}
				b, _ := os.ReadFile(path)
				for _, f := range strings.Fields(string(b)) {
					if pid, err := strconv.Atoi(f); err == nil && pid > 1 {
						pids = append(pids, pid)
					}
				}
				return nil
			})
		}
		if len(pids) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("processes %v still in the kubepods cgroups", pids)
		}
		for _, pid := range pids {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// removeCgroups removes the kubepods trees, deepest first.
func removeCgroups(timeout time.Duration) error {
	var errs []error
	for _, root := range cgroupDirs() {
		var dirs []string
		_ = filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				dirs = append(dirs, path)
			}
			return nil
		})
		sort.Slice(dirs, func(i, j int) bool { return len(dirs[i]) > len(dirs[j]) })
		for _, d := range dirs {
			deadline := time.Now().Add(timeout)
			for {
				err := unix.Rmdir(d)
				if err == nil || errors.Is(err, unix.ENOENT) {
					break
				}
				if time.Now().After(deadline) {
					errs = append(errs, fmt.Errorf("removing cgroup %s: %w", d, err))
					break
				}
				time.Sleep(100 * time.Millisecond)
			}
		}
	}
	return errors.Join(errs...)
}

// unmountUnder detaches every mount whose mount point starts with one of the prefixes,
// deepest first.
func unmountUnder(prefixes ...string) error {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return err
	}
	defer f.Close()
	var points []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 5 {
			continue
		}
		mp := unescapeMount(fields[4])
		for _, pre := range prefixes {
			if strings.HasPrefix(mp, pre) || mp+"/" == pre {
				points = append(points, mp)
				break
			}
		}
	}
	sort.Slice(points, func(i, j int) bool { return len(points[i]) > len(points[j]) })
	var errs []error
	for _, mp := range points {
		if err := unix.Unmount(mp, unix.MNT_DETACH); err != nil && !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.ENOENT) {
			errs = append(errs, fmt.Errorf("unmounting %s: %w", mp, err))
		}
	}
	return errors.Join(errs...)
}

// unescapeMount decodes the octal escapes (\040 for a space) of /proc/self/mountinfo.
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// removeHostLeftovers removes what the runtime writes at fixed host paths: the shims'
// sockets, CNI's result cache for our network, the kubelet's container log links.
func removeHostLeftovers() {
	cached, _ := filepath.Glob("/var/lib/cni/results/kotaemon-k8s-*")
	if _, err := os.Stat("/run/containerd/containerd.sock"); err != nil {
		// No other containerd runs here: the shim sockets, fifos and runc state in
		// /run/containerd and the results of CRI's loopback network are ours.
		_ = os.RemoveAll("/run/containerd")
		loopback, _ := filepath.Glob("/var/lib/cni/results/cni-loopback-*")
		cached = append(cached, loopback...)
	}
	for _, f := range cached {
		_ = os.Remove(f)
	}
	links, _ := filepath.Glob("/var/log/containers/*.log")
	for _, l := range links {
		if t, err := os.Readlink(l); err == nil && strings.HasPrefix(t, StateDir) {
			_ = os.Remove(l)
		}
	}
	// `ip netns add` made /run/netns a mount of its own; take it away once it is empty.
	if entries, err := os.ReadDir("/run/netns"); err == nil && len(entries) == 0 {
		_ = unix.Unmount("/run/netns", unix.MNT_DETACH)
		_ = unix.Rmdir("/run/netns")
	}
	// The kubelet keeps its device-plugin socket at a fixed path whatever its root dir.
	_ = os.RemoveAll("/var/lib/kubelet/device-plugins")
	// Directories the runtime created at fixed paths go only when nothing else is in them.
	for _, d := range []string{"/var/lib/kubelet", "/var/lib/cni/results", "/var/lib/cni", "/var/log/containers", "/var/log/pods"} {
		_ = unix.Rmdir(d)
	}
}
