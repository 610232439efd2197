package kube

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestTailPrintsTheLastEntriesInTimeOrderAtSecondsSinceTheStart(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tl := &Timeline{Started: t0}
	tl.add(Entry{At: t0.Add(3 * time.Second), Source: "pod", What: "not-ready", Object: "p"})
	tl.add(Entry{At: t0.Add(1 * time.Second), Source: "test", What: "fault-exhaust", Detail: "p"})
	tl.add(Entry{At: t0.Add(500 * time.Millisecond), Source: "pod", What: "ready", Object: "p"})

	lines := strings.Split(strings.TrimSuffix(tl.Tail(2), "\n"), "\n")
	if assert.Len(t, lines, 2, "only the last 2 entries") {
		assert.Contains(t, lines[0], "1.00 test")
		assert.Contains(t, lines[0], "fault-exhaust")
		assert.Contains(t, lines[1], "3.00 pod")
		assert.Contains(t, lines[1], "not-ready")
	}
}
