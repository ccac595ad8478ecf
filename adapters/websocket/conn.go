package websocket

import (
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/notifypush/notify_push/adapters/websocket/fastpath"
	"github.com/notifypush/notify_push/domain"
	"github.com/notifypush/notify_push/ports"
)

// conn is one client connection. Once logged in and idle it costs no
// goroutine at all: the handler's poller watches its socket and reads what
// the client sends when it arrives (where the platform has no poller, or the
// socket is TLS, a reader goroutine waits instead; see read.go). Gorilla
// reads the login and is then let go: after it, the fast path reads every
// frame and the connection writes its own. Every write after the login
// (frames, pings, pongs, the close frame) is made by whoever holds the
// writer's role: the sender itself when a frame can go out at once, else
// one writer goroutine that exists only while something is waiting, so an
// idle connection holds no writer, no write buffer and no timer.
//
// Methods named …Locked are called with c.mu held and return with it held;
// kickAndUnlock releases it.
type conn struct {
	// There is one per connection, so the fields are laid out to leave no
	// padding: the struct fits the 224-byte size class.

	h       *Handler
	sock    *fastpath.Socket
	session ports.Session
	user    domain.UserID

	// poller watches the connection while it idles (nil: a reader goroutine
	// does); fd is its socket.
	poller *fastpath.Poller[*conn]
	fd     int32
	// slot is the connection's index in Handler.conns; guarded by Handler.mu.
	slot int32
	// allowance is what the client may still send. Only the reader touches
	// it, answered and flooded.
	allowance domain.FrameAllowance
	answered  int32 // pongs since the last charge that answered a ping of ours
	// connected is when the login completed (unix nanos), for MAX_CONNECTION_TIME.
	connected   int64
	lastSent    atomic.Int64  // unix nanos of the last frame or ping written
	pingPayload atomic.Uint32 // outstanding ping, 0 = none
	stripe      uint32        // spreads the per-message counter over cache lines
	// reading: a reader (the poller's callback or a goroutine) owns the
	// socket's read buffer.
	reading atomic.Bool
	// finished: the socket is closed and the session detached.
	finished atomic.Bool

	// mu guards what follows, and reason, owePong and restMsg below.
	mu sync.Mutex
	// queue holds the frames waiting for the writer, in order.
	queue []domain.Outgoing
	// queued is 1 + the queue index of the unsent file, activity and
	// notification frame, 0 when there is none: a later one merges into it.
	queued [domain.KindCustom]int32
	// customs counts the custom frames in queue, bounded by QueueLimit.
	customs int32
	ping    uint32 // payload of a ping waiting to be written, 0 = none
	// peerCode, when not 0, is the close frame's code instead of reason's:
	// the reader's answer to the client's close frame or to a broken protocol.
	peerCode uint16
	writer   writerRole
	state    closeState
	pong     string // payload of a pong owed to the client, when owePong
	// rest is the unwritten tail of a frame that an inline write could only
	// write in part; the writer sends it before anything else. restMsg: it
	// belongs to a message (for the per-kind counter).
	rest []byte

	// The single bytes, together at the end.
	reason  domain.CloseReason // why the close frame closes, once state is closeQueued
	kind    domain.ClientKind
	owePong bool
	restMsg bool
	flooded bool // past the allowance: closing, nothing more is read (the reader's)
	// deadlineSet: a write left a deadline on the socket. Only the holder of
	// the writer's role touches it.
	deadlineSet bool
}

// writerRole says who may write to the client.
type writerRole uint8

const (
	// writerLogin: the login goroutine writes; frames sent meanwhile wait
	// until "authenticated" is out (start).
	writerLogin writerRole = iota
	// writerFree: nobody writes; the next sender may claim the role.
	writerFree
	// writerBusy: an inline write or the writer goroutine holds the role.
	writerBusy
)

// closeState only moves forward.
type closeState uint8

const (
	open closeState = iota
	// closeQueued: Close was called; a close frame waits for the writer, and
	// nothing else is queued any more.
	closeQueued
	// ended: the socket is closed (finish); nothing is written any more.
	ended
)

var _ ports.ClientConn = (*conn)(nil)

// conn is also what the fast path reads frames into and the pollers watch
// (Handler.pollers' type says so).
var _ fastpath.Receiver = (*conn)(nil)

