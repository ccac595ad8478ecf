package gormdb

import (
	"database/sql"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/notifypush/notify_push/internal/testenv"
)

func TestSQLiteDSN(t *testing.T) {
	tests := []struct {
		url    string
		dsn    string
		memory bool
	}{
		{"sqlite:///abs/path.db", "file:/abs/path.db", false},
		{"sqlite://rel.db", "file:rel.db", false},
		{"sqlite://data/rel.db", "file:data/rel.db", false},
		{"sqlite:rel.db", "file:rel.db", false},
		{"SQLite:///abs/x.db", "file:/abs/x.db", false},
		{"sqlite::memory:", "file::memory:", true},
		{"sqlite://:memory:", "file::memory:", true},
		{"sqlite:///var/lib/nc/owncloud.db?mode=ro", "file:/var/lib/nc/owncloud.db?mode=ro", false},
		{"sqlite:///tmp/a%20b%3Fc%23d.db", "file:/tmp/a b%3fc%23d.db", false},
		{"sqlite:///tmp/100%25.db", "file:/tmp/100%25.db", false},
		{"sqlite://demo?mode=memory&cache=shared", "file:demo?mode=memory&cache=shared", true},
	}
	for _, tt := range tests {
		dsn, memory, _, err := sqliteDSN(tt.url)
		if err != nil || dsn != tt.dsn || memory != tt.memory {
			t.Errorf("sqliteDSN(%q) = %q, %v, %v; want %q, %v", tt.url, dsn, memory, err, tt.dsn, tt.memory)
		}
	}
	for _, bad := range []string{"sqlite://", "sqlite:", "sqlite:///x.db?a=%zz", "sqlite:///x%zz.db"} {
		if _, _, _, err := sqliteDSN(bad); err == nil {
			t.Errorf("sqliteDSN(%q) accepted", bad)
		}
	}
}

func TestPostgresConnString(t *testing.T) {
	tests := []struct{ url, conn string }{
		{"postgres://nc:secret@db.example:5433/nextcloud", "postgres://nc:secret@db.example:5433/nextcloud?connect_timeout=10"},
		{"postgresql://nc@localhost/nc?sslmode=disable", "postgres://nc@localhost/nc?connect_timeout=10&sslmode=disable"},
		{"postgres://postgres@/test?host=/run/postgresql", "postgres://postgres@/test?connect_timeout=10&host=%2Frun%2Fpostgresql"},
		{"postgres://nc:pw@%2Fvar%2Frun%2Fpostgresql/nc", "postgres://nc:pw@/nc?connect_timeout=10&host=%2Fvar%2Frun%2Fpostgresql"},
		{"postgres://nc@h/nc?ssl-mode=verify-full&ssl-ca=/ca.pem&statement-cache-capacity=100",
			"postgres://nc@h/nc?connect_timeout=10&sslmode=verify-full&sslrootcert=%2Fca.pem"},
		{"postgres://nc@h/nc?connect_timeout=3&sslmode=require&ssl-mode=disable", "postgres://nc@h/nc?connect_timeout=3&sslmode=require"},
		{"postgres://p%40ss%3Aword@h/nc", "postgres://p%40ss%3Aword@h/nc?connect_timeout=10"},
	}
	for _, tt := range tests {
		conn, _, err := postgresConnString(tt.url)
		if err != nil || conn != tt.conn {
			t.Errorf("postgresConnString(%q) = %q, %v; want %q", tt.url, conn, err, tt.conn)
		}
	}
}

// TestPostgresURLsAsPgxReadsThem checks what pgx makes of converted URLs.
func TestPostgresURLsAsPgxReadsThem(t *testing.T) {
	tests := []struct {
		url                      string
		host                     string
		port                     uint16
		user, password, database string
		connectTimeout           time.Duration
	}{
		{"postgres://nc:s%2Fcret@db.example:5433/nextcloud?sslmode=disable", "db.example", 5433, "nc", "s/cret", "nextcloud", 10 * time.Second},
		{"postgresql://nc@127.0.0.1/nc?sslmode=disable&connect_timeout=2", "127.0.0.1", 5432, "nc", "", "nc", 2 * time.Second},
		{"postgres://postgres@/test?host=/var/run/postgresql", "/var/run/postgresql", 5432, "postgres", "", "test", 10 * time.Second},
		{"postgres://postgres@%2Fvar%2Frun%2Fpostgresql/test", "/var/run/postgresql", 5432, "postgres", "", "test", 10 * time.Second},
	}
	for _, tt := range tests {
		conn, _, err := postgresConnString(tt.url)
		if err != nil {
			t.Fatalf("%s: %v", tt.url, err)
		}
		cfg, err := pgx.ParseConfig(conn)
		if err != nil {
			t.Fatalf("%s: %v", tt.url, err)
		}
		if cfg.Host != tt.host || cfg.Port != tt.port || cfg.User != tt.user || cfg.Password != tt.password ||
			cfg.Database != tt.database || cfg.ConnectTimeout != tt.connectTimeout {
			t.Errorf("%s: host %q port %d user %q password %q database %q timeout %v", tt.url,
				cfg.Host, cfg.Port, cfg.User, cfg.Password, cfg.Database, cfg.ConnectTimeout)
		}
	}
}

