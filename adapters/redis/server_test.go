package redis

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/notifypush/notify_push/internal/process"
	"github.com/notifypush/notify_push/internal/testenv"
)

const redisServerBin = "/usr/bin/redis-server"

// server is a private redis-server: pub/sub is global to a Redis instance,
// so event tests cannot share the machine's.
type server struct {
	t       testing.TB
	args    []string
	network string // "tcp" or "unix"
	addr    string // host:port or socket path
	tls     *tls.Config

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{}
	out    *process.Buffer
}

type serverConfig struct {
	unix  bool       // listen on a unix socket only
	tls   *serverTLS // listen with TLS only
	extra []string   // more redis-server arguments
}

// serverTLS is what a TLS-only server presents and whom it lets in.
type serverTLS struct {
	pki         *testenv.PKI // signs the server's certificate; trusted for client certificates
	names       []string     // the server certificate's names
	authClients string       // redis-server --tls-auth-clients: yes, no or optional
}

// startRedis runs redis-server with cfg until the test ends.
func startRedis(t testing.TB, cfg serverConfig) *server {
	t.Helper()
	if _, err := os.Stat(redisServerBin); err != nil {
		testenv.Unavailable(t, "redis-server", "apt-get install redis-server", err)
	}
	// Socket paths are limited to about 100 bytes: t.TempDir can be longer.
	dir, err := os.MkdirTemp("", "nprs")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	s := &server{t: t, network: "tcp"}
	args := []string{"--save", "", "--appendonly", "no", "--dir", dir, "--daemonize", "no", "--logfile", ""}
	switch {
	case cfg.unix:
		s.network, s.addr = "unix", filepath.Join(dir, "redis.sock")
		args = append(args, "--port", "0", "--unixsocket", s.addr, "--unixsocketperm", "700")
	case cfg.tls != nil:
		s.addr = "127.0.0.1:" + strconv.Itoa(freePort(t))
		_, port, _ := net.SplitHostPort(s.addr)
		leaf := cfg.tls.pki.Issue(cfg.tls.names...)
		args = append(args, "--bind", "127.0.0.1", "--port", "0", "--tls-port", port,
			"--tls-cert-file", leaf.CertFile, "--tls-key-file", leaf.KeyFile,
			"--tls-ca-cert-file", cfg.tls.pki.CAFile, "--tls-auth-clients", cfg.tls.authClients)
		s.tls = &tls.Config{InsecureSkipVerify: true}
	default:
		s.addr = "127.0.0.1:" + strconv.Itoa(freePort(t))
		_, port, _ := net.SplitHostPort(s.addr)
		args = append(args, "--bind", "127.0.0.1", "--port", port)
	}
	s.args = append(args, cfg.extra...)
	t.Cleanup(s.stop)
	s.start()
	return s
}

// start runs the server with the same arguments (and port) again and waits
// until it accepts connections.
func (s *server) start() {
	s.t.Helper()
	s.mu.Lock()
	s.out = &process.Buffer{}
	s.cmd = exec.Command(redisServerBin, s.args...)
	s.cmd.Stdout, s.cmd.Stderr = s.out, s.out
	if err := s.cmd.Start(); err != nil {
		s.mu.Unlock()
		s.t.Fatalf("start redis-server: %v", err)
	}
	exited := make(chan struct{})
	s.exited = exited
	cmd := s.cmd
	s.mu.Unlock()
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()

	deadline := time.Now().Add(5 * time.Second)
	for {
		if err := s.ready(); err == nil {
			return
		} else if time.Now().After(deadline) {
			s.t.Fatalf("redis-server not ready after 5 s (%v); its output:\n%s", err, s.out.String())
		}
		select {
		case <-exited:
			s.t.Fatalf("redis-server exited at start; its output:\n%s", s.out.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func (s *server) ready() error {
	c, err := net.DialTimeout(s.network, s.addr, time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	if s.tls != nil {
		tc := tls.Client(c, s.tls)
		_ = tc.SetDeadline(time.Now().Add(time.Second))
		return tc.Handshake()
	}
	return nil
}

// kill stops the server at once, as a crash would.
func (s *server) kill() {
	s.t.Helper()
	s.mu.Lock()
	cmd, exited := s.cmd, s.exited
	s.cmd = nil
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGCONT) // a paused server must die too
	_ = cmd.Process.Kill()
	select {
	case <-exited:
	case <-time.After(5 * time.Second):
		s.t.Errorf("redis-server %d did not exit within 5 s", cmd.Process.Pid)
	}
}

func (s *server) stop() { s.kill() }

// pause freezes the server: connections stay open but nothing answers.
func (s *server) pause() { s.signal(syscall.SIGSTOP) }

// resume undoes pause.
func (s *server) resume() { s.signal(syscall.SIGCONT) }

func (s *server) signal(sig syscall.Signal) {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		s.t.Fatal("redis-server is not running")
	}
	if err := s.cmd.Process.Signal(sig); err != nil {
		s.t.Fatalf("signal redis-server: %v", err)
	}
}

// url is the server's URL with optional credentials and database.
func (s *server) url(userinfo string, db int) string {
	if userinfo != "" {
		userinfo += "@"
	}
	switch {
	case s.network == "unix":
		return fmt.Sprintf("redis+unix://%s%s?db=%d", userinfo, s.addr, db)
	case s.tls != nil:
		return fmt.Sprintf("rediss://%s%s/%d", userinfo, s.addr, db)
	default:
		return fmt.Sprintf("redis://%s%s/%d", userinfo, s.addr, db)
	}
}

// freePort finds a loopback port nobody listens on.
func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// waitFor polls cond every 10 ms until it holds or d passes.
func waitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// bounded runs f with a deadline, for test set-up I/O.
func bounded(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}
