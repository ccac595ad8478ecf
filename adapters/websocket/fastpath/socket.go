package fastpath

import (
	"bufio"
	"errors"
	"io"
	"net"
	"syscall"
	"time"

	"github.com/notifypush/notify_push/adapters/websocket/fastpath/rawio"
)

// errWouldBlock is what a nonblocking read returns when the socket is empty.
// bufio.Reader does not keep it, so the next read starts afresh.
var errWouldBlock = errors.New("no data available")

// Socket is a client connection as gorilla (during the login) and the fast
// path (after it) share it. As a net.Conn it is the connection itself. Reads
// go through a small buffer (Buffer), gorilla's during the login and Pump's
// after it; they wait as usual until SetNonblocking, and then an empty
// socket answers at once instead of parking the goroutine. WriteNow writes
// without ever waiting.
type Socket struct {
	net.Conn
	raw syscall.RawConn // nil when the connection has no descriptor (TLS)
	sh  *Shared
	// r is the read buffer, borrowed from sh while there is something to
	// read: an idle connection has none unless a frame came in part.
	r *reader

	// What Pump is in the middle of, between two calls: skip payload bytes
	// of a frame being dropped, and the fragmented message msg (nil: none).
	skip int64
	msg  *message

	nonblocking bool // only the connection's single reader touches it
}

// NewSocket wraps nc with a read buffer from sh, for the login.
func NewSocket(nc net.Conn, sh *Shared) *Socket {
	s := &Socket{Conn: nc, sh: sh}
	if sc, ok := nc.(syscall.Conn); ok {
		if raw, err := sc.SyscallConn(); err == nil {
			s.raw = raw
		}
	}
	s.r = sh.lendReader(s)
	return s
}

// SetNonblocking makes every later read return at once when the socket is
// empty, for a reader that a Poller wakes; only where FD has a descriptor.
// Gorilla must be done reading: it needs reads that wait.
func (s *Socket) SetNonblocking() { s.nonblocking = s.raw != nil }

// Buffer is the read buffer over the socket, which gorilla reads the login
// through; nil once Pump has given it back.
func (s *Socket) Buffer() *bufio.Reader {
	if s.r == nil {
		return nil
	}
	return s.r.br
}

// Read reads from the connection; after SetNonblocking it never waits. The
// read buffer reads through it (gorilla points the buffer at the socket
// itself when it adopts it), or through its reader, which comes here too.
func (s *Socket) Read(p []byte) (int, error) {
	if !s.nonblocking || s.r == nil {
		return s.Conn.Read(p)
	}
	return s.r.readNow(p)
}

// Read reads for the read buffer from the socket it is lent to.
func (r *reader) Read(p []byte) (int, error) { return r.s.Read(p) }

// readNow makes one read of r's socket without waiting.
func (r *reader) readNow(p []byte) (int, error) {
	s := r.s
	r.p = p
	err := s.raw.Read(r.readFn)
	r.p = nil
	if err != nil {
		return 0, err // the socket is closed
	}
	n, err := r.n, r.err
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
func (r *reader) readFD(fd uintptr) bool {
	for {
		r.n, r.err = rawio.Read(int(fd), r.p)
		if r.err != syscall.EINTR {
			break
		}
	}
	if r.n < 0 {
		r.n = 0
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
	w := s.sh.lendWrite()
	w.p = p
	err := s.raw.Write(w.writeFn)
	n, werr := w.n, w.err
	w.p = nil
	s.sh.writers.Put(w)
	if err != nil {
		return 0, err // the socket is closed
	}
	if werr == syscall.EAGAIN {
		return n, nil
	}
	return n, werr
}

// writeFD writes until the socket's buffer is full, never asking the
// runtime to wait.
func (w *rawWrite) writeFD(fd uintptr) bool {
	w.n, w.err = 0, nil
	for w.n < len(w.p) {
		n, err := rawio.Write(int(fd), w.p[w.n:])
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			w.err = err
			break
		}
		w.n += n
	}
	return true
}

// CloseAfter half-closes the socket, so that what is queued for the peer
// (a close frame last) and then a FIN go out, and closes it after linger.
// Closed at once while the peer's bytes wait unread, the socket would send a
// reset instead and the kernel would drop what was still queued: a client
// that keeps sending, a flooder above all, would never see why it was closed.
func (s *Socket) CloseAfter(linger time.Duration) {
	if cw, ok := s.Conn.(interface{ CloseWrite() error }); ok && cw.CloseWrite() == nil {
		time.AfterFunc(linger, func() { _ = s.Conn.Close() })
		return
	}
	_ = s.Conn.Close()
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
