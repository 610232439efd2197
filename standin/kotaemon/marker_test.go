package kotaemon

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Two stand-ins are started one after the other on the same data dir (a volume).
// The first finds no marker; the second finds the first one's and counts two starts.
func TestMarkerFromAnEarlierStartIsFoundOnTheSameDataDir(t *testing.T) {
	t.Parallel()
	o := testOptions(t)
	o.DataDir = filepath.Join(t.TempDir(), "ktem_app_data") // created by the stand-in

	first := start(t, o)
	st := first.s.State()
	assert.False(t, st.MarkerFound)
	assert.Equal(t, 1, st.Starts)
	assert.Empty(t, st.MarkerError)
	first.stop(t)

	second := start(t, o)
	st = second.s.State()
	assert.True(t, st.MarkerFound)
	assert.Equal(t, 2, st.Starts)
	assert.FileExists(t, filepath.Join(o.DataDir, MarkerFile))
}

// A stand-in is started on a data dir that cannot be created (its parent is a file).
// It reports markerError, counts itself as a first start and binds anyway.
func TestUnusableDataDirIsReportedAndStartCarriesOn(t *testing.T) {
	t.Parallel()
	o := testOptions(t)
	parent := filepath.Join(t.TempDir(), "not-a-dir")
	require.NoError(t, os.WriteFile(parent, []byte("x"), 0o600))
	o.DataDir = filepath.Join(parent, "ktem_app_data")

	h := start(t, o)
	st := h.s.State()
	assert.Contains(t, st.MarkerError, "create data dir")
	assert.False(t, st.MarkerFound)
	assert.Equal(t, 1, st.Starts)
	h.bound(t)
}

// A stand-in whose flags say "start at once" gets a next-start setting, then stops;
// another starts on the same data dir.
// The second start follows the persisted setting, not its flags, until normal-start.
func TestNextStartSettingsPersistInTheDataDir(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		faults    []Fault
		seconds   int
		wantNext  *NextStart
		wantNever bool
		wantDelay time.Duration // 0: binds at once without a timer
		wantBinds bool
	}{
		{"slow-start delays the next start", []Fault{FaultSlowStart}, 7, &NextStart{StartupSeconds: 7}, false, 7 * time.Second, true},
		{"never-start keeps the next start closed", []Fault{FaultNeverStart}, 0, &NextStart{NeverStart: true}, true, 0, false},
		{"normal-start clears an earlier setting", []Fault{FaultSlowStart, FaultNormalStart}, 7, nil, false, 0, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			o := testOptions(t)
			first := start(t, o)
			var st State
			for _, f := range tc.faults {
				st = first.setFault(t, f, tc.seconds)
			}
			assert.Equal(t, tc.wantNext, st.NextStart, "reported at once")
			assert.Zero(t, st.StartupSeconds, "this start is not affected")
			first.stop(t)

			second := start(t, o)
			st = second.s.State()
			assert.Equal(t, tc.wantNext, st.NextStart)
			assert.Equal(t, tc.wantNever, st.NeverStart)
			assert.Equal(t, tc.wantDelay.Seconds(), st.StartupSeconds)
			if tc.wantDelay > 0 {
				timer := second.timers.next(t)
				assert.Equal(t, tc.wantDelay, timer.d)
				timer.elapse()
			}
			if tc.wantBinds {
				second.bound(t)
			} else {
				assert.Nil(t, second.s.State().BoundAt)
			}
		})
	}
}

// A stand-in on a data dir gets SIGTERM and dies by it; the next start on the same dir (the
// replacement pod, on the same volume) reports when its predecessor got it, so a test
// learns it after that process and its pod are gone. A start after a process that was
// never signalled reports none.
func TestTheNextStartKnowsWhenItsPredecessorGotSigterm(t *testing.T) {
	t.Parallel()
	o := testOptions(t)
	o.DataDir = filepath.Join(t.TempDir(), "ktem_app_data")

	first := start(t, o)
	first.bound(t)
	first.sigs <- syscall.SIGTERM
	got := *first.await(t, "the signal to be recorded", func(st State) bool { return st.SigtermAt != nil }).SigtermAt
	require.ErrorIs(t, first.wait(t), ErrKilledBySigterm, "recorded before its default action")

	second := start(t, o)
	st := second.s.State()
	require.NotNil(t, st.PreviousSigtermAt, "the predecessor's SIGTERM")
	assert.True(t, got.Equal(*st.PreviousSigtermAt), "%s, recorded %s", got, st.PreviousSigtermAt)
	assert.Nil(t, st.SigtermAt)
	second.stop(t)

	third := start(t, o)
	assert.Nil(t, third.s.State().PreviousSigtermAt, "the second process was stopped without a signal")
}
