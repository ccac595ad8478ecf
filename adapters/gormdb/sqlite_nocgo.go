//go:build !cgo

package gormdb

import "errors"

// sqliteUnavailable says why a build without cgo (the FreeBSD release binary)
// cannot open SQLite: mattn/go-sqlite3 is C, and without cgo it is a stub
// whose own error would only surface on first use.
func sqliteUnavailable() error {
	return errors.New("SQLite is not available in this build of notify_push: it was compiled without cgo " +
		"(CGO_ENABLED=0), which the SQLite driver needs. Use PostgreSQL or MySQL/MariaDB, or a build with cgo " +
		"(the Linux release binaries include SQLite)")
}
