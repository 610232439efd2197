package supervise

// The tests start real child processes: the test binary re-executed with
// KH_SUPERVISE_CHILD naming a behaviour. A supervisor reaps with wait4(-1), which would
// also collect another test's child, so the tests in this package run one at a time
// (no t.Parallel).

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"kotaemon-k8s/internal/config"
	"kotaemon-k8s/internal/server"
)

const childEnv = "KH_SUPERVISE_CHILD"

func TestMain(m *testing.M) {
	if b := os.Getenv(childEnv); b != "" {
		os.Exit(child(b))
	}
	// A process group of our own: a supervisor bug that signals group 0 then kills this
	// test binary (a failure), never whatever started it (go test, a mutation tester).
	_ = syscall.Setpgid(0, 0)
	os.Exit(m.Run())
}

// child runs one behaviour and returns its exit code. KH_OUT is a file it appends
// lines to; "ready" means its signal handlers are in place.
func child(behaviour string) int {
	out := func(line string) {
		f, err := os.OpenFile(os.Getenv("KH_OUT"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
		if err == nil {
			if who := os.Getenv("KH_NAME"); who != "" {
				line = who + " " + line // companions and the app share one file
			}
			fmt.Fprintln(f, line)
			f.Close()
		}
	}
	name, arg, _ := strings.Cut(behaviour, ":")
	var grandchild *exec.Cmd // group-leader's, waited for before it exits
	switch name {
	case "exit":
		n, _ := strconv.Atoi(arg)
		return n
	case "echo-stdin", "echo-stdin-then-wait":
		// One line from stdin, or what reading it gave instead; then exit, or wait for
		// SIGTERM.
		sigs := make(chan os.Signal, 1)
		signal.Notify(sigs, syscall.SIGTERM)
		line, err := bufio.NewReader(os.Stdin).ReadString('\n')
		if err != nil {
			out("stdin-error:" + err.Error())
		} else {
			out("stdin:" + strings.TrimSpace(line))
		}
		if name == "echo-stdin-then-wait" {
			<-sigs
		}
		return 0
	case "start-group":
		// Plays the agent: starts a grandchild that waits for SIGTERM in a group of its
		// own, prints its pid, and waits to be killed.
		_ = os.Setenv(childEnv, "wait-term") // what the grandchild plays
		pid, err := startGroup([]string{os.Args[0], "-test.run=^$"}, nil)
		if err != nil {
			return 1
		}
		fmt.Println(pid)
		select {}
	case "kill-self":
		n, _ := strconv.Atoi(arg)
		_ = syscall.Kill(os.Getpid(), syscall.Signal(n))
		select {}
	case "ignore-term":
		signal.Ignore(syscall.SIGTERM)
		out("ready")
		select {}
	case "spawn-grandchild":
		// The intermediate: start a grandchild that exits at once, print its pid, and
		// exit without waiting, which orphans it.
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), childEnv+"=exit:0")
		if err := cmd.Start(); err != nil {
			return 1
		}
		fmt.Println(cmd.Process.Pid)
		return 0
	case "group-leader":
		// Starts a grandchild in its own process group that reports its signals to
		// KH_OUT.grandchild, then waits like wait-term; it exits only after the
		// grandchild (the agent kills what is left of the group once the child is gone,
		// which on a loaded machine could come before the grandchild's report).
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), childEnv+"=wait-term", "KH_OUT="+os.Getenv("KH_OUT")+".grandchild")
		if err := cmd.Start(); err != nil {
			return 1
		}
		grandchild = cmd
		name = "wait-term"
		fallthrough
	case "wait-term", "check-ready", "orphan":
		sigs := make(chan os.Signal, 4)
		signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP, syscall.SIGQUIT)
		if name == "orphan" {
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), childEnv+"=spawn-grandchild")
			pid, err := cmd.Output()
			if err != nil {
				return 1
			}
			out("orphan:" + strings.TrimSpace(string(pid)))
		}
		out("ready")
		for sig := range sigs {
			out("signal:" + sig.String())
			if sig != syscall.SIGTERM && sig != syscall.SIGINT {
				continue
			}
			if name != "check-ready" {
				if grandchild != nil {
					_ = grandchild.Wait()
				}
				return 0
			}
			// What does the agent's readiness say at the moment we get SIGTERM?
			resp, err := http.Get(os.Getenv("KH_READY_URL"))
			if err != nil {
				out("ready-error:" + err.Error())
				return 4
			}
			resp.Body.Close()
			out("ready-status:" + strconv.Itoa(resp.StatusCode))
			if resp.StatusCode == http.StatusServiceUnavailable {
				return 0
			}
			return 3
		}
	}
	return 99
}

