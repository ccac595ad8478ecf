//go:build !linux

package netsrc

import "syscall"

// noPortAtBind does nothing where IP_BIND_ADDRESS_NO_PORT is unknown.
func noPortAtBind(string, string, syscall.RawConn) error { return nil }
