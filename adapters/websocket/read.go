package websocket

import (
	"bytes"
	"io"
	"log/slog"

	"github.com/gorilla/websocket"

	"github.com/notifypush/notify_push/adapters/websocket/fastpath"
	"github.com/notifypush/notify_push/domain"
)

// The reading side of a connection. Where there is a poller, an idle
// connection has no reader: when its socket becomes readable, the poller's
// goroutine pumps the simple frames (fastpath) and re-arms the socket; a
// frame only gorilla handles gets a goroutine until it is read. Elsewhere a
// reader goroutine per connection reads with gorilla.

// newPoller is the handler's poller, or nil where there is none or the
// options ask for reader goroutines.
func newPoller(opts Options, log *slog.Logger) *fastpath.Poller[*conn] {
	if !fastpath.Supported || opts.NoPoller {
		return nil
	}
	p, err := fastpath.NewPoller[*conn]()
	if err != nil {
		log.Warn("no readiness poller: every connection keeps a reader goroutine", "err", err)
		return nil
	}
	return p
}

// runPoller starts the poller's goroutine, if there is a poller, and returns
// what stops it and releases the poller.
func (h *Handler) runPoller() (stop func()) {
	if h.poller == nil {
		return func() {}
	}
	done := make(chan struct{})
	go func() { h.poller.Run(h.readable); close(done) }()
	return func() {
		h.poller.Stop()
		<-done
		h.poller.Close()
	}
}

// startReading hands a connection that just logged in to its reader.
func (h *Handler) startReading(c *conn) {
	if !c.polled {
		go h.readLoop(c)
		return
	}
	c.reading.Store(true)
	h.serviceReads(c) // bytes that came with the login, then the poller
}

// readable runs on the poller's goroutine when c's socket has data.
func (h *Handler) readable(c *conn) {
	if c.reading.CompareAndSwap(false, true) {
		h.serviceReads(c)
	}
}

// serviceReads handles what c has sent; the caller owns c.reading.
func (h *Handler) serviceReads(c *conn) {
	switch c.sock.Pump(c) {
	case fastpath.Idle:
		h.rearm(c)
	case fastpath.Slow:
		go h.slowRead(c)
	case fastpath.Gone:
		c.finish()
	}
}

// slowRead reads with gorilla, blocking, what the fast path cannot take
// (close frames, fragmented or long messages, protocol errors), then returns
// the connection to the poller.
func (h *Handler) slowRead(c *conn) {
	for {
		if !c.readMessage() {
			c.finish()
			return
		}
		switch c.sock.Pump(c) {
		case fastpath.Slow:
			continue
		case fastpath.Gone:
			c.finish()
			return
		}
		h.rearm(c)
		return
	}
}

// rearm gives up c.reading and hands c back to the poller.
func (h *Handler) rearm(c *conn) {
	c.reading.Store(false)
	if err := h.poller.Arm(c.fd, c); err != nil {
		c.finish()
	}
}

// readLoop is the connection's reader goroutine where there is no poller.
func (h *Handler) readLoop(c *conn) {
	defer c.finish()
	for c.readMessage() {
	}
}

// readMessage reads the next message with gorilla, blocking; pings, pongs and
// the close frame on the way are answered by the handlers set at login.
func (c *conn) readMessage() bool {
	kind, r, err := c.ws.NextReader()
	if err != nil {
		c.h.log.Debug("client disconnected", "user", c.user, "err", err)
		return false
	}
	// Only one command exists; a longer message cannot be it.
	var buf [64]byte
	n, _ := io.ReadFull(r, buf[:])
	if _, err := io.Copy(io.Discard, r); err != nil {
		c.h.log.Debug("client disconnected", "user", c.user, "err", err)
		return false
	}
	if kind == websocket.TextMessage && n < len(buf) {
		c.Text(buf[:n])
	}
	return true
}

// Text implements fastpath.Receiver: a text message from the client is a
// command, and "listen notify_file_id" is the only one.
func (c *conn) Text(payload []byte) {
	if string(bytes.TrimSpace(payload)) == domain.TextListenFileID {
		c.session.ListenFileIDs()
	}
}

// Ping implements fastpath.Receiver: see onPing.
func (c *conn) Ping(payload []byte) { _ = c.onPing(string(payload)) }

// Pong implements fastpath.Receiver: see pongArrived.
func (c *conn) Pong(payload []byte) bool {
	if !c.pongArrived(payload) {
		c.h.log.Debug("client disconnected", "user", c.user, "err", errPongMismatch)
		return false
	}
	return true
}

// Finished implements fastpath.Watched.
func (c *conn) Finished() bool { return c.finished.Load() }
