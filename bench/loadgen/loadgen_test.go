package loadgen

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRunSendsTheScheduledNumberOfRequestsAndCountsAnswers(t *testing.T) {
	t.Parallel()
	d := NewDouble(map[string]string{"GET /ok": `{}`})
	defer d.Close()
	res := Run(context.Background(), NewClient(4), d.URL()+"/ok", 200, 250*time.Millisecond, 4)
	assert.Equal(t, 50, res.Sent)
	assert.Equal(t, 50, res.Codes[200])
	assert.Zero(t, res.Errors)
	assert.Equal(t, int64(50), d.Calls("/ok"))
	assert.LessOrEqual(t, res.P50, res.P99)
	assert.LessOrEqual(t, res.P99, res.Max)

	assert.LessOrEqual(t, res.P50, res.DueP50, "from the slot is never shorter than from the send")
	assert.Positive(t, res.Achieved)

	res = Run(context.Background(), NewClient(2), d.URL()+"/missing", 100, 100*time.Millisecond, 2)
	assert.Equal(t, 10, res.Codes[404])
}

// A server slower than the schedule: with one worker the requests queue, which the
// latency from the slot shows and the latency from the send hides; the achieved rate
// falls below the asked one.
func TestQueueingCountsFromTheSlotNotTheSend(t *testing.T) {
	t.Parallel()
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		time.Sleep(20 * time.Millisecond)
	}))
	defer slow.Close()
	res := Run(context.Background(), NewClient(1), slow.URL, 200, 200*time.Millisecond, 1)
	require.Equal(t, 40, res.Codes[200])
	// No bound on the send's latency itself (a busy machine stretches it): the wait
	// for the one worker is what must show, and only from the slot.
	assert.Greater(t, res.DueP99, 400*time.Millisecond, "the last of 40 waited for 39 before it")
	assert.Greater(t, res.DueP99, 2*res.P99, "from the slot, the queue's wait; from the send, one request")
	assert.Less(t, res.Achieved, 100.0, "one worker answers about 50 a second, not 200")
}

func TestProcessReaders(t *testing.T) {
	t.Parallel()
	rss, err := RSS(os.Getpid())
	require.NoError(t, err)
	assert.Positive(t, rss)
	_, err = CPUTime(os.Getpid())
	require.NoError(t, err)
	_, err = RSS(1 << 30)
	assert.Error(t, err)
}
