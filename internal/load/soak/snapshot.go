package soak

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/notifypush/notify_push/internal/load/harness"
	"github.com/notifypush/notify_push/internal/load/report"
)

// Snapshot is the server at one moment.
type Snapshot struct {
	Label string  `json:"label"`
	At    float64 `json:"at_s"`
	// GC: taken right after a forced collection.
	GC      bool                 `json:"gc"`
	Conns   float64              `json:"conns"` // active_connection_count
	Memory  harness.Memory       `json:"memory"`
	Runtime harness.RuntimeStats `json:"runtime"`
	FDs     int                  `json:"fds"`
	// Sockets counts the server's sockets by what is at the other end.
	Sockets map[string]int `json:"sockets"`
}

func (s Snapshot) brief() string {
	return fmt.Sprintf("RSS %s, heap %s, %d goroutines, %d open files (%d sockets: %s)", report.MiB(s.Memory.RSS),
		report.MiB(s.Runtime.HeapObjectBytes), s.Runtime.Goroutines, s.FDs, s.socketCount(), socketsText(s.Sockets))
}

func socketsText(m map[string]int) string {
	var parts []string
	for _, k := range harness.SocketKinds {
		if m[k] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", m[k], k))
		}
	}
	return strings.Join(parts, ", ")
}

// pooled are the sockets of HTTP keep-alive pools: the credential check's
// connections to Nextcloud (closed after 90 s idle) and the soak's own
// metrics scrapes. They come and go with the load, and are no leak.
func (s Snapshot) pooled() int {
	return s.Sockets[harness.SockNextcloud] + s.Sockets[harness.SockMetrics]
}

// netGoroutines are the goroutines less those of the keep-alive pools: a
// client connection of net/http runs two (read and write loop), a server
// connection one.
func (s Snapshot) netGoroutines() int64 {
	return int64(s.Runtime.Goroutines) - 2*int64(s.Sockets[harness.SockNextcloud]) - int64(s.Sockets[harness.SockMetrics])
}

// socketCount is every socket.
func (s Snapshot) socketCount() int {
	n := 0
	for _, v := range s.Sockets {
		n += v
	}
	return n
}

func (r *runner) snapshot(ctx context.Context, label string, gc bool) (Snapshot, error) {
	s := Snapshot{Label: label, GC: gc}
	if err := r.srv.Alive(); err != nil {
		return s, err
	}
	if gc {
		if _, err := r.srv.GC(ctx); err != nil {
			return s, err
		}
		time.Sleep(300 * time.Millisecond) // the scavenger's returns show in RSS
	}
	s.At = r.Since(time.Now())
	var err error
	if s.Memory, err = harness.ReadMemory(r.srv.PID()); err != nil {
		return s, err
	}
	if s.Runtime, err = r.srv.Runtime(ctx); err != nil {
		return s, err
	}
	if s.FDs, s.Sockets, err = harness.ClassifySockets(r.srv.PID(), r.ports); err != nil {
		return s, err
	}
	m, err := r.srv.Scrape(ctx)
	if err != nil {
		return s, err
	}
	s.Conns = m["active_connection_count"]
	return s, nil
}
