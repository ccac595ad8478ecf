package testenv

import (
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TCPProxy forwards a fixed loopback address to a target and lets a test
// play the faults of the service behind it: down (Refuse: connections are
// refused, open ones closed), hung (Hang: connections are accepted and open
// ones kept, but nothing is answered any more, as behind a lost NAT entry or
// a frozen server), and back (Forward). A connection that hung stays dead
// after Forward: only new connections reach the target again, so a client
// must notice the silence itself. Its address never changes, so a client
// can be configured with it before the service exists.
type TCPProxy struct {
	t    testing.TB
	Addr string

	mu     sync.Mutex
	target string
	mode   proxyMode
	ln     net.Listener
	links  map[*link]struct{}
	wg     sync.WaitGroup
	closed bool
}

type proxyMode int

const (
	proxyRefuse proxyMode = iota
	proxyForward
	proxyHang
)

// link is one client connection and, when forwarded, its upstream one.
type link struct {
	client, upstream net.Conn
	dead             atomic.Bool // bytes are read and dropped from now on
}

// NewTCPProxy reserves a loopback port that refuses connections until
// Forward; target (host:port) may be set later with SetTarget. It is closed
// when the test ends.
func NewTCPProxy(t testing.TB, target string) *TCPProxy {
	t.Helper()
	p := &TCPProxy{t: t, Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(FreePort(t))), target: target,
		links: make(map[*link]struct{})}
	t.Cleanup(p.close)
	return p
}

// StartTCPProxy is NewTCPProxy already forwarding to target.
func StartTCPProxy(t testing.TB, target string) *TCPProxy {
	t.Helper()
	p := NewTCPProxy(t, target)
	p.Forward()
	return p
}

// SetTarget changes where new connections are forwarded.
func (p *TCPProxy) SetTarget(target string) {
	p.mu.Lock()
	p.target = target
	p.mu.Unlock()
}

// Forward accepts connections and forwards the new ones to the target.
func (p *TCPProxy) Forward() {
	p.t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	p.mode = proxyForward
	p.listenLocked()
}

// Hang accepts connections but answers nothing, on new and open ones alike.
func (p *TCPProxy) Hang() {
	p.t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	p.mode = proxyHang
	for l := range p.links {
		l.dead.Store(true)
	}
	p.listenLocked()
}

// Refuse closes the port, so that connections are refused, and every open
// connection.
func (p *TCPProxy) Refuse() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.mode = proxyRefuse
	if p.ln != nil {
		_ = p.ln.Close()
		p.ln = nil
	}
	for l := range p.links {
		l.close()
		delete(p.links, l)
	}
}

func (p *TCPProxy) close() {
	p.Refuse()
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	p.wg.Wait()
}

func (p *TCPProxy) listenLocked() {
	p.t.Helper()
	if p.ln != nil || p.closed {
		return
	}
	var ln net.Listener
	var err error
	// The port was closed a moment ago; give the kernel a little time.
	for deadline := time.Now().Add(2 * time.Second); ; {
		if ln, err = net.Listen("tcp", p.Addr); err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err != nil {
		p.t.Fatalf("proxy: listen on %s again: %v", p.Addr, err)
	}
	p.ln = ln
	p.wg.Add(1)
	go p.accept(ln)
}

func (p *TCPProxy) accept(ln net.Listener) {
	defer p.wg.Done()
	for {
		c, err := ln.Accept()
		if err != nil {
			return // closed by Refuse
		}
		p.mu.Lock()
		mode, target := p.mode, p.target
		p.mu.Unlock()
		l := &link{client: c}
		if mode == proxyForward && target != "" {
			up, err := net.DialTimeout("tcp", target, 2*time.Second)
			if err != nil {
				_ = c.Close() // the service itself is down
				continue
			}
			l.upstream = up
		} else {
			l.dead.Store(true)
		}
		p.mu.Lock()
		if p.ln != ln { // refused meanwhile
			p.mu.Unlock()
			l.close()
			continue
		}
		p.links[l] = struct{}{}
		p.mu.Unlock()
		p.wg.Add(1)
		go p.pump(l, l.client, l.upstream, true)
		if l.upstream != nil {
			p.wg.Add(1)
			go p.pump(l, l.upstream, l.client, false)
		}
	}
}

// pump copies src to dst until either fails, dropping what it reads once the
// link is dead (dst may be nil: a connection that was never forwarded). The
// end of a live link, or the client leaving, closes both sides; the service
// leaving a dead link closes only its side, so the client still sees
// silence.
func (p *TCPProxy) pump(l *link, src, dst net.Conn, fromClient bool) {
	defer p.wg.Done()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 && dst != nil && !l.dead.Load() {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				err = werr
			}
		}
		if err == nil {
			continue
		}
		if !fromClient && l.dead.Load() {
			_ = src.Close()
			return
		}
		p.mu.Lock()
		delete(p.links, l)
		p.mu.Unlock()
		l.close()
		return
	}
}

func (l *link) close() {
	_ = l.client.Close()
	if l.upstream != nil {
		_ = l.upstream.Close()
	}
}