// TestMySQLConfig: without a TLS parameter, sqlx's default ssl-mode
// preferred applies (allowFallbackToPlaintext, with TLS tried first).
func TestMySQLConfig(t *testing.T) {
	tests := []struct{ url, dsn string }{
		{"mysql://nc:p%40ss%3Aw%2Frd@db.example:3307/nextcloud", "nc:p@ss:w/rd@tcp(db.example:3307)/nextcloud?allowFallbackToPlaintext=true&interpolateParams=true&timeout=10s"},
		{"mysql://root@127.0.0.1/test", "root@tcp(127.0.0.1:3306)/test?allowFallbackToPlaintext=true&interpolateParams=true&timeout=10s"},
		{"mysql://nc:pw@localhost/nc?socket=/run/mysqld/mysqld.sock", "nc:pw@unix(/run/mysqld/mysqld.sock)/nc?allowFallbackToPlaintext=true&interpolateParams=true&timeout=10s"},
		{"mysql://nc@[::1]:3307/nc", "nc@tcp([::1]:3307)/nc?allowFallbackToPlaintext=true&interpolateParams=true&timeout=10s"},
		{"mysql://nc@db/nc?tls=skip-verify&charset=utf8mb4", "nc@tcp(db:3306)/nc?timeout=10s&tls=skip-verify&charset=utf8mb4"},
		{"mysql://nc@db/nc?tls=true&timeout=3s", "nc@tcp(db:3306)/nc?interpolateParams=true&timeout=3s&tls=true"},
		{"mysql://nc@db", "nc@tcp(db:3306)/?allowFallbackToPlaintext=true&interpolateParams=true&timeout=10s"},
		{"mysql://nc@/nc", "nc@tcp(localhost:3306)/nc?allowFallbackToPlaintext=true&interpolateParams=true&timeout=10s"},
		{"mysql://n%C3%BC:pw@db/n%C3%BC", "nü:pw@tcp(db:3306)/n%C3%BC?allowFallbackToPlaintext=true&interpolateParams=true&timeout=10s"},
		{"mysql://nc@db/nc?interpolateParams=false", "nc@tcp(db:3306)/nc?allowFallbackToPlaintext=true&timeout=10s"},
		{"mysql://nc@db/nc?ssl-mode=disabled&statement-cache-capacity=5", "nc@tcp(db:3306)/nc?interpolateParams=true&timeout=10s&tls=false"},
	}
	for _, tt := range tests {
		cfg, _, err := mysqlConfig(tt.url)
		if err != nil {
			t.Errorf("mysqlConfig(%q): %v", tt.url, err)
			continue
		}
		if dsn := cfg.FormatDSN(); dsn != tt.dsn {
			t.Errorf("mysqlConfig(%q) = %q, want %q", tt.url, dsn, tt.dsn)
		}
	}
	cfg, _, err := mysqlConfig("mysql://nc:p%40ss@db/n%C3%BC")
	if err != nil || cfg.User != "nc" || cfg.Passwd != "p@ss" || cfg.DBName != "nü" {
		t.Errorf("decoded fields: %+v, %v", cfg, err)
	}
}

