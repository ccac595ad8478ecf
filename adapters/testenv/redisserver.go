package testenv

import (
	"bytes"
	"fmt"
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

	mu   sync.Mutex
	proc *RedisProcess
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
		args: RedisArgs(bin, port, t.TempDir())}
	t.Cleanup(s.Kill)
	s.Start()
	return s
}

// Start (re)starts the server on its port and waits until it accepts.
func (s *RedisServer) Start() {
	s.t.Helper()
	proc, err := LaunchRedis(s.Addr, s.args, false)
	if err != nil {
		s.t.Fatal(err)
	}
	s.mu.Lock()
	s.proc = proc
	s.mu.Unlock()
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

// RedisArgs is the command line of a private, non-persistent redis-server
// bin on 127.0.0.1:port working in dir.
func RedisArgs(bin string, port int, dir string) []string {
	return []string{bin, "--bind", "127.0.0.1", "--port", strconv.Itoa(port), "--save", "", "--appendonly", "no", "--dir", dir}
}

// RedisProcess is one running redis-server: the part of RedisServer that
// needs no test, so that tools (the load generator) can start one too.
type RedisProcess struct {
	Addr   string
	cmd    *exec.Cmd
	exited chan struct{}
	out    *LockedBuffer
}

// LaunchRedis runs the command line args (see RedisArgs) and waits up to
// 10 s until the server accepts on addr. With dieWithParent the kernel kills
// the server when the thread that started it ends, so that a tool killed
// before its cleanup leaves no server behind.
func LaunchRedis(addr string, args []string, dieWithParent bool) (*RedisProcess, error) {
	p := &RedisProcess{Addr: addr, exited: make(chan struct{}), out: &LockedBuffer{}}
	p.cmd = exec.Command(args[0], args[1:]...)
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if dieWithParent {
		p.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	}
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start redis-server: %w", err)
	}
	go func() { _ = p.cmd.Wait(); close(p.exited) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			_ = c.Close()
			return p, nil
		}
		select {
		case <-p.exited:
			return nil, fmt.Errorf("redis-server exited at start: %s", bytes.TrimSpace([]byte(p.Output())))
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			p.Kill()
			return nil, fmt.Errorf("redis-server not ready after 10 s: %w", err)
		}
	}
}

// Output is what the server printed so far.
func (p *RedisProcess) Output() string { return p.out.String() }

// Kill stops the server at once and waits until it is gone.
func (p *RedisProcess) Kill() {
	_ = p.cmd.Process.Signal(syscall.SIGKILL) // fails only when it has exited already
	<-p.exited
}

// LockedBuffer is a bytes.Buffer that may be written and read concurrently:
// the output of a child process or the log of a server under test.
type LockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *LockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *LockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
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
