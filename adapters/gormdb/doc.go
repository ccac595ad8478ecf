// Package gormdb answers who has a storage mounted where (PROTOCOL §5) by
// reading Nextcloud's own tables through GORM, on PostgreSQL, MySQL/MariaDB or
// SQLite, chosen by the scheme of DATABASE_URL.
//
// MountQuery runs the mapping query itself; MountStore puts a per-storage cache
// in front of it, which is what the daemon binds to ports.MountStore and
// ports.MountCache (whose CachedMounts answers from memory only). The
// production path only ever reads: it never creates, migrates or writes
// Nextcloud's tables. CreateNextcloudSchema and SeedDemo write, and exist for
// tests and the embedded demo mode only.
package gormdb
