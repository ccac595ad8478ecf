//go:build unix

package httpapi

import (
	"context"
	"net"
	"net/http"
	"syscall"
	"testing"
	"time"
)

// Accepted connections carry no TCP keep-alive: the WebSocket pings do
// that job, and the kernel's probes of connections that fell silent
// together came in bursts.
func TestAcceptedConnectionsHaveNoTCPKeepAlive(t *testing.T) {
	got := make(chan int, 1)
	mux := http.NewServeMux()
	mux.HandleFunc("/ws", func(w http.ResponseWriter, _ *http.Request) {
		c, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Errorf("hijack: %v", err)
			got <- -1
			return
		}
		defer c.Close()
		raw, err := c.(*net.TCPConn).SyscallConn()
		if err != nil {
			t.Errorf("raw conn: %v", err)
			got <- -1
			return
		}
		v := -1
		if err := raw.Control(func(fd uintptr) {
			v, err = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_KEEPALIVE)
		}); err != nil {
			t.Errorf("getsockopt: %v", err)
		}
		got <- v
	})
	srv := NewServer(ListenOptions{Bind: "127.0.0.1"}, mux, discard())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	defer func() { cancel(); <-done }()
	<-srv.Ready()

	c, err := net.Dial("tcp", srv.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte("GET /ws HTTP/1.1\r\nHost: x\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	select {
	case v := <-got:
		if v != 0 {
			t.Fatalf("SO_KEEPALIVE = %d on an accepted connection, want 0", v)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the request never reached the handler")
	}
}
