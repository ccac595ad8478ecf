//go:build !linux

// Package rawio reads and writes nonblocking sockets; where the Linux
// shortcut (rawio_linux.go) is not built, these are the plain system calls.
package rawio

import "syscall"

// Write is write(2) of p to fd.
func Write(fd int, p []byte) (int, error) { return syscall.Write(fd, p) }

// Read is read(2) from fd into p.
func Read(fd int, p []byte) (int, error) { return syscall.Read(fd, p) }
