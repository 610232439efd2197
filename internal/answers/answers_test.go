package answers

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	client = netip.MustParseAddrPort("10.0.0.9:40000")
	app    = netip.MustParseAddrPort("10.0.0.1:7860")
)

func conn(remote netip.AddrPort, sinceSent, sinceReceived time.Duration) Conn {
	return Conn{Local: app, Remote: remote, SinceSent: sinceSent, SinceReceived: sinceReceived}
}

// The kernel lists a real connection to the port with its last send and receive: after
// the server's write its last send is the newer, after the client's the other way round.
func TestEstablishedListsTheConnectionsOfThePortWithTheirLastSendAndReceive(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	port := uint16(ln.Addr().(*net.TCPAddr).Port)
	c, err := net.Dial("tcp", ln.Addr().String())
	require.NoError(t, err)
	defer c.Close()
	s, err := ln.Accept()
	require.NoError(t, err)
	defer s.Close()

	_, err = c.Write([]byte("GET / HTTP/1.1\r\n\r\n"))
	require.NoError(t, err)
	_, _ = io.ReadFull(s, make([]byte, 18))
	time.Sleep(100 * time.Millisecond)
	mine := func() Conn {
		conns, err := Established(port)
		require.NoError(t, err)
		for _, x := range conns {
			if x.Remote.String() == c.LocalAddr().String() {
				assert.Equal(t, port, x.Local.Port())
				return x
			}
		}
		t.Fatalf("connection from %s not listed among %v", c.LocalAddr(), conns)
		return Conn{}
	}
	got := mine()
	assert.LessOrEqual(t, got.SinceReceived, got.SinceSent, "a request awaits its answer: %+v", got)
	assert.Equal(t, uint64(0), got.Sent)
	assert.Equal(t, uint64(18), got.Received)
	assert.NotEmpty(t, NewTracker().Observe(time.Now(), []Conn{withRemote(got, client)}), "awaiting")

	_, err = s.Write([]byte("HTTP/1.1 200 OK\r\n\r\n"))
	require.NoError(t, err)
	time.Sleep(50 * time.Millisecond)
	got = mine()
	assert.Less(t, got.SinceSent, got.SinceReceived, "answered: %+v", got)
	assert.Less(t, got.SinceSent, time.Second)
	assert.Equal(t, uint64(19), got.Sent)
	assert.Empty(t, NewTracker().Observe(time.Now(), []Conn{withRemote(got, client)}), "answered")
}

// withRemote is c as if from remote (a real loopback connection is the agent's own).
func withRemote(c Conn, remote netip.AddrPort) Conn {
	c.Remote = remote
	return c
}

// Each kind of connection is judged as the package comment says.
func TestAConnectionAnswersWhileItAwaitsItsAnswerOrStreams(t *testing.T) {
	t.Parallel()
	t0 := time.Now()
	tr := NewTracker()
	awaiting := conn(netip.MustParseAddrPort("10.0.0.2:1"), 5*time.Second, time.Second)
	// A request in the millisecond of its connect, never answered, against an answer
	// sent in the millisecond of its request.
	fresh := Conn{Local: app, Remote: netip.MustParseAddrPort("10.0.0.6:1"), SinceSent: time.Second, SinceReceived: time.Second, Received: 90}
	quickAnswer := Conn{Local: app, Remote: netip.MustParseAddrPort("10.0.0.7:1"), SinceSent: time.Second, SinceReceived: time.Second, Received: 90, Sent: 300}
	keptAlive := conn(netip.MustParseAddrPort("10.0.0.3:1"), 4*time.Second, 4*time.Second+time.Millisecond)
	stream := conn(netip.MustParseAddrPort("10.0.0.4:1"), 100*time.Millisecond, 20*time.Second)
	heartbeat := conn(netip.MustParseAddrPort("10.0.0.5:1"), 1*time.Second, 60*time.Second)
	probe := conn(netip.MustParseAddrPort("127.0.0.1:5"), 5*time.Second, time.Second) // the agent's own

	got := tr.Observe(t0, []Conn{awaiting, keptAlive, stream, heartbeat, probe, fresh, quickAnswer})
	assert.Equal(t, []Conn{awaiting, fresh}, got, "one sample shows one send: only the awaiting ones are sure")

	// 250 ms later: the stream sent again, the heartbeat did not (its next is 14 s away).
	t1 := t0.Add(250 * time.Millisecond)
	stream.SinceSent = 50 * time.Millisecond
	heartbeat.SinceSent += 250 * time.Millisecond
	keptAlive.SinceSent += 250 * time.Millisecond
	keptAlive.SinceReceived += 250 * time.Millisecond
	got = tr.Observe(t1, []Conn{awaiting, keptAlive, stream, heartbeat})
	assert.ElementsMatch(t, []Conn{awaiting, stream}, got)

	// 15 s on, the heartbeat sends its next event: two sends 15 s apart are no stream.
	t2 := t0.Add(15 * time.Second)
	heartbeat.SinceSent = 10 * time.Millisecond
	got = tr.Observe(t2, []Conn{heartbeat})
	assert.Empty(t, got, "a heartbeat stream idles")
	assert.Len(t, tr.sends, 1, "connections gone are forgotten")
}

// Wait ends at once with no connection, after Window of quiet once a stream ends, at
// its timeout while one streams on, and without waiting when the kernel cannot say.
func TestWaitEndsWhenNoAnswerIsInFlight(t *testing.T) {
	t.Parallel()
	log := slog.New(slog.DiscardHandler)
	ctx := context.Background()

	t.Run("no connection", func(t *testing.T) {
		t.Parallel()
		begin := time.Now()
		assert.Equal(t, Quiet, Wait(ctx, func() ([]Conn, error) { return nil, nil }, time.Minute, log))
		assert.Less(t, time.Since(begin), Window)
	})
	t.Run("a stream that ends", func(t *testing.T) {
		t.Parallel()
		begin := time.Now()
		streamFor := 1500 * time.Millisecond
		list := func() ([]Conn, error) {
			if time.Since(begin) < streamFor {
				return []Conn{conn(client, 10*time.Millisecond, time.Minute)}, nil
			}
			return []Conn{conn(client, time.Since(begin)-streamFor, time.Minute)}, nil // kept alive after its end
		}
		assert.Equal(t, Quiet, Wait(ctx, list, time.Minute, log))
		assert.GreaterOrEqual(t, time.Since(begin), streamFor+Window-Every, "quiet for Window after the stream's end")
	})
	t.Run("a stream that goes on", func(t *testing.T) {
		t.Parallel()
		begin := time.Now()
		list := func() ([]Conn, error) { return []Conn{conn(client, 10*time.Millisecond, time.Minute)}, nil }
		assert.Equal(t, TimedOut, Wait(ctx, list, time.Second, log))
		assert.GreaterOrEqual(t, time.Since(begin), time.Second)
	})
	t.Run("unreadable", func(t *testing.T) {
		t.Parallel()
		var calls atomic.Int32
		list := func() ([]Conn, error) { calls.Add(1); return nil, errors.New("no netlink") }
		assert.Equal(t, Unknown, Wait(ctx, list, time.Minute, log))
		assert.Equal(t, int32(1), calls.Load())
	})
	t.Run("cut short", func(t *testing.T) {
		t.Parallel()
		cctx, cancel := context.WithCancel(ctx)
		time.AfterFunc(300*time.Millisecond, cancel)
		list := func() ([]Conn, error) { return []Conn{conn(client, 10*time.Millisecond, time.Minute)}, nil }
		assert.Equal(t, Cut, Wait(cctx, list, time.Minute, log))
	})
}