func newConn(h *Handler, sock *fastpath.Socket, kind domain.ClientKind) *conn {
	c := &conn{h: h, sock: sock, kind: kind, stripe: rand.Uint32()}
	c.lastSent.Store(time.Now().UnixNano())
	return c
}

// Send implements ports.ClientConn: it queues msg and never blocks. When
// nothing else is waiting it writes msg at once, without blocking, on the
// caller's goroutine: a fan-out to thousands of idle clients then costs one
// system call each instead of a writer goroutine each.
func (c *conn) Send(msg domain.Outgoing) {
	c.mu.Lock()
	if c.state != open {
		c.mu.Unlock()
		return
	}
	if c.claimInlineLocked() {
		c.mu.Unlock()
		buf := framePool.Get().(*[]byte)
		*buf = fastpath.AppendTextFrame((*buf)[:0], msg.Text)
		c.writeInline(*buf, true)
		framePool.Put(buf)
		return
	}
	if msg.Kind < domain.KindCustom {
		if i := c.queued[msg.Kind]; i > 0 {
			// The client has not taken the previous one yet: merge, as the
			// debounce slot would have if it had waited.
			if q := &c.queue[i-1]; q.Text != msg.Text {
				q.Text = domain.MergeFileTexts(q.Text, msg.Text)
			}
			c.mu.Unlock()
			return
		}
		c.queue = append(c.queue, msg)
		c.queued[msg.Kind] = int32(len(c.queue))
	} else {
		if int(c.customs) >= c.h.opts.QueueLimit {
			// Decided under the lock, so that concurrent sends close and
			// count the client once.
			c.closeLocked(domain.CloseSlowConsumer)
			c.kickAndUnlock()
			c.h.slowClientClosed()
			return
		}
		c.queue = append(c.queue, msg)
		c.customs++
	}
	c.kickAndUnlock()
}

// claimInlineLocked takes the writer's role for a write on the caller's
// goroutine, when nothing is queued or being written and the socket can be
// written without waiting.
func (c *conn) claimInlineLocked() bool {
	if c.writer != writerFree || c.state != open || len(c.queue) > 0 || !c.sock.CanWriteNow() {
		return false
	}
	c.writer = writerBusy
	return true
}

// pendingLocked reports whether the writer has something to write.
func (c *conn) pendingLocked() bool {
	return len(c.queue) > 0 || c.ping != 0 || c.owePong || c.state == closeQueued || len(c.rest) > 0
}

// kickAndUnlock starts the writer goroutine if the role is free (it has
// something to write: the caller just queued it), and releases c.mu.
func (c *conn) kickAndUnlock() {
	spawn := c.writer == writerFree
	if spawn {
		c.writer = writerBusy
	}
	c.mu.Unlock()
	if spawn {
		go c.writeLoop()
	}
}

// writeInline writes frame without waiting; what the socket does not take
// now is left to a writer goroutine. The caller holds the writer's role.
func (c *conn) writeInline(frame []byte, message bool) {
	// An earlier write's deadline may have passed: the runtime would fail
	// this write at once. This one never waits, so it needs none.
	if c.deadlineSet {
		_ = c.sock.SetWriteDeadline(time.Time{})
		c.deadlineSet = false
	}
	n, err := c.sock.WriteNow(frame)
	if err != nil {
		c.h.log.Debug("write to client", "user", c.user, "err", err)
		c.finish()
		c.mu.Lock()
		c.writer = writerFree
		c.mu.Unlock()
		return
	}
	c.mu.Lock()
	if n < len(frame) {
		c.rest, c.restMsg = append(c.rest[:0], frame[n:]...), message
		c.mu.Unlock()
		go c.writeLoop() // with the role this write held
		return
	}
	c.lastSent.Store(time.Now().UnixNano())
	if message {
		c.h.counters.ClientMessageWritten(c.kind, c.stripe)
	}
	if c.pendingLocked() {
		c.mu.Unlock()
		go c.writeLoop() // queued while this write ran; the role passes on
		return
	}
	c.writer = writerFree
	c.mu.Unlock()
}

// framePool holds the buffers inline writes build frames in.
var framePool = sync.Pool{New: func() any { b := make([]byte, 0, 256); return &b }}

// start ends the login's hold on writing: queued frames follow "authenticated".
func (c *conn) start() {
	c.mu.Lock()
	c.writer = writerFree
	if !c.pendingLocked() {
		c.mu.Unlock()
		return
	}
	c.kickAndUnlock()
}

