package kotaemon

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
		{name: "defaults match the real image", want: func(*Options) {}},
		{
			name: "environment as a values file sets it",
			env: map[string]string{
				EnvServerName: "127.0.0.1", EnvServerPort: "7861", EnvControlHost: "127.0.0.1", EnvControlPort: "9191",
				EnvStartup: "30", EnvNeverStart: "true", EnvWorkers: "40", EnvDrain: "2s",
				EnvIgnoreSigterm: "1", EnvDataDir: "/data",
			},
			want: func(o *Options) {
				o.AppHost, o.AppPort, o.ControlPort = "127.0.0.1", 7861, 9191
				o.ControlHost = "127.0.0.1"
				o.Startup, o.NeverStart, o.Workers, o.Drain = 30*time.Second, true, 40, 2*time.Second
				o.IgnoreSigterm, o.DataDir = true, "/data"
			},
		},
		{
			name: "flags win over the environment",
			env:  map[string]string{EnvServerPort: "7861", EnvStartup: "30"},
			args: []string{"--server-port", "7862", "--startup=1m30s", "--workers=1"},
			want: func(o *Options) { o.AppPort, o.Startup, o.Workers = 7862, 90*time.Second, 1 },
		},
		{name: "fractional seconds", args: []string{"--startup=0.5"}, want: func(o *Options) { o.Startup = 500 * time.Millisecond }},
		{name: "bad environment names the variable", env: map[string]string{EnvWorkers: "many"}, wantErr: EnvWorkers},
		{name: "negative startup", args: []string{"--startup=-1"}, wantErr: "negative"},
		{name: "not a duration", args: []string{"--drain=soon"}, wantErr: "neither seconds nor a duration"},
		{name: "NaN seconds", args: []string{"--drain=NaN"}, wantErr: "out of range"},
		{name: "zero workers", args: []string{"--workers=0"}, wantErr: "workers"},
		{name: "zero chat concurrency", env: map[string]string{EnvChatConcurrency: "0"}, wantErr: "chat-concurrency"},
		{name: "a start-up range", args: []string{"--startup=20", "--startup-max=40s"}, want: func(o *Options) { o.Startup, o.StartupMax = 20*time.Second, 40*time.Second }},
		{name: "a range upside down", args: []string{"--startup=20", "--startup-max=10"}, wantErr: "startup-max: 10s is below startup 20s"},
		{name: "stray argument", args: []string{"serve"}, wantErr: "unexpected arguments: serve"},
		{name: "run as the chart runs Kotaemon: python app.py", args: []string{"app.py"}, want: func(*Options) {}},
		{name: "the script, then flags, as python takes them", args: []string{"app.py", "--workers=2"}, want: func(o *Options) { o.Workers = 2 }},
		{name: "the script and more", args: []string{"app.py", "serve"}, wantErr: "unexpected arguments: serve"},
		{
			name: "the chart's SSO command: uvicorn's flags, GRADIO variables ignored as uvicorn ignores them",
			env:  map[string]string{EnvServerName: "10.0.0.1", EnvServerPort: "9999", EnvWorkers: "3"},
			args: []string{SSOApp, "--host", "0.0.0.0", "--port", "7860", "--timeout-graceful-shutdown", "5", "--forwarded-allow-ips", "*"},
			want: func(o *Options) {
				o.SSO, o.AppHost, o.AppPort, o.GracefulTimeout, o.Workers = true, "0.0.0.0", 7860, 5*time.Second, 3
			},
		},
		{
			name: "SSO without --host and --port: uvicorn's defaults",
			env:  map[string]string{EnvServerName: "0.0.0.0", EnvServerPort: "7860"},
			args: []string{SSOApp},
			want: func(o *Options) { o.SSO, o.AppHost, o.AppPort = true, UvicornDefaultHost, UvicornDefaultPort },
		},
		{name: "negative graceful timeout", args: []string{SSOApp, "--timeout-graceful-shutdown=-1"}, wantErr: "negative"},
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