type fixture struct {
	out         string
	sigs        chan os.Signal
	realSignals bool // use signal.Notify instead of the injected channel
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	return &fixture{out: filepath.Join(t.TempDir(), "out"), sigs: make(chan os.Signal, 4)}
}

func (f *fixture) start(t *testing.T, behaviour string, o Options, env ...string) *Supervisor {
	t.Helper()
	t.Setenv(childEnv, behaviour) // inherited by the child only through os.Environ
	t.Setenv("KH_OUT", f.out)
	t.Setenv("GORACE", "atexit_sleep_ms=0") // a race-enabled child would idle 1s at exit
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	o.Command = []string{os.Args[0], "-test.run=^$"}
	if !f.realSignals {
		o.Signals = f.sigs
	}
	if o.StopTimeout == 0 {
		o.StopTimeout = 10 * time.Second
	}
	o.Logger = slog.New(slog.NewJSONHandler(io.Discard, nil))
	s, err := Start(o)
	require.NoError(t, err)
	t.Cleanup(func() {
		if s.Running() {
			_ = syscall.Kill(-s.Pid(), syscall.SIGKILL)
			waitCode(t, s)
		}
	})
	return s
}

// waitCode waits (bounded) for the child to exit and returns the agent's exit code.
func waitCode(t *testing.T, s *Supervisor) int {
	t.Helper()
	select {
	case <-s.Done():
		return s.ExitCode()
	case <-time.After(20 * time.Second):
		t.Fatal("the child did not exit before the deadline")
		return -1
	}
}

// waitFor polls the child's output file until it holds want (bounded).
func (f *fixture) waitFor(t *testing.T, want string) string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		b, _ := os.ReadFile(f.out)
		if strings.Contains(string(b), want) {
			return string(b)
		}
		time.Sleep(5 * time.Millisecond)
	}
	b, _ := os.ReadFile(f.out)
	t.Fatalf("child output never contained %q; got %q", want, b)
	return ""
}

func TestAgentExitsWithTheChildsExitCode(t *testing.T) {
	for _, code := range []int{0, 1, 3, 42} {
		t.Run(fmt.Sprintf("child exits %d on its own", code), func(t *testing.T) {
			f := newFixture(t)
			s := f.start(t, fmt.Sprintf("exit:%d", code), Options{})
			assert.Equal(t, code, waitCode(t, s))
			assert.False(t, s.Running(), "never restarted")
		})
	}
}

func TestChildKilledBySignalGives128PlusTheSignal(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGKILL, syscall.SIGTERM} {
		t.Run("killed by "+sig.String(), func(t *testing.T) {
			f := newFixture(t)
			s := f.start(t, fmt.Sprintf("kill-self:%d", int(sig)), Options{})
			assert.Equal(t, 128+int(sig), waitCode(t, s))
		})
	}
}

func TestSignalsAreForwardedToTheChild(t *testing.T) {
	f := newFixture(t)
	drained := make(chan struct{})
	s := f.start(t, "wait-term", Options{OnDraining: func() { close(drained) }})
	f.waitFor(t, "ready")

	f.sigs <- syscall.SIGHUP
	f.waitFor(t, "signal:hangup")
	f.sigs <- syscall.SIGQUIT
	f.waitFor(t, "signal:quit")
	assert.True(t, s.Running(), "HUP and QUIT are passed on, not acted upon")

	f.sigs <- syscall.SIGTERM
	assert.Equal(t, 0, waitCode(t, s), "the child handled SIGTERM and exited 0")
	f.waitFor(t, "signal:terminated")
	select {
	case <-drained:
	default:
		t.Fatal("OnDraining was not called on SIGTERM")
	}
}

