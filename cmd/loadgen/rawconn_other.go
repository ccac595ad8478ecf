//go:build !linux

package main

import "net"

// lean is the identity where leanConn (rawconn_linux.go) is not built.
func lean(c net.Conn) net.Conn { return c }
