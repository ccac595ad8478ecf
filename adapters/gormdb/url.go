package gormdb

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
)

// acceptedSchemes is quoted in the error for any other scheme.
const acceptedSchemes = "postgres://, postgresql://, mysql:// or sqlite://"

// connectTimeout bounds each connection attempt unless the URL sets its own.
const connectTimeout = 10 * time.Second

// mask replaces secrets wherever they would be shown.
const mask = "xxxxx"

// secrets are the parts of a URL that must never reach a log or an error.
type secrets []string

// add records v in its raw and percent-encoded forms, the ways an error may quote it.
func (s secrets) add(v string) secrets {
	if v == "" {
		return s
	}
	return append(s, v, url.QueryEscape(v), url.PathEscape(v))
}

// scrub returns err, or a copy of its text with every secret masked when the
// text holds one. The copy drops the error chain, since the chain holds the secret.
func (s secrets) scrub(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	masked := msg
	for _, v := range s {
		masked = strings.ReplaceAll(masked, v, mask)
	}
	if masked == msg {
		return err
	}
	return errors.New(masked)
}

// splitScheme returns the lower-cased scheme of raw, or "" when raw has none.
func splitScheme(raw string) string {
	i := strings.IndexByte(raw, ':')
	if i <= 0 {
		return ""
	}
	for _, c := range []byte(raw[:i]) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.') {
			return ""
		}
	}
	return strings.ToLower(raw[:i])
}

func unsupportedScheme(scheme string) error {
	if scheme == "" {
		return fmt.Errorf("database URL has no scheme: use %s", acceptedSchemes)
	}
	return fmt.Errorf("unsupported database URL scheme %q: use %s", scheme, acceptedSchemes)
}

// invalidURL never quotes url.Parse's reason: with an unencoded "/" or "#" in
// a password, the reason holds part of the password.
func invalidURL(kind string) error {
	return fmt.Errorf("invalid %s URL (percent-encode special characters in the user name and password)", kind)
}

// RedactURL returns a database URL with its password masked, for logs and
// configuration dumps. A URL that does not parse is reduced to its scheme.
func RedactURL(raw string) string {
	scheme := splitScheme(raw)
	if scheme == "sqlite" {
		// go-sqlite3's user authentication takes its password as _auth_pass.
		base, query, _ := strings.Cut(raw, "?")
		if q, err := url.ParseQuery(query); err == nil && q.Has("_auth_pass") {
			q.Set("_auth_pass", mask)
			return base + "?" + q.Encode()
		}
		return raw
	}
	if scheme == "postgres" || scheme == "postgresql" {
		if lifted, _, err := liftSocketHost(raw); err == nil {
			raw = lifted
		}
	}
	u, err := url.Parse(raw)
	if err != nil {
		if scheme == "" {
			return "(unparsable URL)"
		}
		return scheme + "://(unparsable URL)"
	}
	return maskedURL(*u)
}

