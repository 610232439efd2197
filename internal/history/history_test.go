package history

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var t0 = time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)

// What one agent recorded, the next one (after a restart of the container) reads.
func TestTheHistoryOutlivesTheAgentThatWroteIt(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "h", "history.json")
	r := Open(path, "supervise", nil, t0)
	r.StartBegan(t0)
	r.Phase(PhaseBound, 40*time.Second)
	r.Phase(PhaseAnswered, 42*time.Second)
	r.Phase(PhaseBound, 99*time.Second) // once per start
	r.StallBegan("/", t0.Add(time.Minute))
	r.StallEnded("/", t0.Add(time.Minute+7*time.Second))
	r.CheckLatency("llm", 250*time.Millisecond)
	r.Flush()

	d := Open(path, "supervise", nil, t0.Add(time.Hour)).Snapshot()
	require.Len(t, d.Starts, 1)
	assert.Equal(t, map[string]float64{PhaseBound: 40, PhaseAnswered: 42}, d.Starts[0].Phases)
	require.Len(t, d.Stalls, 1)
	assert.Equal(t, Stall{Route: "/", At: t0.Add(time.Minute), Seconds: 7, EndedBy: EndedByAnswer}, d.Stalls[0])
	assert.Equal(t, []float64{0.25}, d.CheckLatencies["llm"])
}

// A stall the container's restart interrupted is kept, ended by the restart, with its
// length up to the new agent's start (an upper bound: the restart's own time is in it).
func TestAStallInterruptedByARestartIsKeptWithItsLengthToTheRestart(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "history.json")
	r := Open(path, "supervise", nil, t0)
	r.StartBegan(t0)
	r.Phase(PhaseAnswered, time.Second)
	r.StallBegan("/config", t0.Add(10*time.Second))
	r.StallBegan("/config", t0.Add(11*time.Second)) // one episode
	r.Flush()

	d := Open(path, "supervise", nil, t0.Add(70*time.Second)).Snapshot()
	require.Len(t, d.Stalls, 1)
	assert.Equal(t, Stall{Route: "/config", At: t0.Add(10 * time.Second), Seconds: 60, EndedBy: EndedByRestart}, d.Stalls[0])
	assert.Empty(t, d.Open)
	assert.Empty(t, Open(path, "supervise", nil, t0.Add(time.Hour)).Snapshot().Stalls[1:], "closed once, not at every start")
}

// The agent learns the app's process start just after its own: a start that reached no
// phase is moved, not counted twice.
func TestAStartWithoutAPhaseIsMovedNotCountedTwice(t *testing.T) {
	t.Parallel()
	r := Open("", "supervise", nil, t0)
	r.StartBegan(t0)
	r.StartBegan(t0.Add(time.Second))
	r.Phase(PhaseBound, 3*time.Second)
	r.StartBegan(t0.Add(time.Minute))
	d := r.Snapshot()
	require.Len(t, d.Starts, 2)
	assert.Equal(t, t0.Add(time.Second), d.Starts[0].At)
}

// Every list is bounded, the newest entries kept.
func TestTheHistoryKeepsTheNewestEntriesWithinItsBounds(t *testing.T) {
	t.Parallel()
	r := Open("", "serve", nil, t0)
	for i := range MaxStarts + 10 {
		r.StartBegan(t0.Add(time.Duration(i) * time.Minute))
		r.Phase(PhaseBound, time.Duration(i)*time.Second)
		r.StallBegan("/", t0)
		r.StallEnded("/", t0.Add(time.Second))
	}
	for i := range MaxLatencies + 5 {
		r.CheckLatency("db", time.Duration(i)*time.Millisecond)
	}
	d := r.Snapshot()
	require.Len(t, d.Starts, MaxStarts)
	assert.Equal(t, float64(MaxStarts+9), d.Starts[MaxStarts-1].Phases[PhaseBound])
	assert.Equal(t, float64(10), d.Starts[0].Phases[PhaseBound])
	assert.Len(t, d.Stalls, MaxStalls)
	require.Len(t, d.CheckLatencies["db"], MaxLatencies)
	assert.InDelta(t, 0.005, d.CheckLatencies["db"][0], 1e-9)
}

