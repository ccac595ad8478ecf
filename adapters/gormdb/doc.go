// Package gormdb answers who has a storage mounted where (PROTOCOL §5) by
// reading Nextcloud's own tables through GORM, on PostgreSQL, MySQL/MariaDB or
// SQLite, chosen by the scheme of DATABASE_URL.
//
// MountQuery runs the mapping query, uncached: the daemon binds it to
// ports.MountStore, and the app's MountCache keeps its rows. The production
// path only ever reads: it never creates, migrates or writes
// Nextcloud's tables. CreateNextcloudSchema and SeedDemo write, and exist for
// tests and the embedded demo mode only.
package gormdb