// writeLoop holds the writer's role and writes what is waiting until nothing
// is, then gives the role up and ends.
func (c *conn) writeLoop() {
	c.deadlineSet = true // every write below sets one
	for {
		c.mu.Lock()
		batch := c.queue
		c.queue, c.queued, c.customs = nil, [domain.KindCustom]int32{}, 0
		ping, pong, owePong := c.ping, c.pong, c.owePong
		c.ping, c.pong, c.owePong = 0, "", false
		rest, restMsg := c.rest, c.restMsg
		c.rest = nil
		closing, reason, peerCode := c.state == closeQueued, c.reason, c.peerCode
		if len(batch) == 0 && ping == 0 && !owePong && !closing && len(rest) == 0 {
			c.writer = writerFree
			c.mu.Unlock()
			return
		}
		c.mu.Unlock()

		if err := c.writeRest(rest, restMsg); err != nil {
			c.h.log.Debug("write to client", "user", c.user, "err", err)
			c.finish()
			return
		}
		if err := c.writeBatch(batch, ping, pong, owePong); err != nil {
			c.h.log.Debug("write to client", "user", c.user, "err", err)
			c.finish()
			return
		}
		if closing {
			code, text := closeCode(reason), reason.String()
			if peerCode != 0 {
				code, text = int(peerCode), ""
			}
			c.writeClose(code, text)
			c.finishClosed()
			return
		}
	}
}

// writeRest finishes a frame an inline write began.
func (c *conn) writeRest(rest []byte, message bool) error {
	if len(rest) == 0 {
		return nil
	}
	_ = c.sock.SetWriteDeadline(time.Now().Add(c.h.opts.WriteTimeout))
	if _, err := c.sock.Write(rest); err != nil {
		return err
	}
	c.lastSent.Store(time.Now().UnixNano())
	if message {
		c.h.counters.ClientMessageWritten(c.kind, c.stripe)
	}
	return nil
}

func (c *conn) writeBatch(batch []domain.Outgoing, ping uint32, pong string, owePong bool) error {
	if owePong {
		if err := c.writeFrame(func(b []byte) []byte { return fastpath.AppendPongFrame(b, pong) }, c.h.opts.WriteTimeout); err != nil {
			return err
		}
	}
	for _, msg := range batch {
		if err := c.write(msg.Text); err != nil {
			return err
		}
		c.h.counters.ClientMessageWritten(c.kind, c.stripe)
	}
	if ping != 0 {
		return c.writePing(ping)
	}
	return nil
}

// write sends one text frame; only the login goroutine (before start) and the
// writer goroutine (after) call it, never both.
func (c *conn) write(text string) error {
	if err := c.writeFrame(func(b []byte) []byte { return fastpath.AppendTextFrame(b, text) }, c.h.opts.WriteTimeout); err != nil {
		return err
	}
	c.lastSent.Store(time.Now().UnixNano())
	return nil
}

// writeClose sends a close frame, waiting a second at most: the connection
// ends next whether it went out or not.
func (c *conn) writeClose(code int, text string) {
	_ = c.writeFrame(func(b []byte) []byte { return fastpath.AppendCloseFrame(b, code, text) }, time.Second)
}

// writeFrame writes the frame that appendFrame builds, in a buffer borrowed
// for the write, waiting at most timeout. The caller holds the writer's role.
func (c *conn) writeFrame(appendFrame func([]byte) []byte, timeout time.Duration) error {
	_ = c.sock.SetWriteDeadline(time.Now().Add(timeout))
	c.deadlineSet = true
	buf := framePool.Get().(*[]byte)
	*buf = appendFrame((*buf)[:0])
	_, err := c.sock.Write(*buf)
	framePool.Put(buf)
	return err
}

// writePing writes a server ping frame.
func (c *conn) writePing(payload uint32) error {
	return c.writeFrame(func(b []byte) []byte { return fastpath.AppendPingFrame(b, payload) }, c.h.opts.WriteTimeout)
}

// Close implements ports.ClientConn: the writer sends what it is writing, then
// a close frame saying why, then closes the socket. It returns at once.
func (c *conn) Close(reason domain.CloseReason) {
	c.mu.Lock()
	if c.state != open {
		c.mu.Unlock()
		return
	}
	c.closeLocked(reason)
	c.kickAndUnlock() // during the login, start kicks the writer instead
}

