package config

import (
	"fmt"
	"net"
	"net/url"
	"time"
)

// Bounds a configuration stays within. Each keeps a typo from hurting the pod the
// agent is PID 1 of: a 2 ms interval floods a dependency, an hour-long app timeout
// outlives every probe, a 1000-hour drain never ends, a huge file is read into memory.
const (
	MinCheckInterval     = time.Second
	MaxCheckInterval     = 24 * time.Hour
	MaxCheckTimeout      = 5 * time.Minute
	MaxCheckThreshold    = 10
	MaxAppTimeout        = time.Minute
	MaxDrainDelay        = 5 * time.Minute
	MaxStopTimeout       = 10 * time.Minute
	MaxAnswersTimeout    = 30 * time.Minute
	MaxConfigBytes       = 1 << 20
	MinHS256SecretBytes  = 32 // RFC 7518: a key at least as long as the hash
	maxValueInMessage    = 80 // characters of a value quoted back in an error
	DefaultCheckFailures = 2  // consecutive failed runs before a check is down
	DefaultCheckPasses   = 1  // consecutive passed runs before it is up again
)

// within reports a duration outside [min, max] as the field's error.
func within(field string, d, min, max time.Duration) error {
	if d < min || d > max {
		return fieldErr(field, "%s is outside %s..%s", d, min, max)
	}
	return nil
}

// validateBounds checks the agent-wide bounds: app timeouts, the drain, the app's
// address (loopback: the agent asks the app in its own pod, never across the network).
func (c *Config) validateBounds() error {
	for _, p := range []struct {
		name  string
		probe AppProbe
	}{{"app.live", c.App.Live}, {"app.ready", c.App.Ready}} {
		if err := within(p.name+".timeout", p.probe.Timeout, time.Millisecond, MaxAppTimeout); err != nil {
			return err
		}
	}
	if err := within("shutdown.drainDelay", c.Shutdown.DrainDelay, 0, MaxDrainDelay); err != nil {
		return err
	}
	if err := within("shutdown.answersTimeout", c.Shutdown.AnswersTimeout, 0, MaxAnswersTimeout); err != nil {
		return err
	}
	if err := within("shutdown.stopTimeout", c.Shutdown.StopTimeout, time.Millisecond, MaxStopTimeout); err != nil {
		return err
	}
	u, err := url.Parse(c.App.URL)
	if err != nil {
		return fieldErr("app.url", "%v", err)
	}
	if h := u.Hostname(); h != "localhost" && !isLoopbackIP(h) {
		return fieldErr("app.url", "%q is not on loopback: the app runs in the agent's pod (127.0.0.1)", c.App.URL)
	}
	return nil
}

func isLoopbackIP(host string) bool {
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// truncate shortens a value quoted back in an error, so a huge value cannot make a huge
// log line.
func truncate(s string) string {
	if len(s) <= maxValueInMessage {
		return s
	}
	return fmt.Sprintf("%s...(%d more bytes)", s[:maxValueInMessage], len(s)-maxValueInMessage)
}
