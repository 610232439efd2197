package loadgen

import (
	"context"
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

	res = Run(context.Background(), NewClient(2), d.URL()+"/missing", 100, 100*time.Millisecond, 2)
	assert.Equal(t, 10, res.Codes[404])
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
