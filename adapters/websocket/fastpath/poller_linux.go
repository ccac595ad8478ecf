package fastpath

import (
	"fmt"
	"sync"

	"golang.org/x/sys/unix"
)

// Supported: this platform has a readiness poller.
const Supported = true

// Poller tells when idle sockets become readable, so that an idle connection
// needs no goroutine blocked in a read: one epoll set for all of them, each
// armed one-shot, and one goroutine (Run) waiting on it.
type Poller[T Watched] struct {
	epfd   int
	wakefd int

	mu      sync.Mutex
	watched map[int32]T
}

// NewPoller makes an empty poller; Close releases it.
func NewPoller[T Watched]() (*Poller[T], error) {
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
	return &Poller[T]{epfd: epfd, wakefd: wakefd, watched: make(map[int32]T)}, nil
}

// Arm asks for one readiness event of v's socket fd. Level-triggered: bytes
// that arrived before the call fire at once.
func (p *Poller[T]) Arm(fd int, v T) error {
	ev := unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLRDHUP | unix.EPOLLONESHOT, Fd: int32(fd)}
	p.mu.Lock()
	defer p.mu.Unlock()
	if v.Finished() {
		return ErrFinished
	}
	if _, ok := p.watched[int32(fd)]; ok {
		if err := unix.EpollCtl(p.epfd, unix.EPOLL_CTL_MOD, fd, &ev); err != nil {
			return fmt.Errorf("re-arm descriptor %d: %w", fd, err)
		}
		return nil
	}
	if err := unix.EpollCtl(p.epfd, unix.EPOLL_CTL_ADD, fd, &ev); err != nil {
		return fmt.Errorf("watch descriptor %d: %w", fd, err)
	}
	p.watched[int32(fd)] = v
	return nil
}

// Remove forgets v; call it before its socket is closed, so that a new
// socket reusing the descriptor is not taken for v.
func (p *Poller[T]) Remove(fd int, v T) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if w, ok := p.watched[int32(fd)]; ok && w == v {
		delete(p.watched, int32(fd))
		_ = unix.EpollCtl(p.epfd, unix.EPOLL_CTL_DEL, fd, nil)
	}
}

// Run calls ready, on Run's goroutine, for each watched value whose socket
// became readable (or hung up), until Stop is called. When ready returns
// true, the value has more to read: Run calls it again, with resumed set,
// once every other ready value had its turn, so that one busy connection
// only ever delays the others by one turn each.
func (p *Poller[T]) Run(ready func(v T, resumed bool) (again bool)) {
	var events [256]unix.EpollEvent
	var turn, next []T
	for {
		timeout := -1
		if len(turn) > 0 {
			timeout = 0 // others only get a look in between turns
		}
		n, err := unix.EpollWait(p.epfd, events[:], timeout)
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
			v, ok := p.watched[fd]
			p.mu.Unlock()
			if ok && ready(v, false) {
				next = append(next, v)
			}
		}
		for _, v := range turn {
			if ready(v, true) {
				next = append(next, v)
			}
		}
		clear(turn)
		turn, next = next, turn[:0]
	}
}

// Stop ends Run.
func (p *Poller[T]) Stop() {
	one := [8]byte{1}
	_, _ = unix.Write(p.wakefd, one[:])
}

// Close releases the poller's descriptors, once Run has returned.
func (p *Poller[T]) Close() {
	_ = unix.Close(p.epfd)
	_ = unix.Close(p.wakefd)
}
