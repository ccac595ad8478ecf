package fastpath

import (
	"errors"
	"net"
	"sync/atomic"
	"testing"
	"time"
)

// watched stands for a connection.
type watched struct{ finished atomic.Bool }

func (w *watched) Finished() bool { return w.finished.Load() }

// runPoller runs a poller until the test ends; its events arrive on the channel.
func runPoller(t *testing.T) (*Poller[*watched], <-chan *watched) {
	t.Helper()
	p, err := NewPoller[*watched]()
	if err != nil {
		t.Fatal(err)
	}
	ready := make(chan *watched, 16)
	done := make(chan struct{})
	go func() { p.Run(func(w *watched, _ bool) bool { ready <- w; return false }); close(done) }()
	t.Cleanup(func() { p.Stop(); <-done; p.Close() })
	return p, ready
}

func fdOf(t *testing.T, c net.Conn) int {
	t.Helper()
	fd, ok := NewSocket(c, testShared).FD()
	if !ok {
		t.Fatal("no descriptor")
	}
	return fd
}

func expectEvent(t *testing.T, ready <-chan *watched, want *watched) {
	t.Helper()
	select {
	case got := <-ready:
		if got != want {
			t.Fatalf("event for %p, want %p", got, want)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no readiness event")
	}
}

// noEvent checks that nothing fires for a while; an event would come within
// microseconds.
func noEvent(t *testing.T, ready <-chan *watched) {
	t.Helper()
	select {
	case got := <-ready:
		t.Fatalf("unexpected event for %p", got)
	case <-time.After(50 * time.Millisecond):
	}
}

// An armed socket fires once when data arrives, and not again until it is
// re-armed; re-arming with the data still unread fires at once.
func TestPollerFiresOncePerArm(t *testing.T) {
	p, ready := runPoller(t)
	ours, peer := socketPair(t)
	fd, w := fdOf(t, ours), &watched{}
	if err := p.Arm(fd, w); err != nil {
		t.Fatal(err)
	}
	noEvent(t, ready)
	_, _ = peer.Write([]byte("x"))
	expectEvent(t, ready, w)
	_, _ = peer.Write([]byte("y"))
	noEvent(t, ready)
	if err := p.Arm(fd, w); err != nil {
		t.Fatal(err)
	}
	expectEvent(t, ready, w)
}

// Data that arrived before Arm fires as soon as the socket is armed, and so
// does the peer hanging up.
func TestPollerSeesWhatCameFirstAndHangUps(t *testing.T) {
	p, ready := runPoller(t)
	ours, peer := socketPair(t)
	_, _ = peer.Write([]byte("early"))
	w := &watched{}
	if err := p.Arm(fdOf(t, ours), w); err != nil {
		t.Fatal(err)
	}
	expectEvent(t, ready, w)

	ours2, peer2 := socketPair(t)
	w2 := &watched{}
	if err := p.Arm(fdOf(t, ours2), w2); err != nil {
		t.Fatal(err)
	}
	_ = peer2.Close()
	expectEvent(t, ready, w2)
}

// A removed socket no longer fires and can be armed again afterwards;
// removing another value under the same descriptor leaves the watched one.
func TestPollerRemove(t *testing.T) {
	p, ready := runPoller(t)
	ours, peer := socketPair(t)
	fd, w := fdOf(t, ours), &watched{}
	if err := p.Arm(fd, w); err != nil {
		t.Fatal(err)
	}
	p.Remove(fd, &watched{})
	p.Remove(fd, w)
	_, _ = peer.Write([]byte("x"))
	noEvent(t, ready)

	if err := p.Arm(fd, w); err != nil {
		t.Fatalf("arm after remove: %v", err)
	}
	expectEvent(t, ready, w)

	ours2, peer2 := socketPair(t)
	fd2, w2 := fdOf(t, ours2), &watched{}
	if err := p.Arm(fd2, w2); err != nil {
		t.Fatal(err)
	}
	p.Remove(fd2, &watched{}) // a stranger's remove
	_, _ = peer2.Write([]byte("x"))
	expectEvent(t, ready, w2)
}

// A finished connection is refused, so that an Arm racing its close cannot
// leave a descriptor watched after Remove.
func TestPollerRefusesFinished(t *testing.T) {
	p, ready := runPoller(t)
	ours, peer := socketPair(t)
	w := &watched{}
	w.finished.Store(true)
	if err := p.Arm(fdOf(t, ours), w); !errors.Is(err, ErrFinished) {
		t.Fatalf("Arm of a finished connection: %v, want ErrFinished", err)
	}
	_, _ = peer.Write([]byte("x"))
	noEvent(t, ready)
}

func TestPollerArmOfABadDescriptorFails(t *testing.T) {
	p, _ := runPoller(t)
	if err := p.Arm(-1, &watched{}); err == nil {
		t.Fatal("Arm(-1) succeeded")
	}
}

// Stop ends Run even while sockets are watched.
func TestPollerStop(t *testing.T) {
	p, err := NewPoller[*watched]()
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	ours, _ := socketPair(t)
	if err := p.Arm(fdOf(t, ours), &watched{}); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { p.Run(func(*watched, bool) bool { return false }); close(done) }()
	p.Stop()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after Stop")
	}
}

// A value with more to read is called again, resumed, after every other
// ready value had its turn: a socket that never runs dry delays the others
// by one turn each, never starves them.
func TestPollerTakesTurns(t *testing.T) {
	p, err := NewPoller[*watched]()
	if err != nil {
		t.Fatal(err)
	}
	busy, quiet := &watched{}, &watched{}
	calls := make(chan string, 64)
	done, stopping := make(chan struct{}), make(chan struct{})
	go func() {
		p.Run(func(w *watched, resumed bool) bool {
			call := "quiet"
			switch {
			case w == busy && !resumed:
				call = "busy"
			case w == busy:
				call = "busy again"
			}
			select {
			case calls <- call:
			case <-stopping:
			}
			return w == busy // the busy one always has more
		})
		close(done)
	}()
	t.Cleanup(func() { close(stopping); p.Stop(); <-done; p.Close() })
	ours, peer := socketPair(t)
	if err := p.Arm(fdOf(t, ours), busy); err != nil {
		t.Fatal(err)
	}
	_, _ = peer.Write([]byte("x"))
	next := func() string {
		select {
		case c := <-calls:
			return c
		case <-time.After(5 * time.Second):
			t.Fatal("no call")
			return ""
		}
	}
	if got := next(); got != "busy" {
		t.Fatalf("first call %q", got)
	}
	ours2, peer2 := socketPair(t)
	if err := p.Arm(fdOf(t, ours2), quiet); err != nil {
		t.Fatal(err)
	}
	_, _ = peer2.Write([]byte("y"))
	for i := 0; ; i++ {
		got := next()
		if got == "quiet" {
			break
		}
		if got != "busy again" || i > 1000 {
			t.Fatalf("call %d: %q; the quiet socket never got its turn", i, got)
		}
	}
	if got := next(); got != "busy again" {
		t.Fatalf("after the quiet one: %q, want the busy one resumed", got)
	}
}
