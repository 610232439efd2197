package localcluster

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// record identifies a process we started. The start time (from /proc/PID/stat) guards
// against signalling an unrelated process that reused the PID after a reboot or crash.
type record struct {
	Name      string `json:"name"`
	PID       int    `json:"pid"`
	StartTime uint64 `json:"startTime"`
}

// procStart returns field 22 of /proc/PID/stat and whether the process is a zombie.
func procStart(pid int) (start uint64, zombie bool, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, false, err
	}
	// The command name is in parentheses and may hold spaces: split after the last ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, false, fmt.Errorf("unexpected /proc/%d/stat", pid)
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 20 {
		return 0, false, fmt.Errorf("short /proc/%d/stat", pid)
	}
	start, err = strconv.ParseUint(f[19], 10, 64)
	return start, f[0] == "Z", err
}

// alive reports whether the recorded process still runs (and is the one we started).
func (r record) alive() bool {
	st, zombie, err := procStart(r.PID)
	return err == nil && !zombie && st == r.StartTime
}

func recordPath(name string) string { return filepath.Join(pidDir, name+".json") }

func readRecord(name string) (record, bool) {
	b, err := os.ReadFile(recordPath(name))
	if err != nil {
		return record{}, false
	}
	var r record
	if json.Unmarshal(b, &r) != nil || r.PID <= 1 {
		return record{}, false
	}
	return r, true
}

// started is a component process launched by start.
type started struct {
	record
	exited chan struct{} // closed when the process exits while we still run
	err    error
	log    string
}

// start launches bin inside the cluster's network namespace (network only: the mount
// namespace stays the host's, which containerd and the kubelet need), in a session of
// its own so it outlives this tool, and records its PID.
func (o Options) start(name, bin string, args []string, env ...string) (*started, error) {
	if err := os.MkdirAll(pidDir, 0o755); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(o.logDir(), 0o755); err != nil {
		return nil, err
	}
	logPath := filepath.Join(o.logDir(), name+".log")
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	// nsenter without --fork execs the binary in place, so the PID is the component's.
	cmd := exec.Command("nsenter", append([]string{"--net=" + netnsPath, "--", bin}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	s := &started{exited: make(chan struct{}), log: logPath}
	s.Name, s.PID = name, cmd.Process.Pid
	go func() { s.err = cmd.Wait(); close(s.exited) }()
	// The start time is read once the process exists; nsenter keeps the same PID.
	if s.StartTime, _, err = procStart(s.PID); err != nil {
		return nil, fmt.Errorf("%s exited at once (see %s)", name, logPath)
	}
	b, _ := json.Marshal(s.record)
	if err := os.WriteFile(recordPath(name), b, 0o644); err != nil {
		return nil, err
	}
	return s, nil
}

// stopRecorded stops the named component by its recorded PID: SIGTERM, then SIGKILL
// after grace. A missing record or a process that is already gone is not an error.
func stopRecorded(name string, grace time.Duration) error {
	r, ok := readRecord(name)
	if ok {
		if err := stopPID(r, grace); err != nil {
			return fmt.Errorf("stopping %s (pid %d): %w", name, r.PID, err)
		}
	}
	if err := os.Remove(recordPath(name)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

func stopPID(r record, grace time.Duration) error {
	if !r.alive() {
		return nil
	}
	_ = syscall.Kill(r.PID, syscall.SIGTERM)
	deadline := time.Now().Add(grace)
	for time.Now().Before(deadline) {
		if !r.alive() {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	_ = syscall.Kill(r.PID, syscall.SIGKILL)
	deadline = time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if !r.alive() {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return errors.New("still running after SIGKILL")
}

// tail returns the last lines of a log, for error messages.
func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// run executes a helper command on the host and returns its combined output.
func run(name string, args ...string) (string, error) {
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return string(out), nil
}
