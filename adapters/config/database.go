package config

import (
	"errors"
	"path/filepath"
	"strconv"
	"strings"
)

// mysqlSockets are where MySQL and MariaDB put their socket, tried in this
// order for dbhost localhost, as upstream does.
var mysqlSockets = []string{"/var/run/mysqld/mysqld.sock", "/tmp/mysql.sock", "/run/mysql/mysql.sock"}

// database turns dbtype, dbhost, dbport, dbname, dbuser, dbpassword,
// dbdriveroptions and datadirectory into a DATABASE_URL that the database
// adapter reads.
func (n nextcloud) database() fileValue {
	t := n.top("dbtype")
	typ, err := t.str()
	if err != nil {
		return fileValue{source: n.source("dbtype"), err: err}
	}
	if !t.present {
		typ = "sqlite3" // Nextcloud's default
	}
	switch typ {
	case "sqlite", "sqlite3":
		return n.sqlite()
	case "mysql":
		return n.mysql()
	case "pgsql":
		return n.postgres()
	case "oci":
		return fileValue{source: n.source("dbtype"), err: errors.New(t.where() + ": Oracle (dbtype oci) is not supported")}
	}
	return fileValue{source: n.source("dbtype"), err: t.errorf("unsupported database type %q: use mysql, pgsql or sqlite3", typ)}
}

// sqlite is {datadirectory}/{dbname}.db.
func (n nextcloud) sqlite() fileValue {
	var problems []error
	name := n.dbName(&problems)
	dir, err := n.top("datadirectory").str()
	problems = appendErr(problems, err)
	if dir == "" {
		dir = filepath.Join(n.root, "data")
	}
	src := n.source("dbtype", "dbname", "datadirectory")
	if len(problems) > 0 {
		return failed(src, problems)
	}
	return fileValue{values: []string{"sqlite://" + escapePath(filepath.Join(dir, name+".db"))}, source: src}
}

func (n nextcloud) mysql() fileValue {
	var problems []error
	name, auth := n.dbName(&problems), n.dbAuth(&problems)
	h := n.dbHost(&problems)
	tlsParams, tlsSet := n.mysqlTLS(&problems)
	src := n.source("dbtype", "dbhost", "dbport", "dbname", "dbuser", "dbpassword", "dbdriveroptions")
	if len(problems) > 0 {
		return failed(src, problems)
	}
	var addr string
	var params []string
	switch {
	case h.socket != "":
		addr, params = "localhost", []string{"socket", h.socket}
	case strings.HasPrefix(h.host, "/"):
		// Not a form Nextcloud documents, but a path can only be a socket.
		addr, params = "localhost", []string{"socket", h.host}
	case (h.host == "" || h.host == "localhost") && h.port == 0:
		// MySQL's client library reads localhost as "the local socket".
		addr = hostPort("localhost", 3306)
		for _, s := range mysqlSockets {
			if n.exists(s) {
				addr, params = "localhost", []string{"socket", s}
				break
			}
		}
	default:
		addr = hostPort(orDefault(h.host, "localhost"), orPort(h.port, 3306))
	}
	// TLS: over TCP only; as the driver options say, else off for a
	// literal IP (its certificate could not name it) and preferred for a
	// host name.
	if len(params) == 0 {
		switch {
		case tlsSet:
			params = tlsParams
		case isIP(h.host):
			params = []string{"ssl-mode", "disabled"}
		default:
			params = []string{"ssl-mode", "preferred"}
		}
	}
	return fileValue{values: []string{"mysql://" + auth + addr + "/" + escapeURLPart(name) + query(params...)}, source: src}
}

// mysqlTLS reads the PDO options for TLS: key (1007), certificate (1008),
// CA (1009) and whether to verify the server's certificate (1014, default
// true), as ssl-* parameters of the database adapter.
func (n nextcloud) mysqlTLS(problems *[]error) ([]string, bool) {
	opts := n.top("dbdriveroptions")
	if _, err := opts.array(); err != nil {
		*problems = append(*problems, err)
		return nil, false
	}
	var files [3]string
	for i, code := range []string{"1007", "1008", "1009"} {
		var err error
		files[i], err = opts.child(code).str()
		*problems = appendErr(*problems, err)
	}
	key, cert, ca := files[0], files[1], files[2]
	verify, err := opts.child("1014").boolean(true)
	*problems = appendErr(*problems, err)
	if key == "" && cert == "" && ca == "" {
		return nil, false
	}
	if (key == "") != (cert == "") {
		*problems = append(*problems, opts.errorf("the SSL key (\\PDO::MYSQL_ATTR_SSL_KEY) and certificate (\\PDO::MYSQL_ATTR_SSL_CERT) must be given together"))
	}
	mode := "verify_identity"
	if !verify {
		mode = "required" // encrypted, certificate not checked
	}
	params := []string{"ssl-mode", mode}
	for _, p := range [][2]string{{"ssl-ca", ca}, {"ssl-cert", cert}, {"ssl-key", key}} {
		if p[1] != "" {
			params = append(params, p[0], p[1])
		}
	}
	return params, true
}

