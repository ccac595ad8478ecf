package fastpath

import (
	"encoding/binary"
	"errors"
	"unicode/utf8"
)

// Receiver takes what Pump reads from a client. Payloads are unmasked and
// valid only during the call.
type Receiver interface {
	// Text is a whole text message of at most Shared.TextLimit bytes, its
	// fragments joined (not checked for UTF-8). Longer text messages and
	// binary ones are read and dropped.
	Text(payload []byte)
	// Ping is a client ping; the receiver owes a pong.
	Ping(payload []byte)
	// Pong is a pong; false ends the connection (Pump returns Gone).
	Pong(payload []byte) bool
	// Closing: the connection ends with a close frame of code, which the
	// receiver sends. It is the client's own code when the client closed
	// (CloseNoStatus when it gave none: RFC 6455 has it echoed),
	// CloseProtocolError when the client broke the protocol, and
	// CloseMessageTooBig past Shared.MessageLimit. Pump then returns
	// Closed and reads no more.
	Closing(code int)
}

// Outcome says what a reader does once Pump has handled what it could.
type Outcome uint8

const (
	// Idle: nothing more without waiting; watch the socket again.
	Idle Outcome = iota
	// More: the budget is spent and more may be waiting; pump again after
	// the other connections had their turn.
	More
	// Gone: the connection ended, or the receiver refused a pong.
	Gone
	// Closed: the receiver was told to close (Receiver.Closing).
	Closed
)

// maxHeaderSize is the longest frame header: 2 bytes, a 64-bit length and
// the mask.
const maxHeaderSize = 14

// message is a fragmented data message whose end has not come yet.
type message struct {
	length int64 // its payload so far, for Shared.MessageLimit
	// text: a text message still short enough for Receiver.Text; buf then
	// holds its payload so far.
	text bool
	buf  []byte
}

// Pump reads the client's frames that are in the buffer or waiting in the
// socket, at most budget of them, and hands r what they mean. After
// SetNonblocking it never waits: it returns Idle when only a part of a
// frame, or nothing, is left; otherwise it waits for frames until the
// budget is spent. It also says how many frames it took, of any kind, for
// the caller's rate limit. Only the connection's reader calls it.
//
// The read buffer is borrowed for the call and given back when nothing is
// left in it: an idle connection holds none.
func (s *Socket) Pump(r Receiver, budget int) (Outcome, int) {
	if s.r == nil {
		s.r = s.sh.lendReader(s)
	}
	out, n := s.pump(r, budget)
	if out != More && (out != Idle || s.r.br.Buffered() == 0) {
		s.sh.takeBackReader(s.r)
		s.r = nil
	}
	return out, n
}

func (s *Socket) pump(r Receiver, budget int) (Outcome, int) {
	br := s.r.br
	for n := 0; ; {
		if s.skip > 0 {
			d, err := br.Discard(int(min(s.skip, int64(br.Size()))))
			s.skip -= int64(d)
			if err != nil {
				return outcomeOf(err), n
			}
			continue
		}
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
		if h.protocolError(s.msg != nil) {
			s.msg = nil
			r.Closing(CloseProtocolError)
			return Closed, n + 1
		}
		if h.op >= opClose {
			// Whole in the buffer: at most 125 bytes and the header.
			total := h.size + int(h.length)
			if b, err = br.Peek(total); err != nil {
				return outcomeOf(err), n
			}
			payload := b[h.size:total]
			unmask(payload, h.mask) // in the buffer itself: the frame is discarded next
			_, _ = br.Discard(total)
			n++
			if out, ok := s.control(r, h.op, payload); !ok {
				return out, n
			}
			continue
		}
		var length int64 // of the message so far, this frame included
		if s.msg != nil {
			length = s.msg.length
		}
		if h.length > uint64(s.sh.MessageLimit) || length+int64(h.length) > s.sh.MessageLimit {
			s.msg = nil
			r.Closing(CloseMessageTooBig)
			return Closed, n + 1
		}
		length += int64(h.length)
		text := length <= int64(s.sh.TextLimit) && (h.op == opText || h.op == opContinuation && s.msg.text)
		var payload []byte
		if text {
			total := h.size + int(h.length)
			if b, err = br.Peek(total); err != nil {
				return outcomeOf(err), n
			}
			payload = b[h.size:total]
			unmask(payload, h.mask)
			_, _ = br.Discard(total)
		} else {
			_, _ = br.Discard(h.size)
			s.skip = int64(h.length)
		}
		n++
		s.data(r, h, length, text, payload)
	}
}

// control acts on a control frame; false when the reading ends.
func (s *Socket) control(r Receiver, op byte, payload []byte) (Outcome, bool) {
	switch op {
	case opPing:
		r.Ping(payload)
	case opPong:
		if !r.Pong(payload) {
			return Gone, false
		}
	case opClose:
		s.msg = nil
		code := CloseNoStatus
		if len(payload) >= 2 {
			code = int(binary.BigEndian.Uint16(payload))
			if !validReceivedCloseCode(code) || !utf8.Valid(payload[2:]) {
				code = CloseProtocolError
			}
		}
		r.Closing(code)
		return Closed, false
	}
	return 0, true
}

// data takes a data frame of the message now length bytes long; payload is
// the frame's, when the message is still text that Receiver.Text may get.
func (s *Socket) data(r Receiver, h frameHeader, length int64, text bool, payload []byte) {
	switch {
	case s.msg == nil && h.fin:
		if text {
			r.Text(payload)
		}
	case s.msg == nil:
		s.msg = &message{length: length, text: text}
		if text {
			s.msg.buf = append(make([]byte, 0, s.sh.TextLimit), payload...)
		}
	default:
		m := s.msg
		m.length, m.text = length, text
		if text {
			m.buf = append(m.buf, payload...)
		} else {
			m.buf = nil
		}
		if h.fin {
			s.msg = nil
			if text {
				r.Text(m.buf)
			}
		}
	}
}

func outcomeOf(err error) Outcome {
	if errors.Is(err, errWouldBlock) {
		return Idle
	}
	return Gone
}
