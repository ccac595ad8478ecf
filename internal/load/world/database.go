package world

import (
	"context"
	"crypto/md5"
	"database/sql"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"

	"gorm.io/driver/sqlite"
)

// SeedDatabase creates a SQLite database at path with Nextcloud's tables
// holding users' homes and the shared storage mounted by users 0 to fanout-1.
func SeedDatabase(ctx context.Context, path string, users, fanout int) error {
	if users < 1 || users > MaxUsers || fanout < 0 || fanout > users {
		return fmt.Errorf("seed %d users, %d sharing: want 1-%d users and at most as many sharing", users, fanout, MaxUsers)
	}
	return inTransaction(ctx, path, "seed database", func(tx *sql.Tx) error {
		return seedHomes(ctx, tx, users, fanout)
	})
}

func seedHomes(ctx context.Context, tx *sql.Tx, users, fanout int) error {
	for _, stmt := range schema {
		if _, err := tx.ExecContext(ctx, strings.ReplaceAll(stmt, "{p}", TablePrefix)); err != nil {
			return fmt.Errorf("create table: %w", err)
		}
	}
	rootHash := pathHash("")
	// Home roots have file id = storage id; the shared root is SharedStorage.
	err := insertRows(ctx, tx, "INSERT INTO "+TablePrefix+"filecache (fileid, storage, path, path_hash, parent, name, permissions) VALUES ",
		users+1, "(?, ?, '', ?, -1, '', 31)", func(i int) []any {
			if i == users {
				return []any{SharedStorage, SharedStorage, rootHash}
			}
			return []any{HomeStorage(i), HomeStorage(i), rootHash}
		})
	if err != nil {
		return err
	}
	return insertRows(ctx, tx, "INSERT INTO "+TablePrefix+"mounts (storage_id, root_id, user_id, mount_point, mount_provider_class) VALUES ",
		users+fanout, "(?, ?, ?, ?, ?)", func(i int) []any {
			if i < users {
				u := "user" + strconv.Itoa(i)
				return []any{HomeStorage(i), HomeStorage(i), u, "/" + u + "/", `OC\Files\Mount\LocalHomeMountProvider`}
			}
			u := "user" + strconv.Itoa(i-users)
			return []any{SharedStorage, SharedStorage, u, "/" + u + "/files/Shared/", sharingProvider}
		})
}

// SeedGroupStorages adds to the database at path one storage per group g
// below groups, GroupStorage(g), mounted whole by the fan-out users u below
// fanout with u mod groups = g: with several servers each holding the users
// of one residue, an update of it reaches one server's users alone.
func SeedGroupStorages(ctx context.Context, path string, fanout, groups int) error {
	if groups < 1 || fanout < 0 {
		return fmt.Errorf("seed %d group storages over %d users: want at least one group", groups, fanout)
	}
	return inTransaction(ctx, path, "seed group storages", func(tx *sql.Tx) error {
		return seedGroups(ctx, tx, fanout, groups)
	})
}

func seedGroups(ctx context.Context, tx *sql.Tx, fanout, groups int) error {
	rootHash := pathHash("")
	err := insertRows(ctx, tx, "INSERT INTO "+TablePrefix+"filecache (fileid, storage, path, path_hash, parent, name, permissions) VALUES ",
		groups, "(?, ?, '', ?, -1, '', 31)", func(g int) []any {
			return []any{GroupStorage(g), GroupStorage(g), rootHash}
		})
	if err != nil {
		return err
	}
	return insertRows(ctx, tx, "INSERT INTO "+TablePrefix+"mounts (storage_id, root_id, user_id, mount_point, mount_provider_class) VALUES ",
		fanout, "(?, ?, ?, ?, ?)", func(u int) []any {
			name := "user" + strconv.Itoa(u)
			return []any{GroupStorage(u % groups), GroupStorage(u % groups), name, "/" + name + "/files/Group/", sharingProvider}
		})
}

