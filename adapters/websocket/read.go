package websocket

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/notifypush/notify_push/adapters/websocket/fastpath"
	"github.com/notifypush/notify_push/domain"
)

// The reading side of a connection. Where there are pollers, an idle
// connection has no reader: when its socket becomes readable, its poller's
// goroutine pumps the simple frames (fastpath), at most a budget of them
// before the next ready socket has its turn, and re-arms the socket; a
// frame only gorilla handles gets a goroutine until it is read. Elsewhere a
// reader goroutine per connection reads with gorilla. Whatever reads, the
// frames are charged to the client's allowance (domain.FrameAllowance): a
// logged-in client has little to say, and one that floods is closed.

// newPollers are the handler's pollers, none where there is no poller or
// the options ask for reader goroutines.
func newPollers(opts Options, log *slog.Logger) []*fastpath.Poller[*conn] {
	if !fastpath.Supported || opts.NoPoller {
		return nil
	}
	pollers := make([]*fastpath.Poller[*conn], 0, opts.Pollers)
	for range opts.Pollers {
		p, err := fastpath.NewPoller[*conn]()
		if err != nil {
			for _, p := range pollers {
				p.Close()
			}
			log.Warn("no readiness poller: every connection keeps a reader goroutine", "err", err)
			return nil
		}
		pollers = append(pollers, p)
	}
	return pollers
}

// runPollers starts a goroutine per poller and returns what stops them and
// releases the pollers.
func (h *Handler) runPollers() (stop func()) {
	var wg sync.WaitGroup
	for _, p := range h.pollers {
		wg.Go(func() { p.Run(h.readable) })
	}
	return func() {
		for _, p := range h.pollers {
			p.Stop()
		}
		wg.Wait()
		for _, p := range h.pollers {
			p.Close()
		}
	}
}

// pollerFor spreads connections over the pollers, round robin.
func (h *Handler) pollerFor() *fastpath.Poller[*conn] {
	return h.pollers[h.nextPoller.Add(1)%uint32(len(h.pollers))]
}

// startReading hands a connection that just logged in to its reader.
func (h *Handler) startReading(c *conn) {
	if c.poller == nil {
		go h.readLoop(c)
		return
	}
	c.reading.Store(true)
	// Bytes that came with the login, then the poller; a client sending
	// more than a budget at once only delays its own login goroutine.
	for h.serviceReads(c) {
	}
}

// readable runs on a poller's goroutine when c's socket has data, or, when
// resumed, when c's turn has come again after it spent its read budget.
func (h *Handler) readable(c *conn, resumed bool) (again bool) {
	if !resumed && !c.reading.CompareAndSwap(false, true) {
		return false
	}
	if c.finished.Load() {
		return false
	}
	return h.serviceReads(c)
}

// serviceReads handles what c has sent, within a read budget; the caller
// owns c.reading. It returns true when the budget ran out with more
// waiting: the caller lets others have their turn and calls again.
func (h *Handler) serviceReads(c *conn) (again bool) {
	out, ok := h.pump(c)
	if !ok {
		return false // closing: the writer ends the connection
	}
	switch out {
	case fastpath.More:
		return true
	case fastpath.Idle:
		h.rearm(c)
	case fastpath.Slow:
		go h.slowRead(c)
	case fastpath.Gone:
		c.finish()
	}
	return false
}

// pump takes the simple frames c has sent, at most readBudget of them, and
// charges them to c's allowance; false when c is past it and now closing.
func (h *Handler) pump(c *conn) (fastpath.Outcome, bool) {
	out, n := c.sock.Pump(c, readBudget)
	return out, h.charge(c, n)
}

// charge takes n frames from c's allowance and closes c once it has sent
// far more than any client does: reading it costs the poller that all the
// other connections share.
func (h *Handler) charge(c *conn, n int) bool {
	// A pong that answers the server's own ping is not the client's doing.
	n -= int(c.answered)
	c.answered = 0
	if n <= 0 || c.allowance.Charge(n, time.Now().UnixNano(), h.opts.ClientFrameRate) {
		return true
	}
	c.flooded = true
	c.Close(domain.CloseFlood)
	h.counters.FloodingClientCloses.Add(1)
	if ok, held := h.floodLog.Allow(c.user, time.Now()); ok {
		h.log.Warn("closing a client that sends more frames than its allowance (CLIENT_FRAME_RATE)",
			"user", c.user, "rate", h.opts.ClientFrameRate, "closes_not_logged", held)
	}
	return false
}

// slowRead reads with gorilla, blocking, what the fast path cannot take
// (close frames, fragmented or long messages, protocol errors), then returns
// the connection to the poller.
func (h *Handler) slowRead(c *conn) {
	for {
		if !c.readMessage() {
			c.finishUnlessFlooded()
			return
		}
		if !h.charge(c, c.takeUnpaid()) {
			return
		}
		out, ok := h.pump(c)
		for ok && out == fastpath.More {
			out, ok = h.pump(c)
		}
		switch {
		case !ok:
			return
		case out == fastpath.Slow:
			continue
		case out == fastpath.Gone:
			c.finish()
			return
		}
		h.rearm(c)
		return
	}
}

// rearm gives up c.reading and hands c back to its poller.
func (h *Handler) rearm(c *conn) {
	c.reading.Store(false)
	if err := c.poller.Arm(c.fd, c); err != nil {
		c.finish()
	}
}

// readLoop is the connection's reader goroutine where there is no poller.
// A client past its allowance is left to the writer, which ends the
// connection once the close frame is out.
func (h *Handler) readLoop(c *conn) {
	for c.readMessage() {
		if !h.charge(c, c.takeUnpaid()) {
			return
		}
	}
	c.finishUnlessFlooded()
}

// finishUnlessFlooded ends the connection after a failed read, unless the
// read failed because the client is past its allowance: then the writer
// ends it once the 1008 close frame is out.
func (c *conn) finishUnlessFlooded() {
	if !c.flooded {
		c.finish()
	}
}

// takeUnpaid returns the frames gorilla read since the last charge.
func (c *conn) takeUnpaid() int {
	n := int(c.unpaid)
	c.unpaid = 0
	return n
}

// readMessage reads the next message with gorilla, blocking; pings, pongs and
// the close frame on the way are answered by the handlers set at login.
func (c *conn) readMessage() bool {
	kind, r, err := c.ws.NextReader()
	c.unpaid++
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

// gorillaPing and gorillaPong are gorilla's control handlers after the
// login: what onPing and onPong do, counted for the allowance.
func (c *conn) gorillaPing(data string) error {
	if err := c.countControlFrame(); err != nil {
		return err
	}
	return c.onPing(data)
}

func (c *conn) gorillaPong(data string) error {
	if err := c.countControlFrame(); err != nil {
		return err
	}
	return c.onPong(data)
}

var errFlooding = errors.New("client past its frame allowance")

// countControlFrame counts a ping or pong gorilla read. Gorilla returns from
// a read only with a data message, so a stream of control frames is charged
// here, a budget at a time.
func (c *conn) countControlFrame() error {
	if c.unpaid++; c.unpaid < readBudget {
		return nil
	}
	if !c.h.charge(c, c.takeUnpaid()) {
		return errFlooding
	}
	return nil
}

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