func (n nextcloud) postgres() fileValue {
	var problems []error
	name, auth := n.dbName(&problems), n.dbAuth(&problems)
	h := n.dbHost(&problems)
	src := n.source("dbtype", "dbhost", "dbport", "dbname", "dbuser", "dbpassword")
	if len(problems) > 0 {
		return failed(src, problems)
	}
	dir := h.socket
	if dir == "" && strings.HasPrefix(h.host, "/") {
		dir = h.host // libpq reads a host that is a path as the socket folder
	}
	if dir != "" {
		port := h.port
		if base := filepath.Base(dir); strings.HasPrefix(base, ".s") {
			// The socket file itself, .s.PGSQL.<port>: libpq wants its folder.
			dir = filepath.Dir(dir)
			if p, err := strconv.Atoi(base[strings.LastIndexByte(base, '.')+1:]); err == nil && port == 0 && p > 0 && p <= 65535 {
				port = p
			}
		}
		params := []string{"host", dir}
		if port != 0 {
			params = append(params, "port", strconv.Itoa(port))
		}
		return fileValue{values: []string{"postgres://" + auth + "/" + escapeURLPart(name) + query(params...)}, source: src}
	}
	host := orDefault(h.host, "localhost")
	var params []string
	if isIP(host) {
		params = []string{"sslmode", "disable"} // libpq's default "prefer" otherwise
	}
	return fileValue{values: []string{"postgres://" + auth + hostPort(host, orPort(h.port, 5432)) + "/" + escapeURLPart(name) + query(params...)}, source: src}
}

// dbName is dbname, "owncloud" when unset as in Nextcloud.
func (n nextcloud) dbName(problems *[]error) string {
	name, err := n.top("dbname").str()
	*problems = appendErr(*problems, err)
	return orDefault(name, "owncloud")
}

// dbAuth is the user info part of the URL: dbuser and dbpassword.
func (n nextcloud) dbAuth(problems *[]error) string {
	user, err := n.top("dbuser").str()
	*problems = appendErr(*problems, err)
	password, err := n.top("dbpassword").str()
	*problems = appendErr(*problems, err)
	return userinfo(user, password)
}

// dbHostSpec is dbhost taken apart, with dbport applied.
type dbHostSpec struct {
	host   string // name or IP, IPv6 without brackets
	port   int    // 0: the default
	socket string // from host:/path
}

// dbHost reads dbhost as Nextcloud does: a trailing :suffix without ':'
// or ']' is a port when numeric, else a socket; [v6]:port and [v6] keep
// their brackets out of the host. dbport, when set, overrides the port.
func (n nextcloud) dbHost(problems *[]error) dbHostSpec {
	e := n.top("dbhost")
	s, err := e.str()
	*problems = appendErr(*problems, err)
	var h dbHostSpec
	h.host = s
	if i := strings.LastIndexByte(s, ':'); i >= 0 && i < len(s)-1 && !strings.Contains(s[i+1:], "]") && !isIP(s) {
		h.host = s[:i]
		if p, err := strconv.Atoi(strings.TrimSpace(s[i+1:])); err == nil {
			if p < 0 || p > 65535 {
				*problems = append(*problems, e.errorf("port %d is out of range", p))
			}
			h.port = p
		} else {
			h.socket = s[i+1:]
		}
	}
	if strings.HasPrefix(h.host, "[") && strings.HasSuffix(h.host, "]") {
		h.host = h.host[1 : len(h.host)-1]
	}
	port := n.top("dbport")
	p, ok, err := port.integer()
	switch {
	case err != nil:
		*problems = append(*problems, err)
	case ok && (p < 0 || p > 65535):
		*problems = append(*problems, port.errorf("port %d is out of range", p))
	case ok && p != 0:
		h.port = int(p)
	}
	return h
}

func appendErr(problems []error, err error) []error {
	if err != nil {
		return append(problems, err)
	}
	return problems
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func orPort(port, def int) int {
	if port == 0 {
		return def
	}
	return port
}
