package config

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/notifypush/notify_push/adapters/gormdb"
	"github.com/notifypush/notify_push/adapters/redis"
	"github.com/notifypush/notify_push/app"
	"github.com/notifypush/notify_push/internal/testenv"
)

// These tests start from a config.php alone, as an admin would, and check
// that what it resolves to reaches the machine's real services.

// loadConfigPHP writes config.php into a fresh Nextcloud folder and loads
// it with nothing else: no flags, no environment, the real file system.
func loadConfigPHP(t *testing.T, src string) app.Config {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "config")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "config.php")
	if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	res, err := LoadWith([]string{path}, Options{})
	if err != nil {
		t.Fatalf("load %s:\n%v", src, err)
	}
	return res.Config
}

// phpString is s as a PHP single-quoted literal.
func phpString(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

// dbConfigPHP is a config.php for the database the test URL names, with
// dbhost given as host.
func dbConfigPHP(dbtype, host string, u *url.URL) string {
	pass, _ := u.User.Password()
	return fmt.Sprintf("<?php\n$CONFIG = array (\n  'dbtype' => %s,\n  'dbhost' => %s,\n  'dbname' => %s,\n  'dbuser' => %s,\n  'dbpassword' => %s,\n);\n",
		phpString(dbtype), phpString(host), phpString(strings.TrimPrefix(u.Path, "/")), phpString(u.User.Username()), phpString(pass))
}

// selectOne opens the resolved database with the database adapter and
// runs SELECT 1.
func selectOne(t *testing.T, cfg app.Config) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	db, closeDB, err := gormdb.Open(ctx, cfg.DatabaseURL, nil)
	if err != nil {
		t.Fatalf("open %s: %v", MaskURL(cfg.DatabaseURL), err)
	}
	defer closeDB()
	var one int
	if err := db.WithContext(ctx).Raw("SELECT 1").Scan(&one).Error; err != nil || one != 1 {
		t.Fatalf("SELECT 1 over %s: %d, %v", MaskURL(cfg.DatabaseURL), one, err)
	}
}

// needPath stops the test when a socket or folder of a service is missing.
func needPath(t *testing.T, service, start, path string) {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		testenv.Unavailable(t, service, start, err)
	}
}

func TestConfigPHPConnectsToPostgreSQL(t *testing.T) {
	u, err := url.Parse(testenv.PostgresURL(t))
	if err != nil {
		t.Fatal(err)
	}
	const socketDir = "/var/run/postgresql"
	port := u.Port()
	if port == "" {
		port = "5432"
	}
	for name, host := range map[string]string{
		"tcp":         u.Host,
		"socket dir":  socketDir,
		"socket file": "localhost:" + socketDir + "/.s.PGSQL." + port,
	} {
		t.Run(name, func(t *testing.T) {
			if strings.Contains(host, "/") {
				needPath(t, "PostgreSQL's socket", testenv.StartPostgres, socketDir+"/.s.PGSQL."+port)
			}
			cfg := loadConfigPHP(t, dbConfigPHP("pgsql", host, u))
			selectOne(t, cfg)
		})
	}
}

func TestConfigPHPConnectsToMariaDB(t *testing.T) {
	u, err := url.Parse(testenv.MySQLURL(t))
	if err != nil {
		t.Fatal(err)
	}
	for name, host := range map[string]string{
		"tcp":              u.Host,
		"localhost socket": "localhost",
		"explicit socket":  "localhost:/run/mysqld/mysqld.sock",
	} {
		t.Run(name, func(t *testing.T) {
			if !strings.Contains(host, ":") || strings.Contains(host, "/") {
				needPath(t, "MariaDB's socket", testenv.StartMariaDB, "/run/mysqld/mysqld.sock")
			}
			cfg := loadConfigPHP(t, dbConfigPHP("mysql", host, u))
			if host == "localhost" && !strings.Contains(cfg.DatabaseURL, "socket=") {
				t.Fatalf("localhost found no socket: %s", MaskURL(cfg.DatabaseURL))
			}
			selectOne(t, cfg)
		})
	}
}

