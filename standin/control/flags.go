package control

import (
	"errors"
	"flag"
	"fmt"
	"math"
	"strconv"
	"time"
)

// FlagEnv pairs a flag with the environment variable that sets it when the command line
// does not.
type FlagEnv struct{ Flag, Env string }

// SetFromEnv sets each flag of pairs whose variable getenv gives (nil getenv: none);
// parse the command line afterwards, so that its flags win. An error names the variable.
func SetFromEnv(fs *flag.FlagSet, getenv func(string) string, pairs []FlagEnv) error {
	if getenv == nil {
		return nil
	}
	for _, p := range pairs {
		v := getenv(p.Env)
		if v == "" {
			continue
		}
		if err := fs.Set(p.Flag, v); err != nil {
			return fmt.Errorf("%s=%q: %w", p.Env, v, err)
		}
	}
	return nil
}

// MaxSeconds bounds a duration: past a year it would overflow or mean nothing to a test.
const MaxSeconds = 365 * 24 * 3600

// ParseSeconds accepts "30", "2.5" (seconds, the way values files write timings) or a Go
// duration ("30s", "1m"); never negative.
func ParseSeconds(v string) (time.Duration, error) {
	var d time.Duration
	if f, err := strconv.ParseFloat(v, 64); err == nil {
		if math.IsNaN(f) || math.Abs(f) > MaxSeconds {
			return 0, fmt.Errorf("%q is out of range", v)
		}
		d = time.Duration(f * float64(time.Second))
	} else if d, err = time.ParseDuration(v); err != nil {
		return 0, fmt.Errorf("%q is neither seconds nor a duration", v)
	}
	if d < 0 {
		return 0, errors.New("must not be negative")
	}
	return d, nil
}

// Seconds is a duration flag that takes ParseSeconds' forms.
type Seconds time.Duration

func (s *Seconds) String() string { return time.Duration(*s).String() }

// Set parses v.
func (s *Seconds) Set(v string) error {
	d, err := ParseSeconds(v)
	if err != nil {
		return err
	}
	*s = Seconds(d)
	return nil
}
