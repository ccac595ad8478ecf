package fastpath

import (
	"bufio"
	"errors"
)

// Receiver takes the frames Pump handles. Payloads are unmasked and valid
// only during the call. Binary messages are read and dropped.
type Receiver interface {
	// Text is a whole text message (not checked for UTF-8).
	Text(payload []byte)
	// Ping is a client ping; the receiver owes a pong.
	Ping(payload []byte)
	// Pong is a pong; false ends the connection (Pump returns Gone).
	Pong(payload []byte) bool
}

// Outcome says what a reader does once Pump has handled what it could.
type Outcome uint8

const (
	// Idle: nothing more without waiting; watch the socket again.
	Idle Outcome = iota
	// Slow: the next frame is one Pump leaves to gorilla (a close frame, a
	// fragment, a protocol error, or one longer than the buffer), still in
	// the buffer: read it blocking.
	Slow
	// Gone: the connection ended, or the receiver refused a pong.
	Gone
	// More: the budget is spent and more may be waiting; pump again after
	// the other connections had their turn.
	More
)

// Pump hands r the whole simple frames that are in the buffer or waiting in
// the socket, at most budget of them, and never waits for more: it returns
// Idle when only a part of a frame, or nothing, is left, and More when the
// budget ran out first. It also says how many frames it took, of any kind,
// for the caller's rate limit. Only the connection's reader calls it.
func (s *Socket) Pump(r Receiver, budget int) (Outcome, int) {
	s.nonblocking = true
	defer func() { s.nonblocking = false }()
	br := s.br
	limit := br.Size()
	for n := 0; ; n++ {
		if n == budget {
			return More, n
		}
		b, err := br.Peek(2)
		if err != nil {
			return outcomeOf(err), n
		}
		if b, err = br.Peek(headerSize(b[1])); err != nil {
			return outcomeOf(err), n
		}
		h := parseFrameHeader(b)
		if !h.simple(limit) {
			return Slow, n
		}
		total := h.size + int(h.length)
		if b, err = br.Peek(total); err != nil {
			return outcomeOf(err), n
		}
		payload := b[h.size:total]
		unmask(payload, h.mask) // in the buffer itself: the frame is discarded next
		ok := true
		switch h.op {
		case opPong:
			ok = r.Pong(payload)
		case opPing:
			r.Ping(payload)
		case opText:
			r.Text(payload)
		}
		_, _ = br.Discard(total)
		if !ok {
			return Gone, n + 1
		}
	}
}

func outcomeOf(err error) Outcome {
	switch {
	case errors.Is(err, errWouldBlock):
		return Idle
	case errors.Is(err, bufio.ErrBufferFull):
		return Slow
	default:
		return Gone
	}
}
