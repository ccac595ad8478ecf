package websocket

import (
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/notifypush/notify_push/domain"
	"github.com/notifypush/notify_push/ports"
)

// conn is one client connection. Frames go through a bounded queue drained by
// a writer goroutine that exists only while there is something to write.
type conn struct {
	h  *Handler
	ws *websocket.Conn

	mu      sync.Mutex
	queue   []string
	started bool // "authenticated" is out; queued frames may follow
	writing bool // a writer goroutine is running
	closed  bool

	closeOnce sync.Once
	done      chan struct{} // closed once the socket is closed

	lastSent    atomic.Int64  // unix nanos of the last frame or ping sent
	pingPayload atomic.Uint32 // outstanding ping, 0 = none
}

var _ ports.ClientConn = (*conn)(nil)

func newConn(h *Handler, ws *websocket.Conn) *conn {
	c := &conn{h: h, ws: ws, done: make(chan struct{})}
	c.lastSent.Store(time.Now().UnixNano())
	return c
}

// Send implements ports.ClientConn: it queues text and never blocks.
func (c *conn) Send(text string) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	if len(c.queue) >= c.h.opts.QueueLimit {
		c.mu.Unlock()
		c.Close(domain.CloseSlowConsumer)
		return
	}
	c.queue = append(c.queue, text)
	spawn := c.started && !c.writing
	if spawn {
		c.writing = true
	}
	c.mu.Unlock()
	if spawn {
		go c.writeLoop()
	}
}

// start lets queued frames follow "authenticated".
func (c *conn) start() {
	c.mu.Lock()
	c.started = true
	spawn := len(c.queue) > 0 && !c.writing && !c.closed
	if spawn {
		c.writing = true
	}
	c.mu.Unlock()
	if spawn {
		go c.writeLoop()
	}
}

func (c *conn) writeLoop() {
	for {
		c.mu.Lock()
		batch := c.queue
		c.queue = nil
		if len(batch) == 0 || c.closed {
			c.writing = false
			c.mu.Unlock()
			return
		}
		c.mu.Unlock()
		for _, text := range batch {
			if err := c.write(text); err != nil {
				c.h.log.Debug("write to client", "err", err)
				c.mu.Lock()
				c.writing = false
				c.mu.Unlock()
				c.abort()
				return
			}
		}
	}
}

// write sends one text frame; only the login goroutine (before start) and the
// writer goroutine (after) call it, never both.
func (c *conn) write(text string) error {
	now := time.Now()
	_ = c.ws.SetWriteDeadline(now.Add(c.h.opts.WriteTimeout))
	if err := c.ws.WriteMessage(websocket.TextMessage, []byte(text)); err != nil {
		return err
	}
	c.lastSent.Store(now.UnixNano())
	return nil
}

// Close implements ports.ClientConn: a close frame saying why, then the
// socket is closed. It returns at once; the frame goes out in the background.
func (c *conn) Close(reason domain.CloseReason) {
	c.closeOnce.Do(func() {
		c.mu.Lock()
		c.closed = true
		c.queue = nil
		c.mu.Unlock()
		go func() {
			msg := websocket.FormatCloseMessage(closeCode(reason), reason.String())
			_ = c.ws.WriteControl(websocket.CloseMessage, msg, time.Now().Add(time.Second))
			c.shut()
		}()
	})
}

// abort closes the socket without a close frame (the peer is gone).
func (c *conn) abort() {
	c.closeOnce.Do(func() {
		c.mu.Lock()
		c.closed = true
		c.queue = nil
		c.mu.Unlock()
		c.shut()
	})
}

func (c *conn) shut() {
	_ = c.ws.Close()
	close(c.done)
}

// closeCode maps why the server ends a connection to RFC 6455 codes.
func closeCode(r domain.CloseReason) int {
	switch r {
	case domain.CloseShutdown:
		return websocket.CloseGoingAway
	case domain.CloseReset:
		return websocket.CloseServiceRestart
	case domain.CloseMaxConnectionTime:
		return websocket.CloseNormalClosure
	case domain.ClosePingTimeout:
		return websocket.CloseGoingAway
	case domain.CloseSlowConsumer:
		return websocket.ClosePolicyViolation
	default:
		return websocket.CloseNormalClosure
	}
}

var errPongMismatch = errors.New("pong payload does not match the ping")

// onPong clears the outstanding ping; a pong with another payload ends the
// connection. Unsolicited pongs (none outstanding) are allowed by RFC 6455.
func (c *conn) onPong(data string) error {
	want := c.pingPayload.Load()
	if want == 0 {
		return nil
	}
	if len(data) != 4 || binary.BigEndian.Uint32([]byte(data)) != want {
		return errPongMismatch
	}
	c.pingPayload.Store(0)
	return nil
}

// keepAlive pings a connection idle for the ping interval, or closes it when
// its previous ping went unanswered.
func (c *conn) keepAlive(now time.Time) {
	if now.UnixNano()-c.lastSent.Load() < int64(c.h.opts.PingInterval) {
		return
	}
	if c.pingPayload.Load() != 0 {
		c.Close(domain.ClosePingTimeout)
		return
	}
	payload := rand.Uint32N(1<<32-1) + 1 // non-zero
	c.pingPayload.Store(payload)
	c.lastSent.Store(now.UnixNano())
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], payload)
	if err := c.ws.WriteControl(websocket.PingMessage, b[:], now.Add(c.h.opts.WriteTimeout)); err != nil {
		c.abort()
	}
}
