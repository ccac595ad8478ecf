package fastpath

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"
)

var testMask = [4]byte{0xa1, 0xb2, 0xc3, 0xd4}

// clientFrame encodes a client frame by hand: b0 is the first byte (FIN,
// RSV, opcode), masked says whether the payload is masked with testMask.
func clientFrame(b0 byte, masked bool, payload []byte) []byte {
	var bit byte
	if masked {
		bit = 0x80
	}
	out := []byte{b0}
	switch n := len(payload); {
	case n < 126:
		out = append(out, bit|byte(n))
	case n < 1<<16:
		out = append(out, bit|126, byte(n>>8), byte(n))
	default:
		out = append(out, bit|127)
		out = binary.BigEndian.AppendUint64(out, uint64(n))
	}
	if !masked {
		return append(out, payload...)
	}
	out = append(out, testMask[:]...)
	for i, c := range payload {
		out = append(out, c^testMask[i&3])
	}
	return out
}

func TestParseFrameHeader(t *testing.T) {
	tests := []struct {
		name  string
		frame []byte
		want  frameHeader
	}{
		{"short masked text", clientFrame(0x80|opText, true, []byte("hi")),
			frameHeader{fin: true, op: opText, masked: true, mask: testMask, size: 6, length: 2}},
		{"empty pong", clientFrame(0x80|opPong, true, nil),
			frameHeader{fin: true, op: opPong, masked: true, mask: testMask, size: 6}},
		{"125 bytes stay in the first length byte", clientFrame(0x80|opBinary, true, make([]byte, 125)),
			frameHeader{fin: true, op: opBinary, masked: true, mask: testMask, size: 6, length: 125}},
		{"16-bit length", clientFrame(0x80|opText, true, make([]byte, 300)),
			frameHeader{fin: true, op: opText, masked: true, mask: testMask, size: 8, length: 300}},
		{"largest 16-bit length", clientFrame(0x80|opText, true, make([]byte, 0xffff)),
			frameHeader{fin: true, op: opText, masked: true, mask: testMask, size: 8, length: 0xffff}},
		{"64-bit length", clientFrame(0x80|opText, true, make([]byte, 70000)),
			frameHeader{fin: true, op: opText, masked: true, mask: testMask, size: 14, length: 70000}},
		{"unmasked 64-bit length", clientFrame(0x80|opBinary, false, make([]byte, 1<<16)),
			frameHeader{fin: true, op: opBinary, size: 10, length: 1 << 16}},
		{"fragment with reserved bits", clientFrame(0x40|0x20|opContinuation, true, []byte("x")),
			frameHeader{rsv: 0x60, op: opContinuation, masked: true, mask: testMask, size: 6, length: 1}},
		{"unmasked close", clientFrame(0x80|opClose, false, []byte{3, 232}),
			frameHeader{fin: true, op: opClose, size: 2, length: 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if n := headerSize(tt.frame[1]); n != tt.want.size {
				t.Fatalf("headerSize = %d, want %d", n, tt.want.size)
			}
			if got := parseFrameHeader(tt.frame[:tt.want.size]); got != tt.want {
				t.Fatalf("got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

// A header claiming 2^63 bytes is parsed as such (Pump answers it with
// CloseMessageTooBig).
func TestHugeDeclaredLength(t *testing.T) {
	b := []byte{0x80 | opText, 0x80 | 127, 0x80, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4}
	h := parseFrameHeader(b)
	if h.length != 1<<63 || h.size != 14 {
		t.Fatalf("length %d size %d", h.length, h.size)
	}
}

func TestProtocolErrors(t *testing.T) {
	tests := []struct {
		name      string
		frame     []byte
		inMessage bool
		want      bool
	}{
		{"text", clientFrame(0x80|opText, true, []byte("listen")), false, false},
		{"binary", clientFrame(0x80|opBinary, true, []byte{0, 1}), false, false},
		{"first fragment", clientFrame(opText, true, []byte("lis")), false, false},
		{"continuation", clientFrame(0x80|opContinuation, true, []byte("ten")), true, false},
		{"pong", clientFrame(0x80|opPong, true, []byte{1, 2, 3, 4}), false, false},
		{"ping inside a message", clientFrame(0x80|opPing, true, []byte("p")), true, false},
		{"ping of 125 bytes", clientFrame(0x80|opPing, true, make([]byte, 125)), false, false},
		{"close", clientFrame(0x80|opClose, true, []byte{3, 232}), false, false},
		{"ping of 126 bytes", clientFrame(0x80|opPing, true, make([]byte, 126)), false, true},
		{"fragmented ping", clientFrame(opPing, true, nil), false, true},
		{"continuation of nothing", clientFrame(0x80|opContinuation, true, []byte("ten")), false, true},
		{"text inside a message", clientFrame(0x80|opText, true, []byte("x")), true, true},
		{"reserved bit", clientFrame(0x80|0x10|opText, true, []byte("x")), false, true},
		{"unmasked", clientFrame(0x80|opText, false, []byte("x")), false, true},
		{"unknown opcode", clientFrame(0x80|0x3, true, []byte("x")), false, true},
		{"unknown control opcode", clientFrame(0x80|0xb, true, nil), false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := parseFrameHeader(tt.frame[:headerSize(tt.frame[1])])
			if got := h.protocolError(tt.inMessage); got != tt.want {
				t.Fatalf("protocolError = %v, want %v (%+v)", got, tt.want, h)
			}
		})
	}
}

func TestUnmask(t *testing.T) {
	payload := []byte("listen notify_file_id")
	frame := clientFrame(0x80|opText, true, payload)
	h := parseFrameHeader(frame)
	masked := frame[h.size:]
	if bytes.Equal(masked, payload) {
		t.Fatal("payload was not masked")
	}
	unmask(masked, h.mask)
	if !bytes.Equal(masked, payload) {
		t.Fatalf("unmasked %q, want %q", masked, payload)
	}
	// The key repeats every four bytes, starting from the payload's start.
	got := []byte{0xa1 ^ 'a', 0xb2 ^ 'b', 0xc3 ^ 'c', 0xd4 ^ 'd', 0xa1 ^ 'e'}
	unmask(got, testMask)
	if string(got) != "abcde" {
		t.Fatalf("got %q", got)
	}
}

// Server frames read back as final, unmasked frames of the right length.
func TestAppendTextFrame(t *testing.T) {
	for _, n := range []int{0, 1, 125, 126, 0xffff, 0x10000} {
		text := strings.Repeat("a", n)
		frame := AppendTextFrame([]byte("kept"), text)
		if string(frame[:4]) != "kept" {
			t.Fatalf("%d: the buffer's start was overwritten", n)
		}
		frame = frame[4:]
		h := parseFrameHeader(frame)
		if !h.fin || h.op != opText || h.masked || h.rsv != 0 || h.length != uint64(n) {
			t.Fatalf("%d: header %+v", n, h)
		}
		if string(frame[h.size:]) != text {
			t.Fatalf("%d: payload differs", n)
		}
	}
}

func TestAppendControlFrames(t *testing.T) {
	for _, tt := range []struct {
		name  string
		frame []byte
		want  []byte
	}{
		{"pong", AppendPongFrame(nil, "abc"), []byte{0x8a, 3, 'a', 'b', 'c'}},
		{"empty pong", AppendPongFrame(nil, ""), []byte{0x8a, 0}},
		{"close", AppendCloseFrame(nil, CloseGoingAway, "bye"), []byte{0x88, 5, 0x03, 0xe9, 'b', 'y', 'e'}},
		{"close echoing no status", AppendCloseFrame(nil, CloseNoStatus, "ignored"), []byte{0x88, 0}},
	} {
		if !bytes.Equal(tt.frame, tt.want) {
			t.Errorf("%s: % x, want % x", tt.name, tt.frame, tt.want)
		}
	}
	long := AppendCloseFrame(nil, CloseNormal, strings.Repeat("r", 200))
	if h := parseFrameHeader(long); h.length != 125 || len(long) != 2+125 {
		t.Errorf("a long reason gives a payload of %d bytes in a frame of %d, want 125 in 127", h.length, len(long))
	}
}

func TestAppendPingFrame(t *testing.T) {
	var f [PingFrameSize]byte
	frame := AppendPingFrame(f[:0], 0xdeadbeef)
	if want := []byte{0x89, 4, 0xde, 0xad, 0xbe, 0xef}; !bytes.Equal(frame, want) {
		t.Fatalf("ping frame % x, want % x", frame, want)
	}
	if &frame[0] != &f[0] {
		t.Fatal("the frame was not built in the given array")
	}
	if n := testing.AllocsPerRun(100, func() { _ = AppendPingFrame(f[:0], 1) }); n != 0 {
		t.Fatalf("%v allocations per ping frame", n)
	}
}

// BenchmarkFrameHeader is the idle fast path's look at a client frame.
func BenchmarkFrameHeader(b *testing.B) {
	frame := clientFrame(0x80|opPong, true, []byte{1, 2, 3, 4})
	b.ReportAllocs()
	for b.Loop() {
		h := parseFrameHeader(frame[:headerSize(frame[1])])
		if h.protocolError(false) {
			b.Fatal("protocol error")
		}
		payload := append([]byte(nil), frame[h.size:]...)
		unmask(payload, h.mask)
	}
}
