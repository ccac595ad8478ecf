package netsrc

import (
	"fmt"
	"syscall"

	"golang.org/x/sys/unix"
)

// noPortAtBind sets IP_BIND_ADDRESS_NO_PORT: bind fixes the address, and
// connect picks a port free for that destination only.
func noPortAtBind(network, address string, c syscall.RawConn) error {
	var serr error
	err := c.Control(func(fd uintptr) {
		serr = unix.SetsockoptInt(int(fd), unix.IPPROTO_IP, unix.IP_BIND_ADDRESS_NO_PORT, 1)
	})
	if err != nil {
		return fmt.Errorf("socket for %s: %w", address, err)
	}
	if serr != nil {
		return fmt.Errorf("IP_BIND_ADDRESS_NO_PORT for %s: %w", address, serr)
	}
	return nil
}
