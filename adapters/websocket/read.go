package websocket

import (
	"bytes"
	"log/slog"
	"sync"
	"time"

	"github.com/notifypush/notify_push/adapters/websocket/fastpath"
	"github.com/notifypush/notify_push/domain"
)

// The reading side of a connection, once logged in. Where there are
// pollers, an idle connection has no reader: when its socket becomes
// readable, its poller's goroutine pumps what the client sent (fastpath), at
// most a budget of frames before the next ready socket has its turn, and
// re-arms the socket. Elsewhere a reader goroutine per connection pumps,
// waiting for each frame. Whatever reads, the frames are charged to the
// client's allowance (domain.FrameAllowance): a logged-in client has little
// to say, and one that floods is closed.

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
	c.sock.SetNonblocking()
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
	case fastpath.Gone:
		c.finish()
	}
	return false // Closed: the writer ends the connection
}

// readLoop is the connection's reader goroutine where there is no poller:
// the same pumping, waiting for each frame.
func (h *Handler) readLoop(c *conn) {
	for {
		out, ok := h.pump(c)
		switch {
		case !ok || out == fastpath.Closed:
			return // the writer ends the connection
		case out != fastpath.More:
			c.finish()
			return
		}
	}
}

// pump reads what c has sent, at most readBudget frames, and charges them to
// c's allowance; false when c is past it and now closing.
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

// rearm gives up c.reading and hands c back to its poller.
func (h *Handler) rearm(c *conn) {
	c.reading.Store(false)
	if err := c.poller.Arm(int(c.fd), c); err != nil {
		c.finish()
	}
}

// Text implements fastpath.Receiver: a text message from the client is a
// command, and "listen notify_file_id" is the only one.
func (c *conn) Text(payload []byte) {
	if string(bytes.TrimSpace(payload)) == domain.TextListenFileID {
		c.session.ListenFileIDs()
	}
}

// Ping implements fastpath.Receiver: see onPing.
func (c *conn) Ping(payload []byte) { c.onPing(string(payload)) }

// Pong implements fastpath.Receiver: see pongArrived.
func (c *conn) Pong(payload []byte) bool {
	if !c.pongArrived(payload) {
		c.h.log.Debug("client disconnected", "user", c.user, "err", errPongMismatch)
		return false
	}
	return true
}

// Closing implements fastpath.Receiver: the writer answers with a close
// frame of code, then ends the connection. A close of the server's own,
// already queued, goes instead.
func (c *conn) Closing(code int) {
	c.mu.Lock()
	if c.state != open {
		c.mu.Unlock()
		return
	}
	c.closeLocked(0)
	c.peerCode = uint16(code)
	c.kickAndUnlock()
}

// Finished implements fastpath.Watched.
func (c *conn) Finished() bool { return c.finished.Load() }