func maskedURL(u url.URL) string {
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), mask)
	}
	if q := u.Query(); q.Has("password") {
		q.Set("password", mask)
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// sqliteURIEscaper escapes what would end or alter the path of a file: URI.
var sqliteURIEscaper = strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23")

// sqliteDSN turns sqlite:///abs/path.db, sqlite://rel.db, sqlite:rel.db or
// sqlite::memory: into a go-sqlite3 file: URI. Query parameters (mode=ro,
// _busy_timeout=...) are kept. memory reports an in-memory database, which
// lives only as long as its one connection.
func sqliteDSN(raw string) (dsn string, memory bool, sec secrets, err error) {
	rest := strings.TrimPrefix(raw[len("sqlite:"):], "//")
	path, query, _ := strings.Cut(rest, "?")
	path, err = url.PathUnescape(path)
	if err != nil {
		return "", false, nil, fmt.Errorf("SQLite path: %w", err)
	}
	if path == "" {
		return "", false, nil, errors.New("SQLite URL names no file: use sqlite:///absolute/path.db, sqlite://relative.db or sqlite::memory:")
	}
	params, err := url.ParseQuery(query)
	if err != nil {
		return "", false, nil, errors.New("SQLite URL parameters do not parse")
	}
	memory = path == ":memory:" || params.Get("mode") == "memory"
	dsn = "file:" + sqliteURIEscaper.Replace(path)
	if query != "" {
		dsn += "?" + query
	}
	return dsn, memory, secrets(nil).add(params.Get("_auth_pass")), nil
}

// liftSocketHost rewrites the sqlx form postgres://%2Frun%2Fpostgresql/db,
// whose host is a percent-encoded socket directory that url.Parse refuses,
// to postgres:///db and returns the directory.
func liftSocketHost(raw string) (rewritten, socketDir string, err error) {
	i := strings.Index(raw, "://")
	if i < 0 {
		return raw, "", nil
	}
	start := i + len("://")
	end := len(raw)
	if j := strings.IndexAny(raw[start:], "/?#"); j >= 0 {
		end = start + j
	}
	authority := raw[start:end]
	at := strings.LastIndexByte(authority, '@')
	host := authority[at+1:]
	if !strings.HasPrefix(strings.ToLower(host), "%2f") {
		return raw, "", nil
	}
	dir, err := url.PathUnescape(host)
	if err != nil {
		return "", "", errors.New("invalid PostgreSQL socket directory in URL host")
	}
	return raw[:start] + authority[:at+1] + raw[end:], dir, nil
}

// postgresConnString turns a postgres:// or postgresql:// URL into the
// connection string pgx parses. The socket form
// postgres://user@/db?host=/run/postgresql is pgx's own; sqlx's spellings of
// parameters (ssl-mode, ssl-root-cert, ...) are renamed to libpq's, sqlx-only
// ones are dropped (pgx would send them to the server as settings), and a
// connect timeout is added when none is set.
func postgresConnString(raw string) (string, secrets, error) {
	raw, socketDir, err := liftSocketHost(raw)
	if err != nil {
		return "", nil, err
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", nil, invalidURL("PostgreSQL")
	}
	q := u.Query()
	var sec secrets
	if p, ok := u.User.Password(); ok {
		sec = sec.add(p)
	}
	sec = sec.add(q.Get("password"))

	for _, a := range []struct{ alias, name string }{
		{"ssl-mode", "sslmode"},
		{"ssl-root-cert", "sslrootcert"},
		{"ssl-ca", "sslrootcert"},
		{"ssl-cert", "sslcert"},
		{"ssl-key", "sslkey"},
	} {
		if v, ok := q[a.alias]; ok {
			q.Del(a.alias)
			if !q.Has(a.name) {
				q[a.name] = v
			}
		}
	}
	q.Del("statement-cache-capacity")
	if socketDir != "" && !q.Has("host") {
		q.Set("host", socketDir)
	}
	if !q.Has("connect_timeout") {
		q.Set("connect_timeout", strconv.Itoa(int(connectTimeout/time.Second)))
	}
	u.Scheme = "postgres"
	u.RawQuery = q.Encode()
	return u.String(), sec, nil
}

// mysqlConfig turns mysql://user:pass@host:port/db?params into a
// go-sql-driver configuration: port 3306 by default, user and password
// percent-decoded, socket=/path for a unix socket, go-sql-driver's own
// parameters (tls, charset, timeout, ...) kept, and sqlx's TLS parameters
// (ssl-mode, ssl-ca, ssl-cert, ssl-key) translated, sqlx's default
// ssl-mode=preferred included.
func mysqlConfig(raw string) (*mysql.Config, secrets, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, nil, invalidURL("MySQL")
	}
	pass, _ := u.User.Password()
	sec := secrets(nil).add(pass)

	q := u.Query()
	host := u.Hostname()
	if host == "" {
		host = "localhost"
	}
	port := u.Port()
	if port == "" {
		port = "3306"
	}
	network, addr := "tcp", net.JoinHostPort(host, port)
	if socket := q.Get("socket"); socket != "" {
		network, addr = "unix", socket
	}
	sslMode, sslCA, sslCert, sslKey := q.Get("ssl-mode"), q.Get("ssl-ca"), q.Get("ssl-cert"), q.Get("ssl-key")
	for _, k := range []string{"socket", "ssl-mode", "ssl-ca", "ssl-cert", "ssl-key", "statement-cache-capacity"} {
		q.Del(k)
	}
	sqlxTLS := sslMode != "" || sslCA != "" || sslCert != "" || sslKey != ""
	if sqlxTLS && q.Has("tls") {
		return nil, sec, errors.New("MySQL URL sets both tls and ssl-* parameters: use one")
	}

	// The DSN is parsed without credentials, so its errors cannot quote them.
	dsn := network + "(" + addr + ")/" + url.PathEscape(strings.TrimPrefix(u.Path, "/"))
	if len(q) > 0 {
		dsn += "?" + q.Encode()
	}
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return nil, sec, fmt.Errorf("MySQL URL: %w", err)
	}
	cfg.User = u.User.Username()
	cfg.Passwd = pass
	// Without ssl-mode sqlx prefers TLS, so upstream's DATABASE_URL reaches
	// a server that requires it (require_secure_transport=ON); go-sql-driver
	// alone would speak plain text. Its own tls parameter still wins.
	if sqlxTLS || !q.Has("tls") {
		if err := applySQLxTLS(cfg, sslMode, sslCA, sslCert, sslKey, host); err != nil {
			return nil, sec, err
		}
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = connectTimeout
	}
	// The mapping query's one integer parameter is safe to inline, which saves
	// the prepare and close round trips; a chosen charset or collation might not be.
	if !q.Has("interpolateParams") && !q.Has("charset") && !q.Has("collation") {
		cfg.InterpolateParams = true
	}
	return cfg, sec, nil
}

