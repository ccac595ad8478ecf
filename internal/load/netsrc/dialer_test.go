package netsrc

import (
	"net"
	"testing"
	"time"
)

// Connections dialed from a source address come from it, each on a port of
// its own, through a listener on another loopback address.
func TestDialerDialsFromTheSource(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	d := Dialer("127.0.0.3", 5*time.Second)
	ports := map[int]bool{}
	for range 50 {
		c, err := d.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		local := c.LocalAddr().(*net.TCPAddr)
		if !local.IP.Equal(net.ParseIP("127.0.0.3")) {
			t.Fatalf("dialed from %v, want 127.0.0.3", local)
		}
		ports[local.Port] = true
		defer c.Close()
	}
	if len(ports) != 50 {
		t.Fatalf("50 connections on %d ports", len(ports))
	}
}
