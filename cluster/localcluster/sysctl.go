package localcluster

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
)

// kubeletSysctls are the host-wide kernel settings the kubelet rewrites at start
// (protectKernelDefaults false): they are not per network namespace, so Up saves them
// and Down puts them back.
var kubeletSysctls = []string{
	"vm/overcommit_memory", "vm/panic_on_oom", "kernel/panic", "kernel/panic_on_oops",
	"kernel/keys/root_maxkeys", "kernel/keys/root_maxbytes",
}

var savedSysctls = filepath.Join(StateDir, "host-sysctls.json")

func saveHostSysctls() error {
	saved := map[string]string{}
	for _, k := range kubeletSysctls {
		if b, err := os.ReadFile("/proc/sys/" + k); err == nil {
			saved[k] = strings.TrimSpace(string(b))
		}
	}
	b, err := json.Marshal(saved)
	if err != nil {
		return err
	}
	return os.WriteFile(savedSysctls, b, 0o644)
}

func restoreHostSysctls() error {
	b, err := os.ReadFile(savedSysctls)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	var saved map[string]string
	if err := json.Unmarshal(b, &saved); err != nil {
		return err
	}
	var errs []error
	for k, v := range saved {
		if err := os.WriteFile("/proc/sys/"+k, []byte(v), 0o644); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
