package statelog

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// A flapping component gets burst lines per window; the rest are counted and reported
// on the next line let through; components are limited separately.
func TestAFlappingComponentIsLimitedAndTheHeldBackLinesCounted(t *testing.T) {
	t.Parallel()
	l := New(10*time.Second, 2)
	now := time.Unix(1000, 0)
	l.now = func() time.Time { return now }
	ok, n := l.Allow("app")
	assert.True(t, ok)
	assert.Zero(t, n)
	ok, _ = l.Allow("app")
	assert.True(t, ok)
	for range 1500 {
		ok, _ = l.Allow("app")
		assert.False(t, ok)
	}
	ok, _ = l.Allow("llm")
	assert.True(t, ok, "another component has its own budget")

	now = now.Add(10 * time.Second)
	ok, n = l.Allow("app")
	assert.True(t, ok, "a new window")
	assert.Equal(t, 1500, n, "the held-back lines are reported on the next")
	ok, n = l.Allow("app")
	assert.True(t, ok)
	assert.Zero(t, n, "and only once")
}
