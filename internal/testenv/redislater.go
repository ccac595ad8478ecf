package testenv

import (
	"net"
	"os/exec"
	"strconv"
	"testing"

	"github.com/notifypush/notify_push/internal/process"
)

// NewRedis prepares a redis-server on a port chosen now, without starting it:
// for tests of a server that comes up after its clients. Start runs it.
func NewRedis(t testing.TB) *RedisServer {
	t.Helper()
	bin := redisBinary(t)
	port := FreePort(t)
	s := &RedisServer{t: t, Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)),
		args: process.RedisArgs(bin, port, t.TempDir())}
	t.Cleanup(s.Kill)
	return s
}

// StartTLSRedis runs a redis-server that speaks TLS only, with leaf as its
// certificate and no client certificate required, until the test ends.
func StartTLSRedis(t testing.TB, leaf Leaf) *RedisServer {
	t.Helper()
	bin := redisBinary(t)
	port := strconv.Itoa(FreePort(t))
	s := &RedisServer{t: t, Addr: net.JoinHostPort("127.0.0.1", port),
		args: []string{bin, "--bind", "127.0.0.1", "--port", "0", "--tls-port", port,
			"--tls-cert-file", leaf.CertFile, "--tls-key-file", leaf.KeyFile, "--tls-auth-clients", "no",
			"--save", "", "--appendonly", "no", "--dir", t.TempDir()}}
	t.Cleanup(s.Kill)
	s.Start()
	return s
}

func redisBinary(t testing.TB) string {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		Unavailable(t, "redis-server", "apt-get install redis-server", err)
	}
	return bin
}
