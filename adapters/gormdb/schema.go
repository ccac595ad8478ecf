package gormdb

import (
	"context"
	"fmt"
	"strings"

	"gorm.io/gorm"
)

// CreateNextcloudSchema creates {prefix}mounts and {prefix}filecache on db,
// with the column types, defaults and indexes Nextcloud's migrations give
// them on SQLite, PostgreSQL and MySQL/MariaDB (after the bigint conversion).
// Tables and indexes that exist are left alone, so it may run more than once.
//
// It exists for tests and the embedded demo mode only: in production the
// tables are Nextcloud's, and this server never creates or writes them.
//
// Two deliberate differences: on SQLite and PostgreSQL, where index names are
// shared by the whole schema, index names carry the prefix so that several
// prefixes can live side by side; and the unique index Nextcloud keeps on
// mounts (user, root, mount point) is left out, since nothing here relies on it.
func CreateNextcloudSchema(ctx context.Context, db *gorm.DB, prefix string) error {
	return createSchema(ctx, db, prefix, false)
}

// createSchema is CreateNextcloudSchema, with 32-bit id columns when intIDs
// is set, as installs from before Nextcloud's bigint conversion still have.
func createSchema(ctx context.Context, db *gorm.DB, prefix string, intIDs bool) error {
	prefix, err := ValidatePrefix(prefix)
	if err != nil {
		return err
	}
	dialect := db.Name()
	stmts, ok := schemaDDL(dialect)
	if !ok {
		return fmt.Errorf("create Nextcloud tables: no schema for dialect %q", dialect)
	}
	id, serial := "BIGINT", "BIGSERIAL"
	if intIDs {
		id, serial = "INT", "SERIAL"
	}
	expand := strings.NewReplacer("{p}", prefix, "{id}", id, "{serial}", serial)
	tx := db.WithContext(ctx)
	for _, stmt := range stmts {
		if err := tx.Exec(expand.Replace(stmt)).Error; err != nil {
			return fmt.Errorf("create Nextcloud tables with prefix %s: %w", prefix, err)
		}
	}
	return nil
}

