//go:build unix

package fastpath

import (
	"bytes"
	"encoding/binary"
	"net"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// testShared is what the tests' sockets share.
var testShared = &Shared{BufferSize: 512, MessageLimit: 4096, TextLimit: 64}

// recorder is a Receiver that notes what it was handed.
type recorder struct {
	got        []string
	refusePong bool
}

func (r *recorder) Text(p []byte) { r.got = append(r.got, "text "+string(p)) }
func (r *recorder) Ping(p []byte) { r.got = append(r.got, "ping "+string(p)) }
func (r *recorder) Pong(p []byte) bool {
	r.got = append(r.got, "pong "+string(p))
	return !r.refusePong
}
func (r *recorder) Closing(code int) { r.got = append(r.got, "close "+strconv.Itoa(code)) }

// pumpPair is our Socket, nonblocking as a poller's, and the client's end of
// the connection.
func pumpPair(t *testing.T, rd *Shared) (*Socket, net.Conn) {
	ours, peer := socketPair(t)
	s := NewSocket(ours, rd)
	s.SetNonblocking()
	return s, peer
}

// pumpAll pumps without a budget that matters.
func pumpAll(s *Socket, r Receiver) Outcome {
	o, _ := s.Pump(r, 1<<20)
	return o
}

func send(t *testing.T, peer net.Conn, frames ...[]byte) {
	t.Helper()
	if _, err := peer.Write(bytes.Join(frames, nil)); err != nil {
		t.Fatal(err)
	}
}

func expect(t *testing.T, r *recorder, want ...string) {
	t.Helper()
	if !slices.Equal(r.got, want) {
		t.Fatalf("got %q\nwant %q", r.got, want)
	}
}

func TestPumpHandsOverWholeFrames(t *testing.T) {
	s, peer := pumpPair(t, testShared)
	send(t, peer,
		clientFrame(0x80|opText, true, []byte("listen notify_file_id")),
		clientFrame(0x80|opBinary, true, []byte("dropped")),
		clientFrame(0x80|opPing, true, []byte("p")),
		clientFrame(0x80|opPong, true, []byte{'a', 'b', 'c', 'd'}),
		clientFrame(0x80|opText, true, nil),
		clientFrame(0x80|opText, true, bytes.Repeat([]byte("x"), 64)),
		clientFrame(0x80|opText, true, bytes.Repeat([]byte("y"), 300)), // past TextLimit: dropped
	)
	var r recorder
	if got, n := s.Pump(&r, 1<<20); got != Idle || n != 7 {
		t.Fatalf("Pump = %v after %d frames, want Idle after 7", got, n)
	}
	expect(t, &r, "text listen notify_file_id", "ping p", "pong abcd", "text ", "text "+strings.Repeat("x", 64))
	if s.Buffer() != nil {
		t.Fatalf("the socket kept its read buffer, %d bytes in it", s.Buffer().Buffered())
	}
	// Nothing more: the next pump says so at once.
	if got := pumpAll(s, &r); got != Idle || len(r.got) != 5 {
		t.Fatalf("empty socket: Pump = %v, got %q", got, r.got)
	}
}

// A budget bounds the frames one call takes, binary ones included, so that
// one client's stream cannot keep the poller; the rest waits in order.
func TestPumpKeepsToItsBudget(t *testing.T) {
	s, peer := pumpPair(t, testShared)
	var frames [][]byte
	for i := range 10 {
		op := byte(opText)
		if i%2 == 1 {
			op = opBinary
		}
		frames = append(frames, clientFrame(0x80|op, true, []byte{'0' + byte(i)}))
	}
	send(t, peer, frames...)
	var r recorder
	if got, n := s.Pump(&r, 4); got != More || n != 4 || !slices.Equal(r.got, []string{"text 0", "text 2"}) {
		t.Fatalf("first turn: %v after %d frames, got %q", got, n, r.got)
	}
	if got, n := s.Pump(&r, 4); got != More || n != 4 {
		t.Fatalf("second turn: %v after %d frames", got, n)
	}
	if got, n := s.Pump(&r, 4); got != Idle || n != 2 {
		t.Fatalf("last turn: %v after %d frames", got, n)
	}
	expect(t, &r, "text 0", "text 2", "text 4", "text 6", "text 8")
}

// A frame that has arrived in part waits until the rest comes, wherever it
// was cut, and is counted once.
func TestPumpWaitsForTheRestOfAFrame(t *testing.T) {
	for _, frame := range [][]byte{
		clientFrame(0x80|opText, true, bytes.Repeat([]byte("y"), 60)),
		clientFrame(0x80|opText, true, bytes.Repeat([]byte("z"), 2000)), // read past the buffer
	} {
		for _, cut := range []int{1, 2, 3, 5, 8, 9, len(frame) / 2, len(frame) - 1} {
			s, peer := pumpPair(t, testShared)
			var r recorder
			send(t, peer, frame[:cut])
			first, n1 := s.Pump(&r, 1<<20)
			send(t, peer, frame[cut:], clientFrame(0x80|opText, true, []byte("next")))
			second, n2 := s.Pump(&r, 1<<20)
			want := []string{"text next"}
			if len(frame) < 100 {
				want = []string{"text " + strings.Repeat("y", 60), "text next"}
			}
			if first != Idle || second != Idle || n1+n2 != 2 || !slices.Equal(r.got, want) {
				t.Fatalf("%d-byte frame cut at %d: %v, %v after %d+%d frames, got %q", len(frame), cut, first, second, n1, n2, r.got)
			}
		}
	}
}

// The read buffer is lent only while there is something in it: an idle
// socket gives it back, one holding part of a frame keeps it, and a long
// frame being read past needs none between two reads.
func TestPumpLendsTheBufferOnlyWhileNeeded(t *testing.T) {
	s, peer := pumpPair(t, testShared)
	if s.Buffer() == nil {
		t.Fatal("a new socket has no buffer for the login")
	}
	var r recorder
	if pumpAll(s, &r) != Idle || s.Buffer() != nil {
		t.Fatal("an idle socket kept its buffer")
	}
	frame := clientFrame(0x80|opText, true, []byte("listen"))
	send(t, peer, frame[:5])
	if pumpAll(s, &r) != Idle || s.Buffer() == nil || s.Buffer().Buffered() != 5 {
		t.Fatal("part of a frame was not kept")
	}
	send(t, peer, frame[5:], clientFrame(0x80|opBinary, true, make([]byte, 1000))[:300])
	if pumpAll(s, &r) != Idle || s.Buffer() != nil {
		t.Fatal("the buffer was kept while reading past a long frame")
	}
	send(t, peer, make([]byte, 708), clientFrame(0x80|opText, true, []byte("done")))
	if pumpAll(s, &r) != Idle || s.Buffer() != nil {
		t.Fatal("the buffer was kept after the long frame")
	}
	expect(t, &r, "text listen", "text done")
}

// Fragments are joined (control frames may come between them); a message
// too long for Text, or binary, is read and dropped whatever its fragments.
func TestPumpJoinsFragments(t *testing.T) {
	s, peer := pumpPair(t, testShared)
	send(t, peer,
		clientFrame(opText, true, []byte("listen ")),
		clientFrame(0x80|opPing, true, []byte("mid")),
		clientFrame(opContinuation, true, []byte("notify")),
		clientFrame(0x80|opContinuation, true, []byte("_file_id")),
		clientFrame(opText, true, bytes.Repeat([]byte("a"), 40)),
		clientFrame(0x80|opContinuation, true, bytes.Repeat([]byte("b"), 40)), // 80 bytes: past TextLimit
		clientFrame(opBinary, true, []byte("bin")),
		clientFrame(0x80|opContinuation, true, []byte("ary")),
		clientFrame(opText, true, bytes.Repeat([]byte("c"), 600)), // past the buffer
		clientFrame(0x80|opContinuation, true, []byte("d")),
		clientFrame(0x80|opText, true, []byte("last")),
	)
	var r recorder
	if got := pumpAll(s, &r); got != Idle {
		t.Fatalf("Pump = %v, want Idle", got)
	}
	expect(t, &r, "ping mid", "text listen notify_file_id", "text last")
}

// A message past MessageLimit, in one frame or summed over fragments, is
// answered with 1009 before its payload is read.
func TestPumpRefusesMessagesPastTheLimit(t *testing.T) {
	huge := []byte{0x80 | opText, 0x80 | 127, 0x80, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4}
	for name, frames := range map[string][][]byte{
		"one frame": {clientFrame(0x80|opBinary, true, make([]byte, 4097))[:20]},
		"fragments": {clientFrame(opText, true, make([]byte, 3000)), clientFrame(0x80|opContinuation, true, make([]byte, 1097))[:20]},
		"2^63":      {huge},
	} {
		t.Run(name, func(t *testing.T) {
			s, peer := pumpPair(t, testShared)
			send(t, peer, frames...)
			var r recorder
			if got := pumpAll(s, &r); got != Closed {
				t.Fatalf("Pump = %v, want Closed", got)
			}
			expect(t, &r, "close 1009")
		})
	}
	s, peer := pumpPair(t, testShared)
	send(t, peer, clientFrame(0x80|opBinary, true, make([]byte, 4096)), clientFrame(0x80|opText, true, []byte("ok")))
	var r recorder
	if got := pumpAll(s, &r); got != Idle {
		t.Fatalf("a message of exactly the limit: Pump = %v", got)
	}
	expect(t, &r, "text ok")
}

func TestPumpAnswersProtocolErrors(t *testing.T) {
	for name, frames := range map[string][][]byte{
		"unmasked":                {clientFrame(0x80|opText, false, []byte("hi"))},
		"reserved bit":            {clientFrame(0x80|0x40|opText, true, []byte("hi"))},
		"unknown opcode":          {clientFrame(0x80|0x3, true, []byte("hi"))},
		"long ping":               {clientFrame(0x80|opPing, true, make([]byte, 126))},
		"continuation of nothing": {clientFrame(0x80|opContinuation, true, []byte("hi"))},
		"text inside a message":   {clientFrame(opText, true, []byte("a")), clientFrame(0x80|opText, true, []byte("b"))},
		"bad close code":          {clientFrame(0x80|opClose, true, []byte{0x03, 0xed})}, // 1005 may not be sent
		"close reason not UTF-8":  {clientFrame(0x80|opClose, true, []byte{0x03, 0xe8, 0xff})},
	} {
		t.Run(name, func(t *testing.T) {
			s, peer := pumpPair(t, testShared)
			send(t, peer, append(frames, clientFrame(0x80|opText, true, []byte("after")))...)
			var r recorder
			if got := pumpAll(s, &r); got != Closed {
				t.Fatalf("Pump = %v, want Closed", got)
			}
			expect(t, &r, "close 1002")
		})
	}
}

// The client's close code is echoed; without one, the answer has none.
func TestPumpAnswersCloseFrames(t *testing.T) {
	code := func(c uint16, reason string) []byte { return append(binary.BigEndian.AppendUint16(nil, c), reason...) }
	for _, tt := range []struct {
		payload []byte
		want    string
	}{
		{code(1000, "bye"), "close 1000"},
		{code(4001, ""), "close 4001"},
		{nil, "close 1005"},
		{[]byte{3}, "close 1005"}, // one byte is no code
	} {
		s, peer := pumpPair(t, testShared)
		send(t, peer, clientFrame(0x80|opText, true, []byte("before")), clientFrame(0x80|opClose, true, tt.payload),
			clientFrame(0x80|opText, true, []byte("after")))
		var r recorder
		if got := pumpAll(s, &r); got != Closed {
			t.Fatalf("close % x: Pump = %v, want Closed", tt.payload, got)
		}
		expect(t, &r, "text before", tt.want)
	}
}

func TestPumpSeesTheEndOfTheStream(t *testing.T) {
	for name, tail := range map[string][]byte{
		"after whole frames": nil,
		"inside a frame":     clientFrame(0x80|opText, true, []byte("cut"))[:4],
		"inside a long one":  clientFrame(0x80|opText, true, make([]byte, 1000))[:700],
	} {
		t.Run(name, func(t *testing.T) {
			s, peer := pumpPair(t, testShared)
			send(t, peer, clientFrame(0x80|opText, true, []byte("last")), tail)
			_ = peer.Close()
			var r recorder
			if got := pumpAll(s, &r); got != Gone {
				t.Fatalf("Pump = %v, want Gone", got)
			}
			expect(t, &r, "text last")
		})
	}
	t.Run("closed socket", func(t *testing.T) {
		s, _ := pumpPair(t, testShared)
		_ = s.Close()
		if got := pumpAll(s, &recorder{}); got != Gone {
			t.Fatalf("Pump = %v, want Gone", got)
		}
	})
}

// A refused pong ends the pump: nothing after it is handed over.
func TestPumpStopsAtARefusedPong(t *testing.T) {
	s, peer := pumpPair(t, testShared)
	send(t, peer, clientFrame(0x80|opPong, true, []byte("bad!")), clientFrame(0x80|opText, true, []byte("after")))
	r := recorder{refusePong: true}
	if got := pumpAll(s, &r); got != Gone {
		t.Fatalf("Pump = %v, want Gone", got)
	}
	expect(t, &r, "pong bad!")
}

// Without SetNonblocking (a reader goroutine's socket, or TLS) Pump waits
// for frames until its budget is spent.
func TestPumpWaitsWhenBlocking(t *testing.T) {
	ours, peer := socketPair(t)
	s := NewSocket(ours, testShared)
	go func() {
		for i := range 3 {
			time.Sleep(10 * time.Millisecond)
			_, _ = peer.Write(clientFrame(0x80|opText, true, []byte{'0' + byte(i)}))
		}
	}()
	var r recorder
	if got, n := s.Pump(&r, 3); got != More || n != 3 {
		t.Fatalf("Pump = %v after %d frames, want More after 3", got, n)
	}
	expect(t, &r, "text 0", "text 1", "text 2")
	_ = s.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
	if got := pumpAll(s, &r); got != Gone {
		t.Fatalf("Pump past the deadline = %v, want Gone", got)
	}
}

// String names an outcome in failure messages.
func (o Outcome) String() string {
	switch o {
	case Idle:
		return "Idle"
	case More:
		return "More"
	case Gone:
		return "Gone"
	case Closed:
		return "Closed"
	}
	return "Outcome(?)"
}

// FuzzPump feeds arbitrary bytes to Pump, whole and then in pieces: it must
// never panic, and what the receiver is told must not depend on how the
// bytes were cut into reads.
func FuzzPump(f *testing.F) {
	f.Add(bytes.Join([][]byte{
		clientFrame(opText, true, []byte("listen ")),
		clientFrame(0x80|opPing, true, []byte("p")),
		clientFrame(0x80|opContinuation, true, []byte("notify_file_id")),
		clientFrame(0x80|opBinary, true, make([]byte, 700)),
		clientFrame(0x80|opClose, true, []byte{3, 232}),
	}, nil), uint8(7))
	f.Add(clientFrame(0x80|opText, false, []byte("x")), uint8(1))
	f.Fuzz(func(t *testing.T, data []byte, step uint8) {
		if len(data) > 16<<10 {
			return
		}
		whole := pumpPieces(t, data, len(data))
		cut := pumpPieces(t, data, int(step)+1)
		if !slices.Equal(whole, cut) {
			t.Fatalf("whole: %q\nin pieces of %d: %q", whole, int(step)+1, cut)
		}
	})
}

// pumpPieces sends data in pieces of size bytes, pumping after each, then
// ends the stream; it returns what the receiver was told and how it ended.
func pumpPieces(t *testing.T, data []byte, size int) []string {
	s, peer := pumpPair(t, testShared)
	var r recorder
	out := Idle
	for len(data) > 0 && out == Idle {
		n := min(size, len(data))
		send(t, peer, data[:n])
		data = data[n:]
		for out = More; out == More; {
			out, _ = s.Pump(&r, 4)
		}
	}
	if out == Idle {
		_ = peer.Close()
		out = pumpAll(s, &r)
	}
	return append(r.got, "end "+out.String())
}