// inTransaction runs f in one transaction on the SQLite database at path,
// committed when f succeeds; what names the work in errors.
func inTransaction(ctx context.Context, path, what string, f func(tx *sql.Tx) error) error {
	db, err := sql.Open(sqlite.DriverName, path)
	if err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	defer db.Close()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	defer func() { _ = tx.Rollback() }()
	if err := f(tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

const sharingProvider = `OCA\Files_Sharing\MountProvider`

// insertRows runs head with rows value tuples, each placeholders filled by
// args(i), 500 to a statement: multi-row inserts keep seeding 20,000 users
// under a second.
func insertRows(ctx context.Context, tx *sql.Tx, head string, rows int, placeholders string, args func(i int) []any) error {
	const batch = 500
	for from := 0; from < rows; from += batch {
		n := min(batch, rows-from)
		var q strings.Builder
		q.WriteString(head)
		vals := make([]any, 0, n*strings.Count(placeholders, "?"))
		for i := range n {
			if i > 0 {
				q.WriteByte(',')
			}
			q.WriteString(placeholders)
			vals = append(vals, args(from+i)...)
		}
		if _, err := tx.ExecContext(ctx, q.String(), vals...); err != nil {
			return fmt.Errorf("seed database: %w", err)
		}
	}
	return nil
}

// pathHash is Nextcloud's filecache path_hash: the hex MD5 of the path.
func pathHash(p string) string {
	sum := md5.Sum([]byte(p))
	return hex.EncodeToString(sum[:])
}

// schema is the part of Nextcloud's tables that notify_push reads: which
// users mount a storage (mounts) and where the mount's root is (filecache),
// with the indexes its mapping query uses, {p} for the table prefix.
var schema = []string{
	`CREATE TABLE {p}filecache (fileid INTEGER PRIMARY KEY NOT NULL, storage BIGINT DEFAULT 0 NOT NULL,
		path VARCHAR(4000) DEFAULT NULL, path_hash VARCHAR(32) DEFAULT '' NOT NULL, parent BIGINT DEFAULT 0 NOT NULL,
		name VARCHAR(250) DEFAULT NULL, permissions INTEGER DEFAULT 0)`,
	`CREATE UNIQUE INDEX {p}fs_storage_path_hash ON {p}filecache (storage, path_hash)`,
	`CREATE TABLE {p}mounts (id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, storage_id BIGINT NOT NULL,
		root_id BIGINT NOT NULL, user_id VARCHAR(64) NOT NULL, mount_point VARCHAR(4000) NOT NULL,
		mount_provider_class VARCHAR(128) DEFAULT NULL)`,
	`CREATE INDEX {p}mounts_storage_index ON {p}mounts (storage_id)`,
	`CREATE INDEX {p}mounts_user_index ON {p}mounts (user_id)`,
}

// The mapping tables as a database outage leaves them: renamed away, so
// that every mapping query fails as on a database that is down, while the
// database itself still answers a ping.
var mappingTables = []string{"mounts", "filecache"}

const awaySuffix = "_away"

// TakeMappingTablesAway renames the mapping tables of the database at path
// so that the server's mapping queries fail until BringMappingTablesBack.
func TakeMappingTablesAway(ctx context.Context, path string) error {
	return renameMappingTables(ctx, path, "", awaySuffix)
}

// BringMappingTablesBack undoes TakeMappingTablesAway.
func BringMappingTablesBack(ctx context.Context, path string) error {
	return renameMappingTables(ctx, path, awaySuffix, "")
}

// renameMappingTables renames each table from its name+from to its
// name+to, in one transaction: the server sees both gone or neither.
func renameMappingTables(ctx context.Context, path, from, to string) error {
	return inTransaction(ctx, path, "rename mapping tables", func(tx *sql.Tx) error {
		for _, t := range mappingTables {
			stmt := fmt.Sprintf("ALTER TABLE %s%s%s RENAME TO %s%s%s", TablePrefix, t, from, TablePrefix, t, to)
			if _, err := tx.ExecContext(ctx, stmt); err != nil {
				return fmt.Errorf("rename table %s%s%s: %w", TablePrefix, t, from, err)
			}
		}
		return nil
	})
}
