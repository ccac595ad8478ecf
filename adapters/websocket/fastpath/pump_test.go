//go:build unix

package fastpath

import (
	"bytes"
	"errors"
	"net"
	"os"
	"slices"
	"testing"
	"time"
)

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

// pumpPair is our Socket, with a read buffer of size bytes, and the client's
// end of the connection.
func pumpPair(t *testing.T, size int) (*Socket, net.Conn) {
	ours, peer := socketPair(t)
	return NewSocket(ours, size), peer
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

func TestPumpHandsOverWholeFrames(t *testing.T) {
	s, peer := pumpPair(t, 512)
	send(t, peer,
		clientFrame(0x80|opText, true, []byte("listen notify_file_id")),
		clientFrame(0x80|opBinary, true, []byte("dropped")),
		clientFrame(0x80|opPing, true, []byte("p")),
		clientFrame(0x80|opPong, true, []byte{'a', 'b', 'c', 'd'}),
		clientFrame(0x80|opText, true, nil),
		clientFrame(0x80|opText, true, bytes.Repeat([]byte("x"), 300)), // a 16-bit length
	)
	var r recorder
	if got := pumpAll(s, &r); got != Idle {
		t.Fatalf("Pump = %v, want Idle", got)
	}
	want := []string{"text listen notify_file_id", "ping p", "pong abcd", "text ", "text " + string(bytes.Repeat([]byte("x"), 300))}
	if !slices.Equal(r.got, want) {
		t.Fatalf("got %q\nwant %q", r.got, want)
	}
	if n := s.Buffer().Buffered(); n != 0 {
		t.Fatalf("%d bytes left in the buffer", n)
	}
	// Nothing more: the next pump says so at once.
	if got := pumpAll(s, &r); got != Idle || len(r.got) != len(want) {
		t.Fatalf("empty socket: Pump = %v, got %q", got, r.got)
	}
}

// A budget bounds the frames one call takes, binary ones included, so that
// one client's stream cannot keep the poller; the rest waits in order.
func TestPumpKeepsToItsBudget(t *testing.T) {
	s, peer := pumpPair(t, 512)
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
	if got, n := s.Pump(&r, 4); got != Idle || n != 2 || !slices.Equal(r.got, []string{"text 0", "text 2", "text 4", "text 6", "text 8"}) {
		t.Fatalf("last turn: %v after %d frames, got %q", got, n, r.got)
	}
}

// A frame that has arrived in part stays in the buffer until the rest comes,
// wherever it was cut.
func TestPumpWaitsForTheRestOfAFrame(t *testing.T) {
	frame := clientFrame(0x80|opText, true, bytes.Repeat([]byte("y"), 200))
	for _, cut := range []int{1, 2, 3, 5, 8, 9, len(frame) - 1} {
		s, peer := pumpPair(t, 512)
		var r recorder
		send(t, peer, frame[:cut])
		if got := pumpAll(s, &r); got != Idle || len(r.got) != 0 {
			t.Fatalf("cut at %d: Pump = %v, got %q; want Idle and nothing", cut, got, r.got)
		}
		send(t, peer, frame[cut:])
		if got := pumpAll(s, &r); got != Idle || len(r.got) != 1 || len(r.got[0]) != len("text ")+200 {
			t.Fatalf("cut at %d, then the rest: Pump = %v, got %q", cut, got, r.got)
		}
	}
}

// Frames only gorilla handles are left whole at the front of the buffer,
// after the simple frames before them are handled.
func TestPumpLeavesOtherFramesToGorilla(t *testing.T) {
	const size = 257
	others := map[string][]byte{
		"longer than the buffer": clientFrame(0x80|opText, true, make([]byte, size)),
		"close":                  clientFrame(0x80|opClose, true, []byte{3, 232}),
		"fragment":               clientFrame(opText, true, []byte("listen")),
		"unmasked":               clientFrame(0x80|opText, false, []byte("hi")),
		"long ping":              clientFrame(0x80|opPing, true, make([]byte, 126)),
		"reserved bit":           clientFrame(0x80|0x40|opText, true, []byte("hi")),
	}
	for name, other := range others {
		t.Run(name, func(t *testing.T) {
			s, peer := pumpPair(t, size)
			send(t, peer, clientFrame(0x80|opText, true, []byte("before")), other)
			var r recorder
			if got := pumpAll(s, &r); got != Slow {
				t.Fatalf("Pump = %v, want Slow", got)
			}
			if !slices.Equal(r.got, []string{"text before"}) {
				t.Fatalf("got %q", r.got)
			}
			head, err := s.Buffer().Peek(2)
			if err != nil || !bytes.Equal(head, other[:2]) {
				t.Fatalf("buffer starts with % x (%v), want the frame's header % x", head, err, other[:2])
			}
		})
	}
}

func TestPumpSeesTheEndOfTheStream(t *testing.T) {
	for name, tail := range map[string][]byte{
		"after whole frames": nil,
		"inside a frame":     clientFrame(0x80|opText, true, []byte("cut"))[:4],
	} {
		t.Run(name, func(t *testing.T) {
			s, peer := pumpPair(t, 512)
			send(t, peer, clientFrame(0x80|opText, true, []byte("last")), tail)
			_ = peer.Close()
			var r recorder
			if got := pumpAll(s, &r); got != Gone {
				t.Fatalf("Pump = %v, want Gone", got)
			}
			if !slices.Equal(r.got, []string{"text last"}) {
				t.Fatalf("got %q", r.got)
			}
		})
	}
	t.Run("closed socket", func(t *testing.T) {
		s, _ := pumpPair(t, 512)
		_ = s.Close()
		if got := pumpAll(s, &recorder{}); got != Gone {
			t.Fatalf("Pump = %v, want Gone", got)
		}
	})
}

// A refused pong ends the pump: nothing after it is handed over.
func TestPumpStopsAtARefusedPong(t *testing.T) {
	s, peer := pumpPair(t, 512)
	send(t, peer, clientFrame(0x80|opPong, true, []byte("bad!")), clientFrame(0x80|opText, true, []byte("after")))
	r := recorder{refusePong: true}
	if got := pumpAll(s, &r); got != Gone {
		t.Fatalf("Pump = %v, want Gone", got)
	}
	if !slices.Equal(r.got, []string{"pong bad!"}) {
		t.Fatalf("got %q", r.got)
	}
}

// Once Pump returns, reads through the buffer block again, as gorilla needs:
// an empty socket waits (here until the deadline) instead of failing at once.
func TestReadsBlockAgainAfterPump(t *testing.T) {
	s, _ := pumpPair(t, 512)
	if got := pumpAll(s, &recorder{}); got != Idle {
		t.Fatalf("Pump = %v, want Idle", got)
	}
	_ = s.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
	if _, err := s.Buffer().ReadByte(); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read after Pump: %v, want the deadline's error", err)
	}
}

// String names an outcome in failure messages.
func (o Outcome) String() string {
	switch o {
	case Idle:
		return "Idle"
	case Slow:
		return "Slow"
	case Gone:
		return "Gone"
	case More:
		return "More"
	}
	return "Outcome(?)"
}