func TestSIGINTStopsTheChildLikeSIGTERM(t *testing.T) {
	f := newFixture(t)
	s := f.start(t, "wait-term", Options{})
	f.waitFor(t, "ready")
	f.sigs <- syscall.SIGINT
	assert.Equal(t, 0, waitCode(t, s))
	f.waitFor(t, "signal:interrupt")
}

func TestChildThatIgnoresSIGTERMIsKilledAfterStopTimeout(t *testing.T) {
	f := newFixture(t)
	s := f.start(t, "ignore-term", Options{StopTimeout: 100 * time.Millisecond})
	f.waitFor(t, "ready")
	f.sigs <- syscall.SIGTERM
	assert.Equal(t, 128+int(syscall.SIGKILL), waitCode(t, s))
}

func TestSecondSIGTERMCutsTheDrainDelayShort(t *testing.T) {
	f := newFixture(t)
	s := f.start(t, "wait-term", Options{DrainDelay: time.Hour})
	f.waitFor(t, "ready")
	f.sigs <- syscall.SIGTERM
	f.sigs <- syscall.SIGTERM
	assert.Equal(t, 0, waitCode(t, s), "an hour-long drain would time the test out")
}

// PB-07's first half: what a SIGTERM does, seen from the child. The child asks the
// agent's readiness endpoint when its own SIGTERM arrives and exits 0 only on a 503.
func TestReadinessFailsBeforeTheChildGetsSIGTERM(t *testing.T) {
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "1") }))
	defer app.Close()
	cfg := config.Default()
	cfg.App.URL = app.URL
	holder := &procHolder{}
	srv := server.New(server.Options{Config: cfg, Process: holder})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = srv.Serve(ctx, ln) }()
	readyURL := "http://" + ln.Addr().String() + "/health/ready"

	f := newFixture(t)
	s := f.start(t, "check-ready", Options{DrainDelay: 50 * time.Millisecond, OnDraining: srv.SetDraining}, "KH_READY_URL="+readyURL)
	holder.s = s
	f.waitFor(t, "ready")

	resp, err := (&http.Client{Timeout: 5 * time.Second}).Get(readyURL)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode, "ready while the child runs")

	f.sigs <- syscall.SIGTERM
	assert.Equal(t, 0, waitCode(t, s), "the child saw readiness already failing")
	out := f.waitFor(t, "ready-status:")
	assert.Contains(t, out, "ready-status:503")
}

type procHolder struct{ s *Supervisor }

func (p *procHolder) Running() bool { return p.s != nil && p.s.Running() }

func TestOrphanedGrandchildrenAreReaped(t *testing.T) {
	f := newFixture(t)
	s := f.start(t, "orphan", Options{})
	out := f.waitFor(t, "ready")
	var pid int
	for _, line := range strings.Split(out, "\n") {
		if p, ok := strings.CutPrefix(line, "orphan:"); ok {
			pid, _ = strconv.Atoi(p)
		}
	}
	require.Positive(t, pid)

	deadline := time.Now().Add(20 * time.Second)
	for s.Reaped() < 1 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	assert.GreaterOrEqual(t, s.Reaped(), int64(1), "the orphan was reaped by the supervisor")
	_, err := os.Stat(fmt.Sprintf("/proc/%d", pid))
	assert.True(t, os.IsNotExist(err), "no zombie is left for pid %d", pid)

	f.sigs <- syscall.SIGTERM
	assert.Equal(t, 0, waitCode(t, s))
}