func TestConfigPHPConnectsToSQLite(t *testing.T) {
	data := t.TempDir()
	cfg := loadConfigPHP(t, fmt.Sprintf("<?php\n$CONFIG = array (\n  'dbtype' => 'sqlite3',\n  'dbname' => 'nc,test',\n  'datadirectory' => %s,\n);\n", phpString(data)))
	selectOne(t, cfg)
	if _, err := os.Stat(filepath.Join(data, "nc,test.db")); err != nil {
		t.Errorf("the database is not {datadirectory}/{dbname}.db: %v", err)
	}
}

// ping connects to the resolved Redis with the Redis adapter.
func ping(t *testing.T, cfg app.Config) {
	t.Helper()
	client, closeClient, err := redis.NewClient(redis.Options{URLs: cfg.RedisURLs, Cluster: cfg.RedisCluster}, nil)
	if err != nil {
		t.Fatalf("client for %q: %v", cfg.RedisURLs, err)
	}
	defer closeClient()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := client.Ping(ctx).Err(); err != nil {
		t.Fatalf("PING %s: %v", MaskURL(cfg.RedisURLs[0]), err)
	}
}

// redisPassword has what a URL must escape.
const redisPassword = "p@ss w,rd/:%"

func TestConfigPHPConnectsToRedisOverTCP(t *testing.T) {
	srv := testenv.StartRedis(t)
	host, port, err := net.SplitHostPort(srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	requirePassword(t, "tcp", srv.Addr)
	cfg := loadConfigPHP(t, fmt.Sprintf("<?php\n$CONFIG = array (\n  'redis' => array (\n    'host' => %s,\n    'port' => %s,\n    'password' => %s,\n    'dbindex' => 1,\n  ),\n);\n",
		phpString(host), port, phpString(redisPassword)))
	ping(t, cfg)
}

func TestConfigPHPConnectsToRedisOverUnixSocket(t *testing.T) {
	socket := startSocketRedis(t)
	requirePassword(t, "unix", socket)
	cfg := loadConfigPHP(t, fmt.Sprintf("<?php\n$CONFIG = array (\n  'redis' => array (\n    'host' => %s,\n    'port' => 0,\n    'password' => %s,\n    'dbindex' => 2,\n  ),\n);\n",
		phpString(socket), phpString(redisPassword)))
	ping(t, cfg)
}

// startSocketRedis runs a redis-server listening on a unix socket only,
// in a short folder (socket paths are limited to about 100 bytes), until
// the test ends.
func startSocketRedis(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		testenv.Unavailable(t, "redis-server", "apt-get install redis-server", err)
	}
	dir, err := os.MkdirTemp("", "np")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	socket := filepath.Join(dir, "redis.sock")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	cmd := exec.CommandContext(ctx, bin, "--port", "0", "--unixsocket", socket, "--unixsocketperm", "700",
		"--save", "", "--appendonly", "no", "--dir", dir)
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("start redis-server: %v", err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() { cancel(); <-exited })
	for deadline := time.Now().Add(10 * time.Second); ; {
		if c, err := net.DialTimeout("unix", socket, time.Second); err == nil {
			_ = c.Close()
			return socket
		}
		select {
		case <-exited:
			t.Fatal("redis-server exited at start")
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("redis-server's socket not ready after 10 s")
		}
	}
}

// requirePassword makes the server at addr ask for redisPassword, so that
// a PING proves the password made it through the URL.
func requirePassword(t *testing.T, network, addr string) {
	t.Helper()
	c, err := net.DialTimeout(network, addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	// RESP: CONFIG SET requirepass <password>
	cmd := fmt.Sprintf("*4\r\n$6\r\nCONFIG\r\n$3\r\nSET\r\n$11\r\nrequirepass\r\n$%d\r\n%s\r\n", len(redisPassword), redisPassword)
	if _, err := c.Write([]byte(cmd)); err != nil {
		t.Fatal(err)
	}
	reply := make([]byte, 5)
	if _, err := c.Read(reply); err != nil || string(reply) != "+OK\r\n" {
		t.Fatalf("CONFIG SET requirepass: %q %v", reply, err)
	}
}
