package config

import (
	"errors"
	"testing"
)

// FuzzParse: any input either parses into a config that passes validation again, or
// fails with an error; it never panics, and field errors always name a field.
func FuzzParse(f *testing.F) {
	f.Add([]byte(full))
	f.Add([]byte(""))
	f.Add([]byte("listen: \":8000\"\nchecks:\n  - name: a\n    type: tcp\n    interval: 1s\n    timeout: 500ms\n    address: h:1\n"))
	f.Add([]byte("app: &a {url: http://x}\nshutdown: *a\n"))
	f.Add([]byte("checks: [{name: a, type: disk, interval: 1m, timeout: 1s, path: /d, minFreeBytes: 0x10}]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Parse(data)
		if err != nil {
			var fe *FieldError
			if errors.As(err, &fe) && fe.Field == "" && fe.Msg == "" {
				t.Fatalf("empty field error for %q", data)
			}
			return
		}
		if err := cfg.validate(); err != nil {
			t.Fatalf("parsed config does not validate again: %v", err)
		}
		for _, c := range cfg.Checks {
			if c.Timeout >= c.Interval {
				t.Fatalf("accepted timeout %s >= interval %s", c.Timeout, c.Interval)
			}
		}
	})
}
