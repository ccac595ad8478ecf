package harness

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// What the server's open files are, so that a leak shows for what it is:
// its sockets are told apart by the other end, from the kernel's TCP tables.

// Socket kinds of the server, by what is at the other end.
const (
	SockListen    = "listening"
	SockClients   = "clients"   // WebSocket port, accepted
	SockMetrics   = "metrics"   // metrics port, accepted: the soak's own scrapes
	SockRedis     = "Redis"     // to Redis
	SockNextcloud = "Nextcloud" // to the fake Nextcloud: the credential check's keep-alive pool
	SockOtherTCP  = "other TCP"
	SockOther     = "other" // unix, netlink, …
)

// SocketKinds are the kinds, in the order reports list them.
var SocketKinds = []string{SockListen, SockClients, SockMetrics, SockRedis, SockNextcloud, SockOtherTCP, SockOther}

// tcpSocket is one line of /proc/net/tcp{,6}.
type tcpSocket struct {
	localPort, remotePort int
	listen                bool
}

// parseProcNetTCP reads /proc/net/tcp or tcp6 text into inode → socket.
func parseProcNetTCP(text string, into map[string]tcpSocket) {
	for _, line := range strings.Split(text, "\n")[1:] {
		f := strings.Fields(line)
		if len(f) < 10 {
			continue
		}
		lp, ok1 := hexPort(f[1])
		rp, ok2 := hexPort(f[2])
		if !ok1 || !ok2 {
			continue
		}
		into[f[9]] = tcpSocket{localPort: lp, remotePort: rp, listen: f[3] == "0A"}
	}
}

// hexPort reads the port of "0100007F:1F90".
func hexPort(addr string) (int, bool) {
	_, port, ok := strings.Cut(addr, ":")
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseUint(port, 16, 16)
	return int(n), err == nil
}

// ServerPorts are the ports that tell the server's sockets apart.
type ServerPorts struct {
	WS, Metrics, Redis, Nextcloud int
}

// PortOf is the port of a URL, 0 when it has none.
func PortOf(rawURL string) int {
	u, err := url.Parse(rawURL)
	if err != nil {
		return 0
	}
	n, _ := strconv.Atoi(u.Port())
	return n
}

// ClassifySockets counts pid's open files and its sockets by kind.
func ClassifySockets(pid int, ports ServerPorts) (fds int, kinds map[string]int, err error) {
	// The files first: a socket opened meanwhile is in the tables read
	// after; under churn, one closed meanwhile counts as "other".
	dir := fmt.Sprintf("/proc/%d/fd", pid)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return 0, nil, fmt.Errorf("list open files of process %d: %w", pid, err)
	}
	tcp := map[string]tcpSocket{}
	for _, name := range []string{"tcp", "tcp6"} {
		if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/net/%s", pid, name)); err == nil {
			parseProcNetTCP(string(b), tcp)
		}
	}
	kinds = map[string]int{}
	for _, e := range entries {
		fds++
		target, err := os.Readlink(filepath.Join(dir, e.Name()))
		if err != nil {
			continue // closed meanwhile
		}
		inode, ok := strings.CutPrefix(target, "socket:[")
		if !ok {
			continue
		}
		kinds[socketKind(tcp, strings.TrimSuffix(inode, "]"), ports)]++
	}
	return fds, kinds, nil
}

func socketKind(tcp map[string]tcpSocket, inode string, p ServerPorts) string {
	s, ok := tcp[inode]
	switch {
	case !ok:
		return SockOther
	case s.listen:
		return SockListen
	case s.remotePort == p.Redis:
		return SockRedis
	case s.remotePort == p.Nextcloud:
		return SockNextcloud
	case s.localPort == p.WS:
		return SockClients
	case s.localPort == p.Metrics:
		return SockMetrics
	}
	return SockOtherTCP
}