func TestMySQLSQLxTLSParameters(t *testing.T) {
	ca := testenv.NewPKI(t, "test CA").CAFile
	// Issue 18 item 4: no ssl-mode is sqlx's preferred, not plain text.
	cfg, _, err := mysqlConfig("mysql://nc@db.example/nc")
	if err != nil || cfg.TLS == nil || !cfg.TLS.InsecureSkipVerify || !cfg.AllowFallbackToPlaintext {
		t.Errorf("no ssl-mode: %+v, %v", cfg.TLS, err)
	}
	cfg, _, err = mysqlConfig("mysql://nc@db.example/nc?ssl-mode=preferred")
	if err != nil || cfg.TLS == nil || !cfg.TLS.InsecureSkipVerify || !cfg.AllowFallbackToPlaintext {
		t.Errorf("preferred: %+v, %v", cfg.TLS, err)
	}
	cfg, _, err = mysqlConfig("mysql://nc@db.example/nc?ssl-mode=REQUIRED")
	if err != nil || cfg.TLS == nil || !cfg.TLS.InsecureSkipVerify || cfg.AllowFallbackToPlaintext {
		t.Errorf("required: %+v, %v", cfg.TLS, err)
	}
	cfg, _, err = mysqlConfig("mysql://nc@db.example/nc?ssl-mode=verify_ca&ssl-ca=" + url.QueryEscape(ca))
	if err != nil || cfg.TLS == nil || cfg.TLS.VerifyConnection == nil || cfg.TLS.RootCAs == nil {
		t.Errorf("verify_ca: %+v, %v", cfg.TLS, err)
	}
	cfg, _, err = mysqlConfig("mysql://nc@db.example/nc?ssl-mode=verify-identity&ssl-ca=" + url.QueryEscape(ca))
	if err != nil || cfg.TLS == nil || cfg.TLS.InsecureSkipVerify || cfg.TLS.ServerName != "db.example" || cfg.TLS.RootCAs == nil {
		t.Errorf("verify_identity: %+v, %v", cfg.TLS, err)
	}
	for _, bad := range []string{
		"mysql://nc@db/nc?ssl-mode=verify_ca",
		"mysql://nc@db/nc?ssl-mode=sometimes",
		"mysql://nc@db/nc?ssl-mode=required&tls=true",
		"mysql://nc@db/nc?ssl-ca=/nonexistent/ca.pem",
		"mysql://nc@db/nc?ssl-cert=/a.pem",
		"mysql://nc@db/nc?tls=no-such-config",
	} {
		if _, _, err := mysqlConfig(bad); err == nil {
			t.Errorf("mysqlConfig(%q) accepted", bad)
		}
	}
}

func TestUnsupportedSchemesNameTheAcceptedOnes(t *testing.T) {
	for _, raw := range []string{"oci://u:pw@db/nc", "redis://localhost", "http://x", "", "not a url", "/var/lib/nc.db", "mariadb://u@h/db"} {
		_, _, err := Open(testContext(t), raw, nil)
		if err == nil || !strings.Contains(err.Error(), "postgres://, postgresql://, mysql:// or sqlite://") {
			t.Errorf("Open(%q) error = %v", raw, err)
		}
		if err != nil && strings.Contains(err.Error(), "pw") {
			t.Errorf("Open(%q) error shows the password: %v", raw, err)
		}
	}
}

// TestErrorsNeverShowThePassword tries every way a URL can fail, before and
// after connecting, and looks for the password (or a piece of it) in the error.
func TestErrorsNeverShowThePassword(t *testing.T) {
	const pw = "s3cr3tpw"
	urls := []string{
		"mysql://u:" + pw + "@host:notaport/db",
		"postgres://u:" + pw + "@host:notaport/db",
		"mysql://u:s3cr/3tpw@host/db",
		"postgres://u:s3cr/3tpw@host/db",
		"postgres://u:s3cr#3tpw@host/db",
		"postgres://u:" + pw + "@127.0.0.1:1/db?connect_timeout=2",
		"postgres://u@127.0.0.1:1/db?password=" + pw + "&connect_timeout=2",
		"postgres://u:" + pw + "@127.0.0.1/db?connect_timeout=abc",
		"postgres://u@127.0.0.1/db?password=" + pw + "&connect_timeout=abc",
		"postgres://u:" + pw + "@%zz/db",
		"mysql://u:" + pw + "@127.0.0.1:1/db?timeout=2s",
		"mysql://u:" + pw + "@127.0.0.1/db?tls=bogus",
		"mysql://u:" + pw + "@127.0.0.1/db?ssl-mode=bogus",
	}
	for _, raw := range urls {
		_, _, err := Open(testContext(t), raw, nil)
		if err == nil {
			t.Errorf("Open(%q) succeeded", raw)
			continue
		}
		if strings.Contains(err.Error(), "s3cr") {
			t.Errorf("Open(%q) error shows the password: %v", raw, err)
		}
		t.Logf("%s: %v", RedactURL(raw), err)
	}
}

func TestWrongPasswordErrorsHideIt(t *testing.T) {
	t.Run("mariadb", func(t *testing.T) {
		u, err := url.Parse(testenv.MySQLURL(t))
		if err != nil {
			t.Fatal(err)
		}
		u.User = url.UserPassword(u.User.Username(), "wr0ng-s3cr3t")
		_, _, err = Open(testContext(t), u.String(), nil)
		if err == nil {
			t.Fatal("MariaDB accepted a wrong password, so redaction cannot be checked: give the test user a password")
		}
		if strings.Contains(err.Error(), "wr0ng") || !strings.Contains(err.Error(), "xxxxx") {
			t.Fatalf("error = %v", err)
		}
		t.Log(err)
	})
}

