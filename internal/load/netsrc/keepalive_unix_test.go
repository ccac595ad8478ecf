//go:build unix

package netsrc

import (
	"net"
	"syscall"
	"testing"
	"time"
)

// The load clients, like the WebSocket clients they stand for, leave TCP
// keep-alive off.
func TestDialedConnectionsHaveNoTCPKeepAlive(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	c, err := Dialer("127.0.0.1", 5*time.Second).Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	raw, err := c.(*net.TCPConn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	v := -1
	var gerr error
	if err := raw.Control(func(fd uintptr) {
		v, gerr = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_KEEPALIVE)
	}); err != nil || gerr != nil {
		t.Fatal(err, gerr)
	}
	if v != 0 {
		t.Fatalf("SO_KEEPALIVE = %d, want 0", v)
	}
}
