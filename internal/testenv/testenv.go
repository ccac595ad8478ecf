// Package testenv finds the real services integration tests run against:
// PostgreSQL, MariaDB and Redis on loopback. A missing service fails the test
// when CI is set (so CI can never pass by skipping) and skips it elsewhere with
// the command that starts it.
package testenv

import (
	"net"
	"net/url"
	"os"
	"testing"
	"time"
)

// Start commands, printed when a service is missing.
const (
	StartPostgres = "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"
	StartMariaDB  = "start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd"
	StartRedisCmd = `redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no`
)

// InCI reports whether the tests run in CI, where nothing may be skipped.
func InCI() bool {
	v := os.Getenv("CI")
	return v != "" && v != "0" && v != "false"
}

// Unavailable stops the test because service cannot be reached: a failure in
// CI, a skip elsewhere.
func Unavailable(t testing.TB, service, start string, err error) {
	t.Helper()
	if InCI() {
		t.Fatalf("%s is required in CI but unreachable: %v (start it with: %s)", service, err, start)
	}
	t.Skipf("%s unreachable (%v); start it with: %s", service, err, start)
}

// RedisAddr is the host:port of the machine's Redis (TEST_REDIS_ADDR overrides).
func RedisAddr(t testing.TB) string {
	t.Helper()
	addr := getenv("TEST_REDIS_ADDR", "127.0.0.1:6379")
	reachable(t, "Redis", StartRedisCmd, addr)
	return addr
}

// PostgresURL is a URL of the machine's PostgreSQL test database
// (TEST_POSTGRES_URL overrides).
func PostgresURL(t testing.TB) string {
	t.Helper()
	u := getenv("TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test?sslmode=disable")
	reachable(t, "PostgreSQL", StartPostgres, hostOf(u, "5432"))
	return u
}

// MySQLURL is a URL of the machine's MariaDB test database (TEST_MYSQL_URL overrides).
func MySQLURL(t testing.TB) string {
	t.Helper()
	u := getenv("TEST_MYSQL_URL", "mysql://root@127.0.0.1:3306/test")
	reachable(t, "MariaDB", StartMariaDB, hostOf(u, "3306"))
	return u
}

func reachable(t testing.TB, service, start, addr string) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		Unavailable(t, service, start, err)
		return
	}
	_ = c.Close()
}

func hostOf(raw, defaultPort string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "127.0.0.1:" + defaultPort
	}
	if u.Port() == "" {
		return net.JoinHostPort(u.Hostname(), defaultPort)
	}
	return u.Host
}

func getenv(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
