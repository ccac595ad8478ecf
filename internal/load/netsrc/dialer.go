// Package netsrc dials from a chosen loopback source address, so that the
// load tools' clients spread over 127.0.0.x (a source address has only so
// many ports) or, in the hostile run, all come from one address.
package netsrc

import (
	"net"
	"time"
)

// Dialer dials TCP from source (an IP address, any port) within timeout.
// Where the system allows it, the port is chosen at connect time rather than
// at bind time: binding first makes the kernel search the source's whole port
// range at each dial, which at thousands of dials a second from one address
// spent both of the load machine's cores in the attacker instead of the
// server. Like most WebSocket clients, it sets no TCP keep-alive: Go's
// default would probe every idle connection every 15 s, kernel work on the
// server's machine that the clients it stands for do not cause.
func Dialer(source string, timeout time.Duration) *net.Dialer {
	return &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(source)}, Timeout: timeout, Control: noPortAtBind, KeepAlive: -1}
}
