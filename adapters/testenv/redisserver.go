package testenv

import (
	"bytes"
	"net"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
)

// RedisServer is a private redis-server on a loopback port. Pub/sub is global
// to a Redis instance, so end-to-end tests that publish events run their own.
type RedisServer struct {
	t    testing.TB
	Addr string
	args []string

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{}
	out    bytes.Buffer
}

// StartRedis runs redis-server until the test ends.
func StartRedis(t testing.TB) *RedisServer {
	t.Helper()
	s := NewRedis(t)
	s.Start()
	return s
}

// NewRedis prepares a redis-server on a port chosen now, without starting it:
// for tests of a server that comes up after its clients. Start runs it.
func NewRedis(t testing.TB) *RedisServer {
	t.Helper()
	return newRedis(t, func(port string) []string { return []string{"--port", port} })
}

// StartTLSRedis runs a redis-server that speaks TLS only, with leaf as its
// certificate and no client certificate required, until the test ends.
func StartTLSRedis(t testing.TB, leaf Leaf) *RedisServer {
	t.Helper()
	s := newRedis(t, func(port string) []string {
		return []string{"--port", "0", "--tls-port", port, "--tls-cert-file", leaf.CertFile,
			"--tls-key-file", leaf.KeyFile, "--tls-auth-clients", "no"}
	})
	s.Start()
	return s
}

func newRedis(t testing.TB, listen func(port string) []string) *RedisServer {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		Unavailable(t, "redis-server", "apt-get install redis-server", err)
	}
	port := strconv.Itoa(FreePort(t))
	args := append([]string{bin, "--bind", "127.0.0.1"}, listen(port)...)
	s := &RedisServer{t: t, Addr: net.JoinHostPort("127.0.0.1", port),
		args: append(args, "--save", "", "--appendonly", "no", "--dir", t.TempDir())}
	t.Cleanup(s.Kill)
	return s
}

// Start (re)starts the server on its port and waits until it accepts.
func (s *RedisServer) Start() {
	s.t.Helper()
	s.mu.Lock()
	s.out.Reset()
	cmd := exec.Command(s.args[0], s.args[1:]...)
	cmd.Stdout, cmd.Stderr = &s.out, &s.out
	if err := cmd.Start(); err != nil {
		s.mu.Unlock()
		s.t.Fatalf("start redis-server: %v", err)
	}
	exited := make(chan struct{})
	s.cmd, s.exited = cmd, exited
	s.mu.Unlock()
	go func() { _ = cmd.Wait(); close(exited) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", s.Addr, time.Second)
		if err == nil {
			_ = c.Close()
			return
		}
		select {
		case <-exited:
			s.t.Fatalf("redis-server exited at start")
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("redis-server not ready after 10 s: %v", err)
		}
	}
}

// Kill stops the server at once, as a crash would.
func (s *RedisServer) Kill() {
	s.mu.Lock()
	cmd, exited := s.cmd, s.exited
	s.cmd = nil
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	<-exited
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
