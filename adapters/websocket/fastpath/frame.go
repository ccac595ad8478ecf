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

// simple reports whether the pump may handle the frame by itself: a
// well-formed, masked, unfragmented frame that fits in limit bytes, header
// included. Anything else (close frames, fragments, protocol errors) is left
// to gorilla, which answers it as RFC 6455 says.
func (h frameHeader) simple(limit int) bool {
	if h.rsv != 0 || !h.masked || !h.fin || h.length > uint64(limit-h.size) {
		return false
	}
	switch h.op {
	case opText, opBinary, opPong:
		return true
	case opPing:
		return h.length <= 125
	default:
		return false
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

// PingFrameSize is the length of the frames AppendPingFrame makes.
const PingFrameSize = 6

// AppendPingFrame appends a server ping (final, unmasked) carrying the 4-byte
// payload to b; given a slice of a [PingFrameSize]byte it allocates nothing.
func AppendPingFrame(b []byte, payload uint32) []byte {
	b = append(b, 0x80|opPing, 4)
	return binary.BigEndian.AppendUint32(b, payload)
}
