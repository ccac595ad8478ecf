package testenv

import (
	"net"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"testing"

	"github.com/notifypush/notify_push/internal/process"
)

// RedisServer is a private redis-server on a loopback port. Pub/sub is global
// to a Redis instance, so end-to-end tests that publish events run their own.
type RedisServer struct {
	t    testing.TB
	Addr string
	args []string

	mu   sync.Mutex
	proc *process.Redis
}

// StartRedis runs redis-server until the test ends.
func StartRedis(t testing.TB) *RedisServer {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		Unavailable(t, "redis-server", "apt-get install redis-server", err)
	}
	port := FreePort(t)
	s := &RedisServer{t: t, Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)),
		args: process.RedisArgs(bin, port, t.TempDir())}
	t.Cleanup(s.Kill)
	s.Start()
	return s
}

// Start (re)starts the server on its port and waits until it accepts.
func (s *RedisServer) Start() {
	s.t.Helper()
	proc, err := process.StartRedis(s.Addr, s.args, false)
	if err != nil {
		s.t.Fatal(err)
	}
	s.mu.Lock()
	s.proc = proc
	s.mu.Unlock()
}

// Freeze stops the server (SIGSTOP) without closing its connections, as a
// hung host would; Thaw lets it go on.
func (s *RedisServer) Freeze() { s.signal(syscall.SIGSTOP) }

// Thaw continues a frozen server (SIGCONT).
func (s *RedisServer) Thaw() { s.signal(syscall.SIGCONT) }

func (s *RedisServer) signal(sig syscall.Signal) {
	s.t.Helper()
	s.mu.Lock()
	proc := s.proc
	s.mu.Unlock()
	if proc == nil {
		s.t.Fatal("redis-server is not running")
	}
	if err := proc.Signal(sig); err != nil {
		s.t.Fatalf("signal redis-server: %v", err)
	}
}

// Kill stops the server at once, as a crash would.
func (s *RedisServer) Kill() {
	s.mu.Lock()
	proc := s.proc
	s.proc = nil
	s.mu.Unlock()
	if proc != nil {
		proc.Kill()
	}
}

// FreePort finds a loopback TCP port nobody listens on right now.
func FreePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("find a free port: %v", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
