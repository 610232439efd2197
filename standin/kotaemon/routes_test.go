package kotaemon

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A stand-in is started with no fault.
// Each app route is requested once.
// Each answers as Gradio's does, control routes are absent from the app port, and
// State.Served counts what was answered.
func TestAppRoutesAnswerLikeGradio(t *testing.T) {
	t.Parallel()
	h := start(t, testOptions(t))
	base := h.bound(t)
	appID := h.s.State().AppID
	require.NotEmpty(t, appID)

	cases := []struct {
		path     string
		code     int
		contains string
	}{
		{RouteAppID, http.StatusOK, `"app_id":` + appID + `}`},
		{RouteRoot, http.StatusOK, "Kotaemon stand-in"},
		{WorkPath(0), http.StatusOK, "done"},
		{RouteWork + "?seconds=soon", http.StatusBadRequest, "seconds"},
		{RouteWork, http.StatusBadRequest, "seconds"},
		{"/config", http.StatusNotFound, ""},
		{FaultPath(FaultCrash, 0), http.StatusNotFound, ""},
		{ControlStatePath, http.StatusNotFound, ""},
	}
	for _, tc := range cases {
		t.Run(tc.path, func(t *testing.T) {
			r := get(base+tc.path, waitLimit)
			require.NoError(t, r.err)
			assert.Equal(t, tc.code, r.code)
			assert.Contains(t, r.body, tc.contains)
		})
	}

	st := h.s.State()
	assert.Equal(t, map[string]int64{RouteAppID: 1, RouteRoot: 1, RouteWork: 3, ServedNotFound: 3}, st.Served)
	assert.Equal(t, FaultNone, st.Fault, "nothing on the app port switches a fault")
	assert.Zero(t, st.InFlight)
}

// Two stand-ins are started one after the other.
// Each answers /app_id with its own id, the one its State reports.
func TestAppIDIsNewForEveryProcess(t *testing.T) {
	t.Parallel()
	ids := map[string]bool{}
	for range 2 {
		h := start(t, testOptions(t))
		r := get(h.bound(t)+RouteAppID, waitLimit)
		require.NoError(t, r.err)
		var body struct {
			AppID uint64 `json:"app_id"` // a number, as Gradio's
		}
		require.NoError(t, json.Unmarshal([]byte(r.body), &body))
		assert.Equal(t, h.s.State().AppID, strconv.FormatUint(body.AppID, 10))
		ids[h.s.State().AppID] = true
		h.stop(t)
	}
	assert.Len(t, ids, 2)
}

// A stand-in is started with a health port, as the image of health.mode=none.
// The worker pool is then exhausted.
// /health/live answers 200 throughout; /health/ready answers 200, then 503.
func TestOwnHealthEndpointsFollowTheWorkerPool(t *testing.T) {
	t.Parallel()
	o := testOptions(t)
	_, o.HealthPort = freeLoopbackAddr(t)
	h := start(t, o)
	h.bound(t)
	base := "http://127.0.0.1:" + strconv.Itoa(o.HealthPort)
	for _, c := range []struct {
		fault       Fault
		live, ready int
	}{
		{FaultNone, http.StatusOK, http.StatusOK},
		{FaultExhaust, http.StatusOK, http.StatusServiceUnavailable},
	} {
		h.setFault(t, c.fault, 0)
		assert.Equal(t, c.live, get(base+HealthLivePath, waitLimit).code, "live under %s", c.fault)
		assert.Equal(t, c.ready, get(base+HealthReadyPath, waitLimit).code, "ready under %s", c.fault)
	}
}

// A streamed answer holds a worker while it sends an event every streamEvery, and ends
// with StreamEnd; a bad duration is refused.
func TestAStreamedAnswerSendsEventsThenItsEnd(t *testing.T) {
	t.Parallel()
	h := start(t, testOptions(t))
	base := h.bound(t)
	answer := getAsync(base+RouteStream+"?seconds=0.6", waitLimit)
	h.await(t, "the answer to hold a worker", func(st State) bool { return st.WorkersBusy == 1 })
	r := receive(t, answer, "the streamed answer")
	require.NoError(t, r.err)
	assert.Equal(t, http.StatusOK, r.code)
	assert.GreaterOrEqual(t, strings.Count(r.body, "data: token\n\n"), 2, r.body)
	assert.True(t, strings.HasSuffix(r.body, StreamEnd+"\n\n"), r.body)
	assert.Equal(t, 0, h.s.State().WorkersBusy)

	bad := get(base+RouteStream+"?seconds=-1", waitLimit)
	require.NoError(t, bad.err)
	assert.Equal(t, http.StatusBadRequest, bad.code)
}

// With the chat event's concurrency used up, a further answer waits in the queue (it is
// told so at once) while the sync routes still answer, and streams once a slot is free:
// a backed-up queue that /app_id does not show.
func TestAnswersBeyondTheChatConcurrencyQueueWhileSyncRoutesAnswer(t *testing.T) {
	t.Parallel()
	o := testOptions(t)
	o.ChatConcurrency = 1
	h := start(t, o)
	base := h.bound(t)
	first := getAsync(base+RouteStream+"?seconds=1", waitLimit)
	h.await(t, "the first answer to stream", func(st State) bool { return st.WorkersBusy == 1 })
	second := getAsync(base+RouteStream+"?seconds=0.3", waitLimit)
	h.await(t, "the second answer to queue", func(st State) bool { return st.Queued == 1 })

	id := get(base+RouteAppID, waitLimit)
	require.NoError(t, id.err)
	assert.Equal(t, http.StatusOK, id.code, "the queue does not hold the sync routes")
	assert.Equal(t, 1, h.s.State().WorkersBusy, "a queued answer holds no worker")

	for _, r := range []reply{receive(t, first, "the first answer"), receive(t, second, "the queued answer")} {
		require.NoError(t, r.err)
		assert.True(t, strings.HasPrefix(r.body, "data: queued\n\n"), r.body)
		assert.True(t, strings.HasSuffix(r.body, StreamEnd+"\n\n"), r.body)
	}
	assert.Zero(t, h.s.State().Queued)
}
