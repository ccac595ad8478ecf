package websocket

import (
	"bufio"
	"bytes"
	"errors"
	"io"

	"github.com/gorilla/websocket"

	"github.com/notifypush/notify_push/domain"
)

// What a reader does once the frames it could handle are handled.
type readState uint8

const (
	readIdle readState = iota // nothing more without waiting: back to the poller
	readSlow                  // a frame the fast path leaves to gorilla: read it blocking
	readGone                  // the connection ended
)

// readable runs on the poller's goroutine when c's socket has data.
func (h *Handler) readable(c *conn) {
	if c.reading.CompareAndSwap(false, true) {
		h.serviceReads(c)
	}
}

// serviceReads handles what c has sent; the caller owns c.reading.
func (h *Handler) serviceReads(c *conn) {
	switch c.pump() {
	case readIdle:
		c.reading.Store(false)
		if err := h.poller.arm(c); err != nil {
			c.finish()
		}
	case readSlow:
		go h.slowRead(c)
	case readGone:
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
		switch c.pump() {
		case readSlow:
			continue
		case readGone:
			c.finish()
			return
		}
		c.reading.Store(false)
		if err := h.poller.arm(c); err != nil {
			c.finish()
		}
		return
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
	c.pc.nonblocking = false
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
		c.command(buf[:n])
	}
	return true
}

func (c *conn) command(text []byte) {
	if string(bytes.TrimSpace(text)) == domain.TextListenFileID {
		c.session.ListenFileIDs()
	}
}

// pump handles every whole frame that is buffered or waiting in the socket,
// without ever waiting for more: short text and binary messages, pings and
// pongs. It leaves anything else in the buffer for gorilla (readSlow), and
// stops when only a partial frame, or nothing, is left (readIdle).
func (c *conn) pump() readState {
	c.pc.nonblocking = true
	defer func() { c.pc.nonblocking = false }()
	limit := c.br.Size()
	for {
		b, err := c.br.Peek(2)
		if err != nil {
			return stateAfter(err)
		}
		if b, err = c.br.Peek(headerSize(b[1])); err != nil {
			return stateAfter(err)
		}
		h := parseFrameHeader(b)
		if !h.simple(limit) {
			return readSlow
		}
		total := h.size + int(h.length)
		if b, err = c.br.Peek(total); err != nil {
			return stateAfter(err)
		}
		payload := b[h.size:total]
		unmask(payload, h.mask) // in the buffer itself: the frame is discarded next
		ok := true
		switch h.op {
		case opPong:
			ok = c.pongArrived(payload)
		case opPing:
			_ = c.onPing(string(payload))
		case opText:
			c.command(payload)
		}
		_, _ = c.br.Discard(total)
		if !ok {
			c.h.log.Debug("client disconnected", "user", c.user, "err", errPongMismatch)
			return readGone
		}
	}
}

func stateAfter(err error) readState {
	switch {
	case errors.Is(err, errWouldBlock):
		return readIdle
	case errors.Is(err, bufio.ErrBufferFull):
		return readSlow
	default:
		return readGone
	}
}