func TestRedactURL(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://nc:secret@db/nc":                          "postgres://nc:xxxxx@db/nc",
		"postgres://nc@db/nc?password=secret&sslmode=x":       "postgres://nc@db/nc?password=xxxxx&sslmode=x",
		"postgres://nc:secret@%2Frun%2Fpostgresql/nc":         "postgres://nc:xxxxx@/nc",
		"mysql://nc:p%40ss@db:3307/nc?socket=/s":              "mysql://nc:xxxxx@db:3307/nc?socket=/s",
		"mysql://nc@db/nc":                                    "mysql://nc@db/nc",
		"sqlite:///var/lib/nc.db":                             "sqlite:///var/lib/nc.db",
		"sqlite:///x.db?_auth&_auth_user=a&_auth_pass=secret": "sqlite:///x.db?_auth=&_auth_pass=xxxxx&_auth_user=a",
		"mysql://u:pa/ss@h/db":                                "mysql://(unparsable URL)",
		"garbage":                                             "garbage",
	} {
		if got := RedactURL(in); got != want {
			t.Errorf("RedactURL(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestOpenPostgresThroughUnixSocket(t *testing.T) {
	base, err := url.Parse(testenv.PostgresURL(t))
	if err != nil {
		t.Fatal(err)
	}
	dir := envOr("TEST_POSTGRES_SOCKET_DIR", "/var/run/postgresql")
	if _, err := os.Stat(filepath.Join(dir, ".s.PGSQL.5432")); err != nil {
		testenv.Unavailable(t, "PostgreSQL unix socket", testenv.StartPostgres, err)
	}
	user, dbname := base.User.Username(), strings.TrimPrefix(base.Path, "/")
	for _, raw := range []string{
		"postgres://" + user + "@/" + dbname + "?host=" + dir,
		"postgresql://" + user + "@" + strings.ReplaceAll(dir, "/", "%2F") + "/" + dbname,
	} {
		t.Run(raw, func(t *testing.T) {
			db := openURL(t, raw)
			var client sql.NullString
			if err := db.Raw("SELECT inet_client_addr()::text").Row().Scan(&client); err != nil {
				t.Fatal(err)
			}
			if client.Valid {
				t.Fatalf("connected over TCP from %s, want the unix socket", client.String)
			}
		})
	}
}

func TestOpenMariaDBThroughUnixSocket(t *testing.T) {
	base, err := url.Parse(testenv.MySQLURL(t))
	if err != nil {
		t.Fatal(err)
	}
	socket := envOr("TEST_MYSQL_SOCKET", "/run/mysqld/mysqld.sock")
	if _, err := os.Stat(socket); err != nil {
		testenv.Unavailable(t, "MariaDB unix socket", testenv.StartMariaDB, err)
	}
	hostOf := func(raw string) string {
		db := openURL(t, raw)
		var host string
		if err := db.Raw("SELECT HOST FROM information_schema.PROCESSLIST WHERE ID = CONNECTION_ID()").Row().Scan(&host); err != nil {
			t.Fatal(err)
		}
		return host
	}
	viaSocket := hostOf("mysql://" + base.User.String() + "@localhost" + base.Path + "?socket=" + url.QueryEscape(socket))
	if viaSocket != "localhost" {
		t.Fatalf("client host %q, want localhost (the socket)", viaSocket)
	}
	if viaTCP := hostOf(base.String()); !strings.Contains(viaTCP, ":") {
		t.Fatalf("TCP client host %q has no port: the check cannot tell TCP from the socket", viaTCP)
	}
}

func TestOpenSQLiteRelativeAndMemory(t *testing.T) {
	t.Chdir(t.TempDir())
	db := openURL(t, "sqlite://rel.db")
	if err := CreateNextcloudSchema(testContext(t), db, "oc_"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat("rel.db"); err != nil {
		t.Fatalf("relative database not in the working directory: %v", err)
	}

	mem := openURL(t, "sqlite::memory:")
	if err := CreateNextcloudSchema(testContext(t), mem, "oc_"); err != nil {
		t.Fatal(err)
	}
	// Every statement must see the same in-memory database.
	for range 3 {
		var n int64
		if err := mem.Raw("SELECT COUNT(*) FROM oc_mounts").Scan(&n).Error; err != nil {
			t.Fatal(err)
		}
	}
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
