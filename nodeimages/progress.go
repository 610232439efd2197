package nodeimages

import (
	"fmt"
	"io"
	"os"
	"time"

	"golang.org/x/term"
)

// bar reports a download: bytes, rate and ETA. On a terminal it redraws one line at
// most five times a second; elsewhere (CI, a log) it writes a line per tenth done.
type bar struct {
	out         io.Writer
	tty         bool
	label       string
	total       int64
	start, last time.Time
	lastTenth   int64
	now         func() time.Time
}

func newBar(out io.Writer, ref, platform string, total int64) *bar {
	if out == nil {
		out = io.Discard
	}
	tty := false
	if f, ok := out.(*os.File); ok {
		tty = term.IsTerminal(int(f.Fd()))
	}
	b := &bar{out: out, tty: tty, label: ref + " (" + platform + ")", total: total, now: time.Now}
	b.start = b.now()
	fmt.Fprintf(out, "pulling %s: %s to fetch\n", b.label, bytesIEC(total))
	return b
}

func (b *bar) update(done, total int64) {
	if total > 0 {
		b.total = total
	}
	now := b.now()
	if b.tty {
		if now.Sub(b.last) < 200*time.Millisecond && done < b.total {
			return
		}
		b.last = now
		fmt.Fprintf(b.out, "\r%s\033[K", b.line(done, now))
		return
	}
	if b.total <= 0 {
		return
	}
	if tenth := done * 10 / b.total; tenth > b.lastTenth {
		b.lastTenth = tenth
		fmt.Fprintln(b.out, b.line(done, now))
	}
}

// line is "  1.2 GiB / 3.4 GiB  35%  24.1 MiB/s  ETA 1m31s".
func (b *bar) line(done int64, now time.Time) string {
	pct := int64(100)
	if b.total > 0 {
		pct = done * 100 / b.total
	}
	elapsed := now.Sub(b.start)
	rate := 0.0
	if elapsed > 0 {
		rate = float64(done) / elapsed.Seconds()
	}
	eta := "?"
	if rate > 0 && b.total >= done {
		eta = time.Duration(float64(b.total-done) / rate * float64(time.Second)).Round(time.Second).String()
	}
	return fmt.Sprintf("  %s / %s  %3d%%  %s/s  ETA %s", bytesIEC(done), bytesIEC(b.total), pct, bytesIEC(int64(rate)), eta)
}

func (b *bar) finish(err error) {
	if b.tty {
		fmt.Fprintln(b.out)
	}
	if err == nil {
		fmt.Fprintf(b.out, "pulled %s in %s\n", b.label, b.now().Sub(b.start).Round(100*time.Millisecond))
	}
}

// bytesIEC is n in B, KiB, MiB or GiB with one decimal.
func bytesIEC(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	f, suffix := float64(n), []string{"KiB", "MiB", "GiB", "TiB"}
	i := -1
	for f >= unit && i < len(suffix)-1 {
		f /= unit
		i++
	}
	return fmt.Sprintf("%.1f %s", f, suffix[i])
}
