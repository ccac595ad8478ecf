package harness

import (
	"net"
	"os"
	"testing"
)

func TestParseProcNetTCP(t *testing.T) {
	text := `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 111 1 0000000000000000 100 0 0 10 0
   1: 0100007F:1F90 0200007F:C350 01 00000000:00000000 00:00000000 00000000     0        0 222 1 0000000000000000 20 4 30 10 -1
   2: 0100007F:C351 0100007F:18EB 01 00000000:00000000 00:00000000 00000000     0        0 333 1 0000000000000000 20 4 30 10 -1
   3: 0100007F:C352 0100007F:0050 08 00000000:00000000 00:00000000 00000000     0        0 444 1 0000000000000000 20 4 30 10 -1
   4: 0100007F:1F91 0100007F:C353 01 00000000:00000000 00:00000000 00000000     0        0 555 1 0000000000000000 20 4 30 10 -1
`
	m := map[string]tcpSocket{}
	parseProcNetTCP(text, m)
	ports := ServerPorts{WS: 0x1F90, Metrics: 0x1F91, Redis: 0x18EB, Nextcloud: 0x50}
	for inode, want := range map[string]string{"111": SockListen, "222": SockClients, "333": SockRedis, "444": SockNextcloud,
		"555": SockMetrics, "999": SockOther} {
		if got := socketKind(m, inode, ports); got != want {
			t.Errorf("inode %s: %s, want %s", inode, got, want)
		}
	}
}

// This process's own sockets are classified like the server's.
func TestClassifySocketsOfThisProcess(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err == nil {
			accepted <- c
		}
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	s := <-accepted
	defer s.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	fds, kinds, err := ClassifySockets(os.Getpid(), ServerPorts{WS: port, Redis: port})
	if err != nil {
		t.Fatal(err)
	}
	// The dialled end's peer is the port (Redis, by the rule's order), the
	// accepted end's local port is it (clients).
	if kinds[SockListen] < 1 || kinds[SockRedis] != 1 || kinds[SockClients] != 1 || fds < 3 {
		t.Fatalf("%d files, %v", fds, kinds)
	}
}