// closeLocked puts the close frame in place of whatever waits; c is open.
func (c *conn) closeLocked(reason domain.CloseReason) {
	c.state, c.reason = closeQueued, reason
	c.queue, c.queued, c.customs = nil, [domain.KindCustom]int32{}, 0
	c.ping, c.owePong = 0, false
}

// closeLinger is how long a socket whose close frame went out stays open,
// half-closed, for the peer to read it (net/http waits as long before it
// closes a connection whose request it did not read to the end).
const closeLinger = 500 * time.Millisecond

// finish ends the connection without a close frame (the peer is gone): the
// socket is closed and the session detached, once.
func (c *conn) finish() { c.end(false) }

// finishClosed is finish once the close frame is out: the socket lingers
// half-closed for the peer to read it.
func (c *conn) finishClosed() { c.end(true) }

func (c *conn) end(closeFrameSent bool) {
	if !c.finished.CompareAndSwap(false, true) {
		return
	}
	c.mu.Lock()
	c.state = ended
	c.queue, c.queued, c.customs = nil, [domain.KindCustom]int32{}, 0
	c.mu.Unlock()
	if c.poller != nil {
		c.poller.Remove(int(c.fd), c) // before the descriptor can be reused
	}
	if closeFrameSent {
		c.sock.CloseAfter(closeLinger)
	} else {
		_ = c.sock.Close()
	}
	if c.session != nil {
		c.session.Close()
		c.h.untrack(c)
	}
}

// closeCode maps why the server ends a connection to RFC 6455 codes.
func closeCode(r domain.CloseReason) int {
	switch r {
	case domain.CloseShutdown:
		return fastpath.CloseGoingAway
	case domain.CloseReset:
		return fastpath.CloseServiceRestart
	case domain.CloseMaxConnectionTime:
		return fastpath.CloseNormal
	case domain.ClosePingTimeout:
		return fastpath.CloseGoingAway
	case domain.CloseSlowConsumer, domain.CloseFlood:
		return fastpath.ClosePolicyViolation
	default:
		return fastpath.CloseNormal
	}
}

var errPongMismatch = errors.New("pong payload does not match the ping")

// pongArrived clears the outstanding ping; false when the pong carries
// another payload, which ends the connection. Unsolicited pongs (none
// outstanding) are allowed by RFC 6455.
func (c *conn) pongArrived(data []byte) bool {
	want := c.pingPayload.Load()
	if want == 0 {
		return true
	}
	if len(data) != 4 || binary.BigEndian.Uint32(data) != want {
		return false
	}
	c.pingPayload.Store(0)
	c.answered++
	return true
}

// onPing owes the client a pong; the writer sends it, so that it cannot
// interleave with a frame being written.
func (c *conn) onPing(data string) {
	c.mu.Lock()
	if c.state != open {
		c.mu.Unlock()
		return
	}
	c.pong, c.owePong = data, true
	c.kickAndUnlock()
}

// keepAlive runs once per tick of the handler's pinger: it ends connections
// past MAX_CONNECTION_TIME or whose previous ping went unanswered, and pings
// the ones idle for the ping interval when mayPing (the tick's budget of
// pings is not spent). It reports whether it pinged.
func (c *conn) keepAlive(now int64, mayPing bool) bool {
	if max := c.h.opts.MaxConnectionTime; max > 0 && now-c.connected >= int64(max) {
		c.Close(domain.CloseMaxConnectionTime)
		return false
	}
	if now-c.lastSent.Load() < int64(c.h.opts.PingInterval) {
		return false
	}
	if c.pingPayload.Load() != 0 {
		c.Close(domain.ClosePingTimeout)
		return false
	}
	if !mayPing {
		return false
	}
	payload := rand.Uint32N(1<<32-1) + 1 // non-zero
	c.pingPayload.Store(payload)
	c.lastSent.Store(now)
	c.mu.Lock()
	if c.state != open {
		c.mu.Unlock()
		return false
	}
	if c.claimInlineLocked() {
		c.mu.Unlock()
		buf := framePool.Get().(*[]byte)
		*buf = fastpath.AppendPingFrame((*buf)[:0], payload)
		c.writeInline(*buf, false)
		framePool.Put(buf)
		return true
	}
	c.ping = payload
	c.kickAndUnlock()
	return true
}