// A file that does not parse is kept aside, not overwritten unread; a path that cannot
// be written leaves the history in memory with one warning.
func TestAnUnreadableOrUnwritableFileNeverStopsTheHistory(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "history.json")
	require.NoError(t, os.WriteFile(path, []byte("{not json"), 0o600))
	var logs bytes.Buffer
	r := Open(path, "serve", slog.New(slog.NewTextHandler(&logs, nil)), t0)
	aside, err := os.ReadFile(path + ".corrupt")
	require.NoError(t, err)
	assert.Equal(t, "{not json", string(aside))
	assert.Contains(t, logs.String(), "kept aside")
	r.StartBegan(t0)
	r.Phase(PhaseBound, time.Second)
	r.Flush()
	assert.Len(t, Open(path, "serve", nil, t0).Snapshot().Starts, 1, "a new file was started")

	blocked := filepath.Join(dir, "file")
	require.NoError(t, os.WriteFile(blocked, nil, 0o600))
	logs.Reset()
	r = Open(filepath.Join(blocked, "history.json"), "serve", slog.New(slog.NewTextHandler(&logs, nil)), t0)
	r.StartBegan(t0)
	r.Phase(PhaseBound, time.Second)
	r.Flush()
	r.Phase(PhaseAnswered, 2*time.Second)
	r.Flush()
	assert.Len(t, r.Snapshot().Starts, 1)
	assert.Equal(t, 1, strings.Count(logs.String(), "level=WARN"), "one warning, not one per write: %s", logs.String())
}

// While a replaced pod stops, its successor already runs on the same volume: what each
// agent writes keeps what the other wrote, and nothing is counted twice.
func TestTwoAgentsOnOneVolumeKeepEachOthersEntries(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "history.json")
	old := Open(path, "supervise", nil, t0)
	old.StartBegan(t0)
	old.Phase(PhaseAnswered, 10*time.Second)
	old.Flush()

	next := Open(path, "supervise", nil, t0.Add(time.Minute)) // reads the old one's start
	next.StartBegan(t0.Add(time.Minute))
	next.Phase(PhaseAnswered, 12*time.Second)
	next.Flush()

	old.StallBegan("/", t0.Add(30*time.Second)) // the old one goes on writing
	old.StallEnded("/", t0.Add(33*time.Second))
	old.Flush()
	next.Phase(PhaseReady, 13*time.Second) // and the next one writes after it
	next.Flush()

	d := Open(path, "supervise", nil, t0.Add(time.Hour)).Snapshot()
	require.Len(t, d.Starts, 2)
	assert.Equal(t, t0, d.Starts[0].At)
	assert.Equal(t, map[string]float64{PhaseAnswered: 12, PhaseReady: 13}, d.Starts[1].Phases)
	require.Len(t, d.Stalls, 1, "the old agent's stall survives the next one's write")
	assert.Equal(t, 3.0, d.Stalls[0].Seconds)
}

// Recording never writes: the agent records from inside probe requests. Run writes a
// start-up's phase or a stall soon after it is recorded (they wake it), a check's latency
// at its next round, and whatever is left when it stops.
func TestRecordingLeavesTheWritingToRun(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "history.json")
	r := Open(path, "serve", nil, t0)
	r.StartBegan(t0)
	r.Phase(PhaseBound, time.Second)
	assert.NoFileExists(t, path, "Phase wrote the file itself")

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); r.Run(ctx, time.Hour) }()
	require.Eventually(t, func() bool { return len(Open(path, "serve", nil, t0).Snapshot().Starts) == 1 }, 5*time.Second, 10*time.Millisecond, "a phase wakes the writer")
	r.CheckLatency("db", time.Millisecond)
	time.Sleep(50 * time.Millisecond)
	assert.Empty(t, Open(path, "serve", nil, t0).Snapshot().CheckLatencies["db"], "a latency waits for the next round")
	cancel()
	<-done
	assert.Len(t, Open(path, "serve", nil, t0).Snapshot().CheckLatencies["db"], 1, "and is written when Run stops")
}

// The agent records times read from the clock, which carry a monotonic reading that the
// file does not keep: an entry read back from the file is still the entry in memory, so
// every write after a stall keeps it once.
func TestEntriesRecordedFromTheClockAreKeptOnceAcrossWrites(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "history.json")
	now := time.Now()
	r := Open(path, "serve", nil, now)
	r.StartBegan(now)
	r.Phase(PhaseAnswered, time.Second)
	r.StallBegan("/", time.Now())
	r.StallEnded("/", time.Now().Add(2*time.Second))
	r.Flush()
	r.StallBegan("/", time.Now().Add(time.Minute))
	r.StallEnded("/", time.Now().Add(time.Minute+3*time.Second))
	r.Flush()
	r.CheckLatency("db", time.Millisecond)
	r.Flush()

	assert.Len(t, r.Snapshot().Stalls, 2, "in memory")
	d := Open(path, "serve", nil, time.Now()).Snapshot()
	assert.Len(t, d.Stalls, 2, "in the file")
	assert.Len(t, d.Starts, 1)
}
