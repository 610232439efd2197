package answers

import (
	"encoding/binary"
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"golang.org/x/sys/unix"
)

// diagMsg builds an inet_diag_msg for local port 7860 from 10.0.0.9:40000 (IPv4), or the
// same client IPv4-mapped (IPv6), followed by attrs.
func diagMsg(family uint8, attrs ...[]byte) []byte {
	b := make([]byte, sizeofMsg)
	b[0] = family
	id := b[sockIDOffset:]
	binary.BigEndian.PutUint16(id[0:], 7860)
	binary.BigEndian.PutUint16(id[2:], 40000)
	if family == unix.AF_INET {
		copy(id[4:], []byte{10, 0, 0, 1})
		copy(id[20:], []byte{10, 0, 0, 9})
	} else {
		local, remote := netip.MustParseAddr("::ffff:10.0.0.1").As16(), netip.MustParseAddr("::ffff:10.0.0.9").As16()
		copy(id[4:], local[:])
		copy(id[20:], remote[:])
	}
	for _, a := range attrs {
		b = append(b, a...)
	}
	return b
}

// attr is one netlink attribute of typ carrying n bytes of data, padded to 4; a
// tcp_info one has its last-send 1500 ms, last-receive 700 ms, 90 bytes received and 300
// sent where n reaches them.
func attr(typ uint16, n int) []byte {
	ne := binary.NativeEndian
	a := make([]byte, 4+n, (4+n+3)&^3)
	ne.PutUint16(a[0:], uint16(4+n))
	ne.PutUint16(a[2:], typ)
	data := a[4:]
	put32 := func(off int, v uint32) {
		if off+4 <= n {
			ne.PutUint32(data[off:], v)
		}
	}
	put64 := func(off int, v uint64) {
		if off+8 <= n {
			ne.PutUint64(data[off:], v)
		}
	}
	put32(lastSentOffset, 1500)
	put32(lastRecvOffset, 700)
	put64(receivedOffset, 90)
	put64(sentOffset, 300)
	return a[:cap(a)]
}

// The kernel's message is read field by field, attributes walked with their padding, and
// a tcp_info as short as an old kernel's gives what it holds.
func TestADiagnosticsMessageIsReadAsTheKernelLaysItOut(t *testing.T) {
	t.Parallel()
	want := Conn{
		Local:     netip.MustParseAddrPort("10.0.0.1:7860"),
		Remote:    netip.MustParseAddrPort("10.0.0.9:40000"),
		SinceSent: 1500 * time.Millisecond, SinceReceived: 700 * time.Millisecond,
		Received: 90, Sent: 300,
	}
	full := attr(inetDiagInfo, sentOffset+8)
	odd := attr(1, 5) // another attribute, 5 bytes of data: padded to 12

	got, ok := parseMsg(diagMsg(unix.AF_INET, odd, full), unix.AF_INET, 7860)
	assert.True(t, ok)
	assert.Equal(t, want, got)

	got, ok = parseMsg(diagMsg(unix.AF_INET6, full), unix.AF_INET6, 7860)
	assert.True(t, ok)
	assert.Equal(t, want, got, "an IPv4-mapped IPv6 connection is unmapped")

	got, ok = parseMsg(diagMsg(unix.AF_INET, attr(inetDiagInfo, lastRecvOffset+4)), unix.AF_INET, 7860)
	assert.True(t, ok, "a tcp_info reaching the last-receive time is enough")
	assert.Equal(t, Conn{Local: want.Local, Remote: want.Remote, SinceSent: want.SinceSent, SinceReceived: want.SinceReceived}, got)

	got, ok = parseMsg(diagMsg(unix.AF_INET, attr(inetDiagInfo, receivedOffset+8)), unix.AF_INET, 7860)
	assert.True(t, ok)
	assert.Equal(t, uint64(90), got.Received)
	assert.Zero(t, got.Sent, "bytes sent are unknown before 4.19")

	got, ok = parseMsg(diagMsg(unix.AF_INET, attr(1, 0), attr(inetDiagInfo, receivedOffset+4)), unix.AF_INET, 7860)
	assert.True(t, ok, "an attribute with no data is stepped over")
	assert.Zero(t, got.Received, "a counter cut in the middle is not read")
	got, ok = parseMsg(diagMsg(unix.AF_INET, attr(inetDiagInfo, sentOffset+4)), unix.AF_INET, 7860)
	assert.True(t, ok)
	assert.Equal(t, uint64(90), got.Received)
	assert.Zero(t, got.Sent, "a counter cut in the middle is not read")

	for name, b := range map[string][]byte{
		"a tcp_info too short":      diagMsg(unix.AF_INET, attr(inetDiagInfo, lastRecvOffset+3)),
		"no tcp_info":               diagMsg(unix.AF_INET, odd),
		"no attribute":              diagMsg(unix.AF_INET),
		"a message cut short":       diagMsg(unix.AF_INET)[:sizeofMsg-1],
		"another family":            diagMsg(unix.AF_INET6, full),
		"an attribute past the end": append(diagMsg(unix.AF_INET), full[:len(full)-4]...),
	} {
		_, ok := parseMsg(b, unix.AF_INET, 7860)
		assert.False(t, ok, name)
	}
	_, ok = parseMsg(diagMsg(unix.AF_INET, full), unix.AF_INET, 7861)
	assert.False(t, ok, "another port")
}

// The edges of the tracker's rules: sends exactly sameSend apart are one send, two sends
// exactly Window apart are a stream, and a connection that got no request idles.
func TestTheTrackersRulesAtTheirEdges(t *testing.T) {
	t.Parallel()
	t0 := time.Now()
	c := conn(client, 0, time.Minute)

	tr := NewTracker()
	tr.Observe(t0, []Conn{c})
	c.SinceSent = 0
	assert.Empty(t, tr.Observe(t0.Add(sameSend), []Conn{c}), "a send observed again within sameSend is the same send")

	tr = NewTracker()
	tr.Observe(t0, []Conn{c})
	c.SinceSent = 0
	assert.NotEmpty(t, tr.Observe(t0.Add(sameSend+time.Millisecond), []Conn{c}), "two sends")
	c.SinceSent = Window - sameSend - time.Millisecond
	assert.NotEmpty(t, tr.Observe(t0.Add(Window), []Conn{c}), "the older send exactly Window ago: still a stream")
	assert.Empty(t, tr.Observe(t0.Add(Window+time.Millisecond), []Conn{c}), "a moment later it idles")

	fresh := Conn{Local: app, Remote: client, SinceSent: time.Second, SinceReceived: time.Second}
	assert.Empty(t, NewTracker().Observe(t0, []Conn{fresh}), "connected, nothing received: no answer owed")
}
