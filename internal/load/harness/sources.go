package harness

import (
	"fmt"
	"net"
)

// FirstSource is the first client source address, 127.0.0.2: the servers
// listen on 127.0.0.1.
const FirstSource = 2

// SourcePool hands out the loopback source addresses 127.0.0.first to
// 127.0.0.254 for client connections. One address has only as many ephemeral
// ports as the kernel's range (net.ipv4.ip_local_port_range, about 28,000),
// so connections are spread over several; an address is never handed out
// twice, because sockets a worker closed linger in TIME_WAIT holding ports.
type SourcePool struct {
	next, last int
	perAddress int
}

// lastSource is the highest host part used: 127.0.0.255 is left alone.
const lastSource = 254

// NewSourcePool starts at 127.0.0.first and puts at most perAddress
// connections on each address.
func NewSourcePool(first, perAddress int) (*SourcePool, error) {
	if first < 2 || first > lastSource {
		return nil, fmt.Errorf("first source address 127.0.0.%d: want 2-%d (127.0.0.1 is the servers')", first, lastSource)
	}
	if perAddress < 1 || perAddress > 28000 {
		return nil, fmt.Errorf("connections per source address %d: want 1-28000 (one address has about 28,000 ephemeral ports)", perAddress)
	}
	return &SourcePool{next: first, last: lastSource, perAddress: perAddress}, nil
}

// Take returns fresh addresses enough for conns connections.
func (p *SourcePool) Take(conns int) ([]string, error) {
	need := max(1, (conns+p.perAddress-1)/p.perAddress)
	if p.next+need-1 > p.last {
		return nil, fmt.Errorf("out of loopback source addresses: %d connections need %d more, only 127.0.0.%d-%d are left; "+
			"raise --per-source", conns, need, p.next, p.last)
	}
	addrs := make([]string, need)
	for i := range addrs {
		addrs[i] = net.IPv4(127, 0, 0, byte(p.next+i)).String()
	}
	p.next += need
	return addrs, nil
}

// Used is the range handed out so far, as "127.0.0.2–127.0.0.9", or "" when none.
func (p *SourcePool) Used(first int) string {
	if p.next == first {
		return ""
	}
	return fmt.Sprintf("127.0.0.%d–127.0.0.%d", first, p.next-1)
}
