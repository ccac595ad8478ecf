//go:build !linux

package websocket

import "syscall"

// writeNonblock and readNonblock are plain system calls where the Linux
// shortcut (rawio_linux.go) is not available.
func writeNonblock(fd int, p []byte) (int, error) { return syscall.Write(fd, p) }

func readNonblock(fd int, p []byte) (int, error) { return syscall.Read(fd, p) }