// schemaDDL is the DDL of one dialect, one statement per string (MySQL runs
// no multi-statements), with {p} the prefix, {id} the id type and {serial}
// PostgreSQL's auto-increment id type.
func schemaDDL(dialect string) ([]string, bool) {
	switch dialect {
	case "sqlite":
		// SQLite's integers are 64-bit whatever the declared type; AUTOINCREMENT
		// requires INTEGER PRIMARY KEY, as Doctrine writes it.
		return []string{
			`CREATE TABLE IF NOT EXISTS {p}filecache (fileid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
				storage {id} DEFAULT 0 NOT NULL, path VARCHAR(4000) DEFAULT NULL, path_hash VARCHAR(32) DEFAULT '' NOT NULL,
				parent {id} DEFAULT 0 NOT NULL, name VARCHAR(250) DEFAULT NULL, mimetype {id} DEFAULT 0 NOT NULL,
				mimepart {id} DEFAULT 0 NOT NULL, size BIGINT DEFAULT 0 NOT NULL, mtime {id} DEFAULT 0 NOT NULL,
				storage_mtime {id} DEFAULT 0 NOT NULL, encrypted INTEGER DEFAULT 0 NOT NULL,
				unencrypted_size BIGINT DEFAULT 0 NOT NULL, etag VARCHAR(40) DEFAULT NULL, permissions INTEGER DEFAULT 0,
				checksum VARCHAR(255) DEFAULT NULL)`,
			`CREATE UNIQUE INDEX IF NOT EXISTS {p}fs_storage_path_hash ON {p}filecache (storage, path_hash)`,
			`CREATE INDEX IF NOT EXISTS {p}fs_parent_name_hash ON {p}filecache (parent, name)`,
			`CREATE INDEX IF NOT EXISTS {p}fs_storage_mimetype ON {p}filecache (storage, mimetype)`,
			`CREATE INDEX IF NOT EXISTS {p}fs_storage_mimepart ON {p}filecache (storage, mimepart)`,
			`CREATE INDEX IF NOT EXISTS {p}fs_storage_size ON {p}filecache (storage, size, fileid)`,
			`CREATE INDEX IF NOT EXISTS {p}fs_mtime ON {p}filecache (mtime)`,
			`CREATE TABLE IF NOT EXISTS {p}mounts (id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
				storage_id {id} NOT NULL, root_id {id} NOT NULL, user_id VARCHAR(64) NOT NULL,
				mount_point VARCHAR(4000) NOT NULL, mount_id {id} DEFAULT NULL, mount_provider_class VARCHAR(128) DEFAULT NULL)`,
			`CREATE INDEX IF NOT EXISTS {p}mounts_user_index ON {p}mounts (user_id)`,
			`CREATE INDEX IF NOT EXISTS {p}mounts_storage_index ON {p}mounts (storage_id)`,
			`CREATE INDEX IF NOT EXISTS {p}mounts_root_index ON {p}mounts (root_id)`,
			`CREATE INDEX IF NOT EXISTS {p}mounts_mount_id_index ON {p}mounts (mount_id)`,
		}, true
	case "postgres":
		return []string{
			`CREATE TABLE IF NOT EXISTS {p}filecache (fileid {serial} NOT NULL, storage {id} DEFAULT 0 NOT NULL,
				path VARCHAR(4000) DEFAULT NULL, path_hash VARCHAR(32) DEFAULT '' NOT NULL, parent {id} DEFAULT 0 NOT NULL,
				name VARCHAR(250) DEFAULT NULL, mimetype {id} DEFAULT 0 NOT NULL, mimepart {id} DEFAULT 0 NOT NULL,
				size BIGINT DEFAULT 0 NOT NULL, mtime {id} DEFAULT 0 NOT NULL, storage_mtime {id} DEFAULT 0 NOT NULL,
				encrypted INT DEFAULT 0 NOT NULL, unencrypted_size BIGINT DEFAULT 0 NOT NULL, etag VARCHAR(40) DEFAULT NULL,
				permissions INT DEFAULT 0, checksum VARCHAR(255) DEFAULT NULL, PRIMARY KEY(fileid))`,
			`CREATE UNIQUE INDEX IF NOT EXISTS {p}fs_storage_path_hash ON {p}filecache (storage, path_hash)`,
			`CREATE INDEX IF NOT EXISTS {p}fs_parent_name_hash ON {p}filecache (parent, name)`,
			`CREATE INDEX IF NOT EXISTS {p}fs_storage_mimetype ON {p}filecache (storage, mimetype)`,
			`CREATE INDEX IF NOT EXISTS {p}fs_storage_mimepart ON {p}filecache (storage, mimepart)`,
			`CREATE INDEX IF NOT EXISTS {p}fs_storage_size ON {p}filecache (storage, size, fileid)`,
			`CREATE INDEX IF NOT EXISTS {p}fs_mtime ON {p}filecache (mtime)`,
			`CREATE TABLE IF NOT EXISTS {p}mounts (id {serial} NOT NULL, storage_id {id} NOT NULL, root_id {id} NOT NULL,
				user_id VARCHAR(64) NOT NULL, mount_point VARCHAR(4000) NOT NULL, mount_id {id} DEFAULT NULL,
				mount_provider_class VARCHAR(128) DEFAULT NULL, PRIMARY KEY(id))`,
			`CREATE INDEX IF NOT EXISTS {p}mounts_user_index ON {p}mounts (user_id)`,
			`CREATE INDEX IF NOT EXISTS {p}mounts_storage_index ON {p}mounts (storage_id)`,
			`CREATE INDEX IF NOT EXISTS {p}mounts_root_index ON {p}mounts (root_id)`,
			`CREATE INDEX IF NOT EXISTS {p}mounts_mount_id_index ON {p}mounts (mount_id)`,
		}, true
	case "mysql":
		// path is too long for an index under utf8mb4, which is why Nextcloud
		// indexes path_hash; utf8mb4_bin is Nextcloud's table collation.
		return []string{
			`CREATE TABLE IF NOT EXISTS {p}filecache (fileid {id} AUTO_INCREMENT NOT NULL, storage {id} DEFAULT 0 NOT NULL,
				path VARCHAR(4000) DEFAULT NULL, path_hash VARCHAR(32) DEFAULT '' NOT NULL, parent {id} DEFAULT 0 NOT NULL,
				name VARCHAR(250) DEFAULT NULL, mimetype {id} DEFAULT 0 NOT NULL, mimepart {id} DEFAULT 0 NOT NULL,
				size BIGINT DEFAULT 0 NOT NULL, mtime {id} DEFAULT 0 NOT NULL, storage_mtime {id} DEFAULT 0 NOT NULL,
				encrypted INT DEFAULT 0 NOT NULL, unencrypted_size BIGINT DEFAULT 0 NOT NULL, etag VARCHAR(40) DEFAULT NULL,
				permissions INT DEFAULT 0, checksum VARCHAR(255) DEFAULT NULL,
				UNIQUE INDEX fs_storage_path_hash (storage, path_hash), INDEX fs_parent_name_hash (parent, name),
				INDEX fs_storage_mimetype (storage, mimetype), INDEX fs_storage_mimepart (storage, mimepart),
				INDEX fs_storage_size (storage, size, fileid), INDEX fs_mtime (mtime), PRIMARY KEY(fileid))
				DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin ENGINE = InnoDB`,
			`CREATE TABLE IF NOT EXISTS {p}mounts (id {id} AUTO_INCREMENT NOT NULL, storage_id {id} NOT NULL,
				root_id {id} NOT NULL, user_id VARCHAR(64) NOT NULL, mount_point VARCHAR(4000) NOT NULL,
				mount_id {id} DEFAULT NULL, mount_provider_class VARCHAR(128) DEFAULT NULL,
				INDEX mounts_user_index (user_id), INDEX mounts_storage_index (storage_id), INDEX mounts_root_index (root_id),
				INDEX mounts_mount_id_index (mount_id), PRIMARY KEY(id))
				DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin ENGINE = InnoDB`,
		}, true
	default:
		return nil, false
	}
}
