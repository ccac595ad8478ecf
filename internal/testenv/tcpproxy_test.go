package testenv

import (
	"bufio"
	"net"
	"testing"
	"time"
)

// startEcho runs a line echo server until the test ends.
func startEcho(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				r := bufio.NewReader(c)
				for {
					line, err := r.ReadString('\n')
					if err != nil {
						return
					}
					if _, err := c.Write([]byte(line)); err != nil {
						return
					}
				}
			}()
		}
	}()
	return ln.Addr().String()
}

func dialProxy(t *testing.T, addr string) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c, bufio.NewReader(c)
}

// roundTrip sends a line and reports whether it came back within wait.
func roundTrip(t *testing.T, c net.Conn, r *bufio.Reader, wait time.Duration) bool {
	t.Helper()
	if _, err := c.Write([]byte("ping\n")); err != nil {
		return false
	}
	_ = c.SetReadDeadline(time.Now().Add(wait))
	line, err := r.ReadString('\n')
	return err == nil && line == "ping\n"
}

func TestTCPProxyFaults(t *testing.T) {
	p := NewTCPProxy(t, "")
	if c, err := net.DialTimeout("tcp", p.Addr, time.Second); err == nil {
		c.Close()
		t.Fatal("a new proxy accepts connections")
	}
	p.SetTarget(startEcho(t))
	p.Forward()
	a, ra := dialProxy(t, p.Addr)
	if !roundTrip(t, a, ra, 2*time.Second) {
		t.Fatal("no echo through a forwarding proxy")
	}

	p.Hang()
	if roundTrip(t, a, ra, 200*time.Millisecond) {
		t.Fatal("an open connection still answers while hung")
	}
	b, rb := dialProxy(t, p.Addr) // accepted, as by a frozen server
	if roundTrip(t, b, rb, 200*time.Millisecond) {
		t.Fatal("a new connection answers while hung")
	}

	p.Forward()
	if roundTrip(t, a, ra, 200*time.Millisecond) {
		t.Fatal("a connection that hung came back to life")
	}
	c, rc := dialProxy(t, p.Addr)
	if !roundTrip(t, c, rc, 2*time.Second) {
		t.Fatal("no echo on a new connection after Forward")
	}

	p.Refuse()
	if _, err := rc.ReadString('\n'); err == nil {
		t.Fatal("an open connection survived Refuse")
	}
	if c, err := net.DialTimeout("tcp", p.Addr, time.Second); err == nil {
		c.Close()
		t.Fatal("connections accepted while refusing")
	}
	p.Forward()
	d, rd := dialProxy(t, p.Addr)
	if !roundTrip(t, d, rd, 2*time.Second) {
		t.Fatal("no echo after refusing and forwarding again")
	}
}
