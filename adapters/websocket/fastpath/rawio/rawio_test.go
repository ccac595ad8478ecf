//go:build unix

package rawio

import (
	"errors"
	"syscall"
	"testing"
)

// Against a real nonblocking socket pair: what is written is read back, an
// empty socket says EAGAIN at once instead of sleeping, and a closed peer
// reads as the end of the stream.
func TestReadWriteOnANonblockingSocket(t *testing.T) {
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	a, b := fds[0], fds[1]
	for _, fd := range fds {
		// Not SOCK_NONBLOCK in Socketpair: that flag is Linux's.
		if err := syscall.SetNonblock(fd, true); err != nil {
			t.Fatal(err)
		}
	}
	defer syscall.Close(a)
	buf := make([]byte, 16)
	if n, err := Read(a, buf); !errors.Is(err, syscall.EAGAIN) {
		t.Fatalf("empty socket: read %d, %v; want EAGAIN", n, err)
	}
	if n, err := Write(b, []byte("notify_file")); n != 11 || err != nil {
		t.Fatalf("write: %d, %v", n, err)
	}
	if n, err := Read(a, buf); n != 11 || err != nil || string(buf[:n]) != "notify_file" {
		t.Fatalf("read: %q, %v", buf[:max(n, 0)], err)
	}
	if n, err := Write(b, nil); n != 0 || err != nil {
		t.Fatalf("empty write: %d, %v", n, err)
	}
	syscall.Close(b)
	if n, err := Read(a, buf); n != 0 || err != nil {
		t.Fatalf("closed peer: read %d, %v; want 0, nil", n, err)
	}
	if _, err := Write(-1, []byte("x")); !errors.Is(err, syscall.EBADF) {
		t.Fatalf("bad descriptor: %v, want EBADF", err)
	}
}
