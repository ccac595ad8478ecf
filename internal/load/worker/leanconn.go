package worker

import (
	"io"
	"net"
	"syscall"

	"github.com/notifypush/notify_push/adapters/websocket/fastpath/rawio"
)

// leanConn is a client socket whose reads skip the scheduler's system-call
// bookkeeping (package rawio): the runtime's netpoller does the waiting. The clients share the cores with the
// server under test, so each microsecond they spend per frame shows up in
// the server's figures; this one halves what a read costs them.
type leanConn struct {
	*net.TCPConn
	rc syscall.RawConn

	// State of the read in progress; gorilla reads from one goroutine.
	buf    []byte
	n      int
	err    error
	readFn func(fd uintptr) bool
}

// lean wraps c when it is a TCP socket; anything else is returned as is.
func lean(c net.Conn) net.Conn {
	tc, ok := c.(*net.TCPConn)
	if !ok {
		return c
	}
	rc, err := tc.SyscallConn()
	if err != nil {
		return c
	}
	lc := &leanConn{TCPConn: tc, rc: rc}
	lc.readFn = lc.readFD
	return lc
}

func (c *leanConn) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	c.buf = p
	err := c.rc.Read(c.readFn)
	c.buf = nil
	switch {
	case err != nil:
		return 0, err // closed, or past the read deadline
	case c.err != nil:
		return 0, c.err
	case c.n == 0:
		return 0, io.EOF
	}
	return c.n, nil
}

// readFD makes one read; false asks the runtime to wait for the socket.
func (c *leanConn) readFD(fd uintptr) bool {
	for {
		c.n, c.err = rawio.Read(int(fd), c.buf)
		switch c.err {
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			return false
		}
		c.n = max(c.n, 0)
		return true
	}
}
