package fastpath

import "encoding/binary"

// RFC 6455 opcodes.
const (
	opContinuation = 0x0
	opText         = 0x1
	opBinary       = 0x2
	opClose        = 0x8
	opPing         = 0x9
	opPong         = 0xa
)

// frameHeader is a client frame's header, as far as the pump needs it.
type frameHeader struct {
	fin    bool
	rsv    byte
	op     byte
	masked bool
	mask   [4]byte
	size   int    // header bytes, mask included
	length uint64 // payload bytes
}

// headerSize is the length of the header whose second byte is b1.
func headerSize(b1 byte) int {
	n := 2
	switch b1 & 0x7f {
	case 126:
		n += 2
	case 127:
		n += 8
	}
	if b1&0x80 != 0 {
		n += 4
	}
	return n
}

// parseFrameHeader reads the header at the start of b, which holds at least
// headerSize(b[1]) bytes.
func parseFrameHeader(b []byte) frameHeader {
	h := frameHeader{
		fin:    b[0]&0x80 != 0,
		rsv:    b[0] & 0x70,
		op:     b[0] & 0x0f,
		masked: b[1]&0x80 != 0,
		size:   2,
	}
	switch l := b[1] & 0x7f; l {
	case 126:
		h.length = uint64(binary.BigEndian.Uint16(b[2:]))
		h.size += 2
	case 127:
		h.length = binary.BigEndian.Uint64(b[2:])
		h.size += 8
	default:
		h.length = uint64(l)
	}
	if h.masked {
		copy(h.mask[:], b[h.size:])
		h.size += 4
	}
	return h
}

// maxControlPayload is RFC 6455's bound on a control frame's payload.
const maxControlPayload = 125

// protocolError reports whether a client frame breaks RFC 6455 by itself,
// or given whether a fragmented message is in progress: reserved bits (no
// extension is ever agreed), a missing mask, an unknown opcode, a long or
// fragmented control frame, a continuation of nothing, or a new message
// before the last one ended.
func (h frameHeader) protocolError(inMessage bool) bool {
	if h.rsv != 0 || !h.masked {
		return true
	}
	switch h.op {
	case opClose, opPing, opPong:
		return !h.fin || h.length > maxControlPayload
	case opText, opBinary:
		return inMessage
	case opContinuation:
		return !inMessage
	default:
		return true
	}
}

// unmask reverses the client's masking of payload in place.
func unmask(payload []byte, key [4]byte) {
	for i := range payload {
		payload[i] ^= key[i&3]
	}
}

// AppendTextFrame appends a server text frame (final, unmasked) of text to b.
func AppendTextFrame(b []byte, text string) []byte {
	b = append(b, 0x80|opText)
	switch n := len(text); {
	case n < 126:
		b = append(b, byte(n))
	case n <= 0xffff:
		b = append(b, 126, byte(n>>8), byte(n))
	default:
		b = append(b, 127)
		b = binary.BigEndian.AppendUint64(b, uint64(n))
	}
	return append(b, text...)
}

// AppendPongFrame appends a server pong (final, unmasked) carrying payload,
// at most 125 bytes, to b.
func AppendPongFrame(b []byte, payload string) []byte {
	b = append(b, 0x80|opPong, byte(len(payload)))
	return append(b, payload...)
}

// Close codes of RFC 6455 (section 7.4.1) that this package answers with.
const (
	CloseNormal          = 1000
	CloseGoingAway       = 1001
	CloseProtocolError   = 1002
	CloseNoStatus        = 1005 // received only: the close frame had no code
	ClosePolicyViolation = 1008
	CloseMessageTooBig   = 1009
	CloseServiceRestart  = 1012
)

// AppendCloseFrame appends a server close frame (final, unmasked) with code
// and reason to b; CloseNoStatus gives a close frame without a payload. The
// reason is cut to what fits in a control frame.
func AppendCloseFrame(b []byte, code int, reason string) []byte {
	if code == CloseNoStatus {
		return append(b, 0x80|opClose, 0)
	}
	reason = reason[:min(len(reason), maxControlPayload-2)]
	b = append(b, 0x80|opClose, byte(2+len(reason)))
	b = binary.BigEndian.AppendUint16(b, uint16(code))
	return append(b, reason...)
}

// validReceivedCloseCode reports whether a client may close with code:
// the defined codes that may be sent in a frame, and the ranges for
// libraries and applications.
func validReceivedCloseCode(code int) bool {
	switch code {
	case 1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013:
		return true
	}
	return code >= 3000 && code <= 4999
}

// PingFrameSize is the length of the frames AppendPingFrame makes.
const PingFrameSize = 6

// AppendPingFrame appends a server ping (final, unmasked) carrying the 4-byte
// payload to b; given a slice of a [PingFrameSize]byte it allocates nothing.
func AppendPingFrame(b []byte, payload uint32) []byte {
	b = append(b, 0x80|opPing, 4)
	return binary.BigEndian.AppendUint32(b, payload)
}
