package websocket

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"syscall"

	"github.com/notifypush/notify_push/adapters/websocket/fastpath/rawio"
)

// errWouldBlock is what a non-blocking read returns when the socket is empty.
// bufio.Reader does not keep it, so the next read starts afresh.
var errWouldBlock = errors.New("no data available")

// pollConn is the client socket as gorilla sees it: reads block as usual,
// except while the idle fast path reads with nonblocking set, where an empty
// socket answers errWouldBlock instead of parking a goroutine.
type pollConn struct {
	net.Conn
	raw syscall.RawConn // nil when the socket has no file descriptor (TLS)

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

func newPollConn(nc net.Conn) *pollConn {
	pc := &pollConn{Conn: nc}
	if sc, ok := nc.(syscall.Conn); ok {
		if raw, err := sc.SyscallConn(); err == nil {
			pc.raw = raw
			pc.readFn = pc.readFD
			pc.writeFn = pc.writeFD
		}
	}
	return pc
}

func (pc *pollConn) Read(p []byte) (int, error) {
	if !pc.nonblocking || pc.raw == nil {
		return pc.Conn.Read(p)
	}
	pc.buf = p
	if err := pc.raw.Read(pc.readFn); err != nil {
		return 0, err // the socket is closed
	}
	pc.buf = nil
	n, err := pc.n, pc.err
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
func (pc *pollConn) readFD(fd uintptr) bool {
	for {
		pc.n, pc.err = rawio.Read(int(fd), pc.buf)
		if pc.err != syscall.EINTR {
			break
		}
	}
	if pc.n < 0 {
		pc.n = 0
	}
	return true
}

// writeNow writes what the socket takes at once and returns how much that
// was; it never waits. Only for sockets with a descriptor (raw != nil).
func (pc *pollConn) writeNow(p []byte) (int, error) {
	pc.wbuf = p
	err := pc.raw.Write(pc.writeFn)
	pc.wbuf = nil
	if err != nil {
		return 0, err // the socket is closed
	}
	n, err := pc.wn, pc.werr
	if err == syscall.EAGAIN {
		return n, nil
	}
	return n, err
}

// writeFD writes until the socket's buffer is full, never asking the
// runtime to wait.
func (pc *pollConn) writeFD(fd uintptr) bool {
	pc.wn, pc.werr = 0, nil
	for pc.wn < len(pc.wbuf) {
		n, err := rawio.Write(int(fd), pc.wbuf[pc.wn:])
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			pc.werr = err
			break
		}
		pc.wn += n
	}
	return true
}

// fd is the socket's descriptor, for the poller; false without one.
func (pc *pollConn) fd() (int, bool) {
	if pc.raw == nil {
		return 0, false
	}
	fd := -1
	if err := pc.raw.Control(func(s uintptr) { fd = int(s) }); err != nil || fd < 0 {
		return 0, false
	}
	return fd, true
}

// hijackWriter hands gorilla the connection's own reader when it hijacks the
// request: a small buffer of ours, over a pollConn, instead of the HTTP
// server's 4 KiB one, so that nothing of the HTTP server stays behind.
type hijackWriter struct {
	http.ResponseWriter
	bufferSize int
	pc         *pollConn
	br         *bufio.Reader
}

func (w *hijackWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	hj, ok := w.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, errors.New("the HTTP server does not support hijacking")
	}
	nc, brw, err := hj.Hijack()
	if err != nil {
		return nil, nil, err
	}
	if brw.Reader.Buffered() > 0 {
		// The client did not wait for the handshake; gorilla refuses this.
		return nc, brw, nil
	}
	w.pc = newPollConn(nc)
	w.br = bufio.NewReaderSize(w.pc, w.bufferSize)
	return w.pc, bufio.NewReadWriter(w.br, brw.Writer), nil
}
