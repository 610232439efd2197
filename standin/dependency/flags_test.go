package dependency

import (
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// ParseOptions layers defaults, the environment and flags, flags last.
func TestParseOptions(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		env     map[string]string
		args    []string
		want    func(*Options)
		wantErr string
	}{
		{name: "defaults", want: func(*Options) {}},
		{
			name: "environment as a values file sets it",
			env: map[string]string{
				EnvListen: ":11434", EnvControlHost: "127.0.0.1", EnvControlPort: "9191", EnvModels: " a , b,,c ",
				EnvMode: "flap", EnvPeriod: "2",
			},
			want: func(o *Options) {
				o.Listen, o.ControlHost, o.ControlPort = ":11434", "127.0.0.1", 9191
				o.Models = []string{"a", "b", "c"}
				o.Mode, o.Period = ModeFlap, 2*time.Second
			},
		},
		{
			name: "flags win over the environment",
			env:  map[string]string{EnvMode: "down", EnvModels: "x"},
			args: []string{"--mode=hang", "--models", "y", "--period=250ms"},
			want: func(o *Options) { o.Mode, o.Models, o.Period = ModeHang, []string{"y"}, 250*time.Millisecond },
		},
		{name: "unknown mode", args: []string{"--mode=sideways"}, wantErr: `mode: "sideways"`},
		{name: "no models", args: []string{"--models= , "}, wantErr: "models"},
		{name: "bad period in env names the variable", env: map[string]string{EnvPeriod: "often"}, wantErr: EnvPeriod},
		{name: "zero period", args: []string{"--period=0"}, wantErr: "positive"},
		{name: "stray argument", args: []string{"up"}, wantErr: "unexpected arguments: up"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseOptions(tc.args, func(k string) string { return tc.env[k] }, io.Discard)
			if tc.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.wantErr)
				return
			}
			require.NoError(t, err)
			want := DefaultOptions()
			tc.want(&want)
			assert.Equal(t, want, got)
		})
	}
}
