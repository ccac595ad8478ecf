// Package rawio reads and writes nonblocking sockets without telling the
// scheduler: such a call never sleeps, and the bookkeeping of a blocking
// system call costs more than the call saves when a fan-out makes one per
// socket. It also keeps sysmon from handing the P to another thread while a
// loopback write does the receiver's work inline. The descriptor must be in
// nonblocking mode, as the net package leaves every socket.
package rawio

import (
	"syscall"
	"unsafe"
)

// Write is write(2) of p to fd.
func Write(fd int, p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	n, _, e := syscall.RawSyscall(syscall.SYS_WRITE, uintptr(fd), uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)))
	if e != 0 {
		return 0, e
	}
	return int(n), nil
}

// Read is read(2) from fd into p; n is -1 with an error, 0 at the end of
// the stream.
func Read(fd int, p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	n, _, e := syscall.RawSyscall(syscall.SYS_READ, uintptr(fd), uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)))
	if e != 0 {
		return -1, e
	}
	return int(n), nil
}
