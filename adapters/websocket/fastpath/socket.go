package fastpath

import (
	"bufio"
	"errors"
	"io"
	"net"
	"syscall"

	"github.com/notifypush/notify_push/adapters/websocket/fastpath/rawio"
)

// errWouldBlock is what a nonblocking read returns when the socket is empty.
// bufio.Reader does not keep it, so the next read starts afresh.
var errWouldBlock = errors.New("no data available")

// Socket is a client connection as gorilla (during the login) and the fast
// path (after it) share it. As a net.Conn it is the connection itself, and
// its reads block as usual until SetNonblocking: then an empty socket
// answers at once instead of parking the goroutine. Reads go through one
// small buffer (Buffer), gorilla's during the login and Pump's after it.
// WriteNow writes without ever waiting.
type Socket struct {
	net.Conn
	raw syscall.RawConn // nil when the connection has no descriptor (TLS)
	rd  *Reading
	// br is the read buffer, borrowed from rd while there is something to
	// read: an idle connection has none unless a frame came in part.
	br *bufio.Reader

	// What Pump is in the middle of, between two calls: skip payload bytes
	// of a frame being dropped, and the fragmented message msg (nil: none).
	skip int64
	msg  *message

	nonblocking bool // only the connection's single reader touches it

	// State of the raw read, kept here so that a read allocates nothing.
	buf    []byte
	n      int
	err    error
	readFn func(fd uintptr) bool

	// The same for a raw write; only the connection's current writer uses it.
	wbuf    []byte
	wn      int
	werr    error
	writeFn func(fd uintptr) bool
}

// NewSocket wraps nc with a read buffer from rd, for the login.
func NewSocket(nc net.Conn, rd *Reading) *Socket {
	s := &Socket{Conn: nc, rd: rd}
	if sc, ok := nc.(syscall.Conn); ok {
		if raw, err := sc.SyscallConn(); err == nil {
			s.raw = raw
			s.readFn = s.readFD
			s.writeFn = s.writeFD
		}
	}
	s.br = rd.lend(s)
	return s
}

// SetNonblocking makes every later read return at once when the socket is
// empty, for a reader that a Poller wakes; only where FD has a descriptor.
// Gorilla must be done reading: it needs reads that wait.
func (s *Socket) SetNonblocking() { s.nonblocking = s.raw != nil }

// Buffer is the read buffer over the socket, which gorilla reads the login
// through; nil once Pump has given it back.
func (s *Socket) Buffer() *bufio.Reader { return s.br }

// Read reads from the connection; after SetNonblocking it never waits.
func (s *Socket) Read(p []byte) (int, error) {
	if !s.nonblocking || s.raw == nil {
		return s.Conn.Read(p)
	}
	s.buf = p
	if err := s.raw.Read(s.readFn); err != nil {
		return 0, err // the socket is closed
	}
	s.buf = nil
	n, err := s.n, s.err
	switch {
	case err == syscall.EAGAIN:
		return 0, errWouldBlock
	case err != nil:
		return 0, err
	case n == 0 && len(p) > 0:
		return 0, io.EOF
	}
	return n, nil
}

// readFD makes one read attempt and never asks the runtime to wait.
func (s *Socket) readFD(fd uintptr) bool {
	for {
		s.n, s.err = rawio.Read(int(fd), s.buf)
		if s.err != syscall.EINTR {
			break
		}
	}
	if s.n < 0 {
		s.n = 0
	}
	return true
}

// CanWriteNow reports whether WriteNow may be used: the connection has a
// descriptor of its own (a TLS connection has not).
func (s *Socket) CanWriteNow() bool { return s.raw != nil }

// WriteNow writes what the socket takes at once and returns how much that
// was; it never waits. Only where CanWriteNow. The caller is the
// connection's only writer for the duration.
func (s *Socket) WriteNow(p []byte) (int, error) {
	s.wbuf = p
	err := s.raw.Write(s.writeFn)
	s.wbuf = nil
	if err != nil {
		return 0, err // the socket is closed
	}
	n, err := s.wn, s.werr
	if err == syscall.EAGAIN {
		return n, nil
	}
	return n, err
}

// writeFD writes until the socket's buffer is full, never asking the
// runtime to wait.
func (s *Socket) writeFD(fd uintptr) bool {
	s.wn, s.werr = 0, nil
	for s.wn < len(s.wbuf) {
		n, err := rawio.Write(int(fd), s.wbuf[s.wn:])
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			s.werr = err
			break
		}
		s.wn += n
	}
	return true
}

// FD is the socket's descriptor, for a Poller; false without one.
func (s *Socket) FD() (int, bool) {
	if s.raw == nil {
		return 0, false
	}
	fd := -1
	if err := s.raw.Control(func(d uintptr) { fd = int(d) }); err != nil || fd < 0 {
		return 0, false
	}
	return fd, true
}
