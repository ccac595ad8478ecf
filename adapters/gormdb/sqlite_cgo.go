//go:build cgo

package gormdb

// sqliteUnavailable is nil: with cgo, this build links the SQLite driver.
func sqliteUnavailable() error { return nil }
