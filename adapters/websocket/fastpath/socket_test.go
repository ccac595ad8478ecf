//go:build unix

package fastpath

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"syscall"
	"testing"
	"time"
	"unsafe"
)

// socketPair is a connected pair of Unix stream sockets as the net package
// makes them (nonblocking, with descriptors), closed when the test ends.
func socketPair(t testing.TB) (net.Conn, net.Conn) {
	t.Helper()
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	var conns [2]net.Conn
	for i, fd := range fds {
		f := os.NewFile(uintptr(fd), "socketpair")
		c, err := net.FileConn(f) // a duplicate of fd
		_ = f.Close()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.Close() })
		conns[i] = c
	}
	return conns[0], conns[1]
}

// WriteNow writes what the socket takes and returns instead of waiting for
// a peer that does not read.
func TestWriteNowNeverWaits(t *testing.T) {
	ours, peer := socketPair(t)
	s := NewSocket(ours, testShared)
	if !s.CanWriteNow() {
		t.Fatal("a socket with a descriptor cannot be written now")
	}
	big := make([]byte, 16<<20) // more than a socket buffer holds
	n, err := s.WriteNow(big)
	if err != nil || n <= 0 || n >= len(big) {
		t.Fatalf("WriteNow of 16 MiB to a peer not reading: %d, %v; want a part and no error", n, err)
	}
	if n, err := s.WriteNow(big); n != 0 || err != nil {
		t.Fatalf("WriteNow to a full socket: %d, %v; want 0, nil", n, err)
	}
	_ = peer.Close()
	if _, err := s.WriteNow([]byte("x")); !errors.Is(err, syscall.EPIPE) {
		t.Fatalf("WriteNow after the peer closed: %v, want EPIPE", err)
	}
	_ = s.Close()
	if _, err := s.WriteNow([]byte("x")); err == nil {
		t.Fatal("WriteNow on a closed socket did not fail")
	}
}

// Every connection holds a Socket: what it needs only while reading or
// writing is lent by Shared, so that it stays in the 80-byte size class
// (it took 184 bytes with its buffers' and raw calls' state).
func TestSocketStaysSmall(t *testing.T) {
	if size := unsafe.Sizeof(Socket{}); size > 80 {
		t.Fatalf("a Socket takes %d bytes, want at most 80", size)
	}
}

func TestFD(t *testing.T) {
	ours, _ := socketPair(t)
	s := NewSocket(ours, testShared)
	fd, ok := s.FD()
	if !ok || fd < 0 {
		t.Fatalf("FD = %d, %v", fd, ok)
	}
	if _, err := syscall.Getsockname(fd); err != nil {
		t.Fatalf("FD %d is not the socket: %v", fd, err)
	}
	_ = s.Close()
	if _, ok := s.FD(); ok {
		t.Fatal("a closed socket still has a descriptor")
	}
}

// A connection without a descriptor of its own (TLS, a pipe) only reads and
// writes the ordinary way.
func TestSocketWithoutDescriptor(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	s := NewSocket(a, testShared)
	if s.CanWriteNow() {
		t.Fatal("a pipe can be written now")
	}
	if _, ok := s.FD(); ok {
		t.Fatal("a pipe has a descriptor")
	}
	go func() { _, _ = b.Write([]byte("hello")) }()
	got := make([]byte, 5)
	if _, err := s.Buffer().Read(got); err != nil || string(got) != "hello" {
		t.Fatalf("read %q, %v", got, err)
	}
}

// A client that keeps sending leaves bytes unread when the server closes
// it: closed at once, the socket sends a reset and the kernel drops what was
// still queued for the client (the close frame); CloseAfter lets it go out.
func TestCloseAfterDeliversWhatIsQueuedDespiteUnreadInput(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	nc, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	s := NewSocket(nc, testShared)
	if _, err := client.Write(make([]byte, 64<<10)); err != nil { // never read by the server
		t.Fatal(err)
	}
	// More than the socket buffers hold: the last of it is still queued in
	// the server's kernel when the write returns.
	want := bytes.Repeat([]byte("close frame "), 1<<20)
	wrote := make(chan error, 1)
	go func() {
		_, err := s.Write(want)
		s.CloseAfter(5 * time.Second)
		wrote <- err
	}()
	_ = client.SetReadDeadline(time.Now().Add(20 * time.Second))
	got, err := io.ReadAll(client)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("client read %d of %d bytes: %v", len(got), len(want), err)
	}
	if err := <-wrote; err != nil {
		t.Fatal(err)
	}
}
