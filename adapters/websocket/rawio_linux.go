package websocket

import (
	"syscall"
	"unsafe"
)

// writeNonblock and readNonblock are write(2) and read(2) on a nonblocking
// socket without telling the scheduler: such a call never sleeps, and the
// bookkeeping of a blocking system call (a fan-out makes one per socket)
// costs more than the call saves. It also keeps sysmon from handing the P
// to another thread while a loopback write does the receiver's work inline.
func writeNonblock(fd int, p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	n, _, e := syscall.RawSyscall(syscall.SYS_WRITE, uintptr(fd), uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)))
	if e != 0 {
		return 0, e
	}
	return int(n), nil
}

func readNonblock(fd int, p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	n, _, e := syscall.RawSyscall(syscall.SYS_READ, uintptr(fd), uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)))
	if e != 0 {
		return -1, e
	}
	return int(n), nil
}