func TestRealSignalsReachTheChild(t *testing.T) {
	f := newFixture(t)
	own := make(chan os.Signal, 1) // keeps SIGHUP from killing the test if it arrived late
	signal.Notify(own, syscall.SIGHUP, syscall.SIGTERM)
	defer signal.Stop(own)
	f.realSignals = true
	s := f.start(t, "wait-term", Options{})
	f.waitFor(t, "ready")
	require.NoError(t, syscall.Kill(os.Getpid(), syscall.SIGTERM))
	assert.Equal(t, 0, waitCode(t, s))
	f.waitFor(t, "signal:terminated")
}

func TestStartReportsAMissingCommand(t *testing.T) {
	_, err := Start(Options{Command: []string{filepath.Join(t.TempDir(), "absent")}})
	require.Error(t, err)
	assert.Equal(t, 127, ExitCode(err))

	_, err = Start(Options{})
	assert.Error(t, err)
}

// The agent is killed (not PID 1, e.g. sidecar-less debugging or a crash): the app it
// started dies with it instead of running on without a supervisor.
func TestTheAppDiesWithTheAgent(t *testing.T) {
	agent := exec.Command(os.Args[0], "-test.run=^$")
	agent.Env = append(os.Environ(), childEnv+"=start-group", "KH_OUT="+filepath.Join(t.TempDir(), "out"))
	stdout, err := agent.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, agent.Start())
	line, err := bufio.NewReader(stdout).ReadString('\n')
	require.NoError(t, err)
	app, err := strconv.Atoi(strings.TrimSpace(line))
	require.NoError(t, err)
	t.Cleanup(func() { _ = syscall.Kill(app, syscall.SIGKILL) })
	require.True(t, alive(app), "the app runs while the agent does")

	require.NoError(t, agent.Process.Kill())
	_ = agent.Wait()
	assert.Eventually(t, func() bool { return !alive(app) }, 5*time.Second, 20*time.Millisecond,
		"the app outlived the agent")
}

// alive reports whether pid runs (a zombie, dead but not yet reaped, does not).
func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	fields := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	return len(fields) > 0 && fields[0] != "Z"
}

// After the drain delay the child is signalled only once AwaitAnswers returns, and with
// StopSignal, whatever signal the agent got (Kotaemon stops cleanly on SIGINT only).
func TestTheChildIsStoppedWithItsStopSignalOnceItsAnswersAreDone(t *testing.T) {
	f := newFixture(t)
	awaiting, release := make(chan struct{}), make(chan struct{})
	s := f.start(t, "wait-term", Options{
		StopSignal:   syscall.SIGINT,
		AwaitAnswers: func(context.Context) { close(awaiting); <-release },
	})
	f.waitFor(t, "ready")
	f.sigs <- syscall.SIGTERM
	<-awaiting
	time.Sleep(100 * time.Millisecond) // the child must not be signalled meanwhile; nothing to await but time
	b, _ := os.ReadFile(f.out)
	assert.NotContains(t, string(b), "signal:", "signalled while answers were in flight")
	close(release)
	assert.Equal(t, 0, waitCode(t, s))
	out := f.waitFor(t, "signal:interrupt")
	assert.NotContains(t, out, "signal:terminated", "the stop signal replaces the one received")
}

// A second SIGTERM while answers are awaited stops the child at once; the wait is told
// through its context.
func TestSecondSIGTERMCutsTheWaitForAnswersShort(t *testing.T) {
	f := newFixture(t)
	awaiting, cut := make(chan struct{}), make(chan struct{})
	s := f.start(t, "wait-term", Options{AwaitAnswers: func(ctx context.Context) { close(awaiting); <-ctx.Done(); close(cut) }})
	f.waitFor(t, "ready")
	f.sigs <- syscall.SIGTERM
	<-awaiting
	f.sigs <- syscall.SIGTERM
	assert.Equal(t, 0, waitCode(t, s), "a wait that never ends would time the test out")
	select {
	case <-cut:
	case <-time.After(5 * time.Second):
		t.Fatal("the wait's context was not cancelled")
	}
}