// applySQLxTLS sets cfg's TLS the way sqlx reads ssl-mode: disabled,
// preferred (the default), required (encrypted, unverified), verify_ca (the
// chain is checked against ssl-ca, not the host name) and verify_identity.
func applySQLxTLS(cfg *mysql.Config, mode, caFile, certFile, keyFile, host string) error {
	mode = strings.ReplaceAll(strings.ToLower(mode), "-", "_")
	if mode == "" {
		mode = "preferred"
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return fmt.Errorf("MySQL ssl-ca: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return fmt.Errorf("MySQL ssl-ca %s: no PEM certificate found", caFile)
		}
		tc.RootCAs = pool
	}
	if certFile != "" || keyFile != "" {
		if certFile == "" || keyFile == "" {
			return errors.New("MySQL ssl-cert and ssl-key must be given together")
		}
		pair, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return fmt.Errorf("MySQL client certificate: %w", err)
		}
		tc.Certificates = []tls.Certificate{pair}
	}

	switch mode {
	case "disabled":
		cfg.TLS, cfg.TLSConfig = nil, "false"
		return nil
	case "preferred":
		tc.InsecureSkipVerify = true
		cfg.AllowFallbackToPlaintext = true
	case "required":
		tc.InsecureSkipVerify = true
	case "verify_ca":
		if tc.RootCAs == nil {
			return errors.New("MySQL ssl-mode verify_ca needs ssl-ca")
		}
		// InsecureSkipVerify turns off Go's check, host name included; the
		// chain is then checked here against ssl-ca without the host name.
		roots := tc.RootCAs
		tc.InsecureSkipVerify = true
		tc.VerifyConnection = func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return errors.New("MySQL server sent no certificate")
			}
			inter := x509.NewCertPool()
			for _, c := range cs.PeerCertificates[1:] {
				inter.AddCert(c)
			}
			_, err := cs.PeerCertificates[0].Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter})
			return err
		}
	case "verify_identity":
		tc.ServerName = host
	default:
		return fmt.Errorf("MySQL ssl-mode %q unknown: use disabled, preferred, required, verify_ca or verify_identity", mode)
	}
	cfg.TLS = tc
	return nil
}
