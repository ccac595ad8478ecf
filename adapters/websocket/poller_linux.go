package websocket

import (
	"errors"
	"fmt"
	"sync"

	"golang.org/x/sys/unix"
)

// pollingSupported: this platform has a readiness poller.
const pollingSupported = true

// poller tells when idle connections become readable, so that an idle
// connection needs no goroutine blocked in a read: one epoll set for all of
// them, each armed one-shot, and one goroutine waiting on it.
type poller struct {
	epfd   int
	wakefd int

	mu    sync.Mutex
	conns map[int32]*conn
}

func newPoller() (*poller, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("create epoll set: %w", err)
	}
	wakefd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		_ = unix.Close(epfd)
		return nil, fmt.Errorf("create eventfd: %w", err)
	}
	ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(wakefd)}
	if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, wakefd, &ev); err != nil {
		_ = unix.Close(epfd)
		_ = unix.Close(wakefd)
		return nil, fmt.Errorf("watch eventfd: %w", err)
	}
	return &poller{epfd: epfd, wakefd: wakefd, conns: make(map[int32]*conn)}, nil
}

var errConnFinished = errors.New("connection already finished")

// arm asks for one readiness event of c. Level-triggered: bytes that arrived
// before the call fire at once.
func (p *poller) arm(c *conn) error {
	ev := unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLRDHUP | unix.EPOLLONESHOT, Fd: int32(c.fd)}
	p.mu.Lock()
	defer p.mu.Unlock()
	if c.finished.Load() {
		return errConnFinished
	}
	if _, ok := p.conns[int32(c.fd)]; ok {
		return unix.EpollCtl(p.epfd, unix.EPOLL_CTL_MOD, c.fd, &ev)
	}
	if err := unix.EpollCtl(p.epfd, unix.EPOLL_CTL_ADD, c.fd, &ev); err != nil {
		return err
	}
	p.conns[int32(c.fd)] = c
	return nil
}

// remove forgets c; call it before its socket is closed.
func (p *poller) remove(c *conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.conns[int32(c.fd)] == c {
		delete(p.conns, int32(c.fd))
		_ = unix.EpollCtl(p.epfd, unix.EPOLL_CTL_DEL, c.fd, nil)
	}
}

// run calls ready for each connection that became readable, on its own
// goroutine, until stop is called.
func (p *poller) run(ready func(*conn)) {
	var events [256]unix.EpollEvent
	for {
		n, err := unix.EpollWait(p.epfd, events[:], -1)
		if err != nil {
			if err == unix.EINTR {
				continue
			}
			return
		}
		for i := range events[:n] {
			fd := events[i].Fd
			if fd == int32(p.wakefd) {
				return
			}
			p.mu.Lock()
			c := p.conns[fd]
			p.mu.Unlock()
			if c != nil {
				ready(c)
			}
		}
	}
}

// stop ends run.
func (p *poller) stop() {
	var one = [8]byte{1}
	_, _ = unix.Write(p.wakefd, one[:])
}

// close releases the poller's descriptors, after run has returned.
func (p *poller) close() {
	_ = unix.Close(p.epfd)
	_ = unix.Close(p.wakefd)
}
