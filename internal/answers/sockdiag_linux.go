package answers

// The kernel's socket diagnostics (NETLINK_SOCK_DIAG, what `ss` reads) list the app
// port's connections with their tcp_info, whose last-send and last-receive times tell
// a connection that is answering from one that idles. No privilege is needed for the
// sockets of one's own network namespace, which the agent shares with the app.

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Conn is one established connection to the app port, as the kernel last saw it.
type Conn struct {
	Local, Remote netip.AddrPort
	SinceSent     time.Duration // since the app last sent data on it (since the connect when it never did)
	SinceReceived time.Duration // since the client last sent data on it
	Sent          uint64        // bytes the app sent on it (0 on kernels before 4.19: unknown)
	Received      uint64        // bytes the client sent on it
}

// Layout of the kernel's structures (linux/inet_diag.h).
const (
	sizeofReq      = 56 // inet_diag_req_v2
	sizeofMsg      = 72 // inet_diag_msg
	sockIDOffset   = 4  // of the socket id in inet_diag_msg
	inetDiagInfo   = 2  // INET_DIAG_INFO: the attribute carrying tcp_info
	tcpEstablished = 1
)

var (
	lastSentOffset = int(unsafe.Offsetof(unix.TCPInfo{}.Last_data_sent))
	lastRecvOffset = int(unsafe.Offsetof(unix.TCPInfo{}.Last_data_recv))
	receivedOffset = int(unsafe.Offsetof(unix.TCPInfo{}.Bytes_received))
	sentOffset     = int(unsafe.Offsetof(unix.TCPInfo{}.Bytes_sent))
)

// Established lists the established TCP connections whose local port is port, over IPv4
// and IPv6.
func Established(port uint16) ([]Conn, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_SOCK_DIAG)
	if err != nil {
		return nil, fmt.Errorf("socket diagnostics: %w", err)
	}
	defer unix.Close(fd)
	// A dump that never ends must not hold the stop: the kernel answers at once.
	tv := unix.NsecToTimeval(int64(2 * time.Second))
	_ = unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)
	var out []Conn
	for seq, family := range []uint8{unix.AF_INET, unix.AF_INET6} {
		conns, err := dump(fd, uint32(seq+1), family, port)
		if err != nil {
			return nil, err
		}
		out = append(out, conns...)
	}
	return out, nil
}

// dump asks for one family's established TCP sockets with their tcp_info.
func dump(fd int, seq uint32, family uint8, port uint16) ([]Conn, error) {
	req := make([]byte, unix.SizeofNlMsghdr+sizeofReq)
	ne := binary.NativeEndian
	ne.PutUint32(req[0:], uint32(len(req)))
	ne.PutUint16(req[4:], unix.SOCK_DIAG_BY_FAMILY)
	ne.PutUint16(req[6:], unix.NLM_F_REQUEST|unix.NLM_F_DUMP)
	ne.PutUint32(req[8:], seq)
	r := req[unix.SizeofNlMsghdr:]
	r[0], r[1], r[2] = family, unix.IPPROTO_TCP, 1<<(inetDiagInfo-1)
	ne.PutUint32(r[4:], 1<<tcpEstablished)
	if err := unix.Sendto(fd, req, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return nil, fmt.Errorf("socket diagnostics request: %w", err)
	}
	var out []Conn
	buf := make([]byte, 64<<10)
	for {
		n, _, err := unix.Recvfrom(fd, buf, 0)
		if err != nil {
			return nil, fmt.Errorf("socket diagnostics answer: %w", err)
		}
		msgs, err := syscall.ParseNetlinkMessage(buf[:n])
		if err != nil {
			return nil, fmt.Errorf("socket diagnostics answer: %w", err)
		}
		for _, m := range msgs {
			if m.Header.Seq != seq {
				continue
			}
			switch m.Header.Type {
			case unix.NLMSG_DONE:
				return out, nil
			case unix.NLMSG_ERROR:
				if len(m.Data) >= 4 {
					if errno := int32(ne.Uint32(m.Data)); errno != 0 {
						return nil, fmt.Errorf("socket diagnostics: %w", syscall.Errno(-errno))
					}
				}
				return nil, errors.New("socket diagnostics: error answer")
			}
			if c, ok := parseMsg(m.Data, family, port); ok {
				out = append(out, c)
			}
		}
	}
}

// parseMsg reads one inet_diag_msg and its tcp_info; ok is false for another port or a
// message without tcp_info.
func parseMsg(b []byte, family uint8, port uint16) (Conn, bool) {
	if len(b) < sizeofMsg || b[0] != family {
		return Conn{}, false
	}
	id := b[sockIDOffset:]
	sport, dport := binary.BigEndian.Uint16(id[0:]), binary.BigEndian.Uint16(id[2:])
	if sport != port {
		return Conn{}, false
	}
	src, dst := addr(family, id[4:20]), addr(family, id[20:36])
	c := Conn{Local: netip.AddrPortFrom(src, sport), Remote: netip.AddrPortFrom(dst, dport)}
	ne := binary.NativeEndian
	for attrs := b[sizeofMsg:]; len(attrs) >= 4; {
		l, typ := int(ne.Uint16(attrs[0:])), ne.Uint16(attrs[2:])
		if l < 4 || l > len(attrs) {
			break
		}
		if data := attrs[4:l]; typ == inetDiagInfo && len(data) >= lastRecvOffset+4 {
			c.SinceSent = time.Duration(ne.Uint32(data[lastSentOffset:])) * time.Millisecond
			c.SinceReceived = time.Duration(ne.Uint32(data[lastRecvOffset:])) * time.Millisecond
			if len(data) >= receivedOffset+8 {
				c.Received = ne.Uint64(data[receivedOffset:])
			}
			if len(data) >= sentOffset+8 {
				c.Sent = ne.Uint64(data[sentOffset:])
			}
			return c, true
		}
		attrs = attrs[min((l+3)&^3, len(attrs)):]
	}
	return Conn{}, false
}

// addr is an address of the socket id; an IPv4-mapped IPv6 one is unmapped.
func addr(family uint8, b []byte) netip.Addr {
	if family == unix.AF_INET {
		return netip.AddrFrom4([4]byte(b[:4]))
	}
	return netip.AddrFrom16([16]byte(b[:16])).Unmap()
}
