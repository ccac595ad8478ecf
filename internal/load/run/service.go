package run

import (
	"fmt"

	"github.com/notifypush/notify_push/internal/load/harness"
)

// service is the servers a phase addresses and how the users spread over
// them, as a proxy would spread the clients: user u is served by
// servers[u mod stride] when that server exists, by none otherwise. N
// instances are a service of N servers with stride N; one instance alone
// holding one instance's share, or the reference server holding the same
// clients, is one server with the same stride.
type service struct {
	servers []*harness.Server
	stride  int
}

func newService(stride int, servers ...*harness.Server) service {
	return service{servers: servers, stride: stride}
}

// owner is the index of the server that serves user u, or -1.
func (s service) owner(u int) int {
	if i := u % s.stride; i < len(s.servers) {
		return i
	}
	return -1
}

// share is where the users of [first, first+count) that server i serves
// start, and how many there are: every stride-th from start.
func (s service) share(i, first, count int) (start, n int) {
	start = first + ((i-first%s.stride)%s.stride+s.stride)%s.stride
	if end := first + count; start < end {
		n = (end-1-start)/s.stride + 1
	}
	return start, n
}

// stop ends every server.
func (s service) stop() {
	for _, srv := range s.servers {
		srv.Stop()
	}
}

// alive fails once a server has exited.
func (s service) alive() error {
	for _, srv := range s.servers {
		if err := srv.Alive(); err != nil {
			return err
		}
	}
	return nil
}

// instanceName names instance i of n: "notify_push" when it is the only one.
func instanceName(i, n int) string {
	if n == 1 {
		return "notify_push"
	}
	return fmt.Sprintf("notify_push-%d", i+1)
}

// workerSlots assigns nWorkers workers to n servers, the same number each:
// slot i holds the connections of server i, so that a worker's counts and
// latencies are one server's.
func workerSlots(n, perSlot int) [][]int {
	slots := make([][]int, n)
	for i := range slots {
		for k := range perSlot {
			slots[i] = append(slots[i], i*perSlot+k)
		}
	}
	return slots
}
