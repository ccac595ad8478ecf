package gormdb

import (
	"context"
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/notifypush/notify_push/domain"
	"github.com/notifypush/notify_push/internal/contract"
	"github.com/notifypush/notify_push/internal/testenv"
)

func testLogger(t testing.TB) *slog.Logger {
	if _, ok := t.(*testing.B); ok {
		return slog.New(slog.DiscardHandler)
	}
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func testContext(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// randomName is a fresh lower-case identifier starting with a letter.
func randomName() string {
	b := make([]byte, 5)
	_, _ = rand.Read(b)
	return "t" + hex.EncodeToString(b)
}

// backend is one database the contract suite runs against.
type backend struct {
	name string
	// open connects to the backend's shared test database.
	open func(t testing.TB) *gorm.DB
	// isolated connects to a database (or schema) of its own, where tables
	// with the default prefix cannot meet another test's.
	isolated func(t testing.TB) *gorm.DB
}

func backends() []backend {
	return []backend{
		{"sqlite", openSQLite, openSQLite},
		{"postgres", func(t testing.TB) *gorm.DB { return openURL(t, testenv.PostgresURL(t)) }, isolatedPostgres},
		{"mariadb", func(t testing.TB) *gorm.DB { return openURL(t, testenv.MySQLURL(t)) }, isolatedMariaDB},
	}
}

func openURL(t testing.TB, raw string) *gorm.DB {
	t.Helper()
	db, closeDB, err := Open(testContext(t), raw, testLogger(t))
	if err != nil {
		t.Fatalf("open %s: %v", RedactURL(raw), err)
	}
	t.Cleanup(closeDB)
	return db
}

func openSQLite(t testing.TB) *gorm.DB {
	return openURL(t, "sqlite://"+filepath.Join(t.TempDir(), "nextcloud.db"))
}

// isolatedPostgres opens the test database with a schema of its own first
// on the search path.
func isolatedPostgres(t testing.TB) *gorm.DB {
	base := testenv.PostgresURL(t)
	admin := openURL(t, base)
	schema := randomName()
	exec(t, admin, "CREATE SCHEMA "+schema)
	t.Cleanup(func() { exec(t, admin, "DROP SCHEMA "+schema+" CASCADE") })
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return openURL(t, u.String())
}

// isolatedMariaDB opens a database of its own on the test server.
func isolatedMariaDB(t testing.TB) *gorm.DB {
	base := testenv.MySQLURL(t)
	admin := openURL(t, base)
	name := randomName()
	exec(t, admin, "CREATE DATABASE "+name)
	t.Cleanup(func() { exec(t, admin, "DROP DATABASE "+name) })
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return openURL(t, u.String())
}

func exec(t testing.TB, db *gorm.DB, sql string, args ...any) {
	t.Helper()
	if err := db.WithContext(context.Background()).Exec(sql, args...).Error; err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// tables creates Nextcloud-shaped tables under a fresh prefix, dropped when
// the test ends, and returns a fixture writing into them.
func tables(t testing.TB, db *gorm.DB, intIDs bool) fixture {
	t.Helper()
	prefix := randomName() + "_"
	return tablesWithPrefix(t, db, prefix, intIDs)
}

func tablesWithPrefix(t testing.TB, db *gorm.DB, prefix string, intIDs bool) fixture {
	t.Helper()
	if err := createSchema(testContext(t), db, prefix, intIDs); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		exec(t, db, "DROP TABLE IF EXISTS "+prefix+"mounts")
		exec(t, db, "DROP TABLE IF EXISTS "+prefix+"filecache")
	})
	return fixture{t: t, db: db, prefix: prefix}
}

// fixture writes rows into one set of Nextcloud-shaped tables.
type fixture struct {
	t      testing.TB
	db     *gorm.DB
	prefix string
}

// file inserts a filecache row; a nil path is NULL.
func (f fixture) file(id, storage int64, path *string) {
	f.t.Helper()
	hash := fmt.Sprintf("null:%d", id)
	if path != nil {
		hash = *path
	}
	exec(f.t, f.db, "INSERT INTO "+f.prefix+"filecache (fileid, storage, path, path_hash, parent, name) VALUES (?, ?, ?, ?, -1, '')",
		id, storage, path, pathHash(hash))
}

// mount inserts a mounts row of user for storage, rooted at file rootID.
func (f fixture) mount(user string, storage, rootID int64) {
	f.t.Helper()
	exec(f.t, f.db, "INSERT INTO "+f.prefix+"mounts (storage_id, root_id, user_id, mount_point) VALUES (?, ?, ?, ?)",
		storage, rootID, user, "/"+user+"/files/")
}

// mountAt inserts both the root folder (fileid rootID, at root on storage)
// and a mount of it for user.
func (f fixture) mountAt(user string, storage, rootID int64, root string) {
	f.t.Helper()
	f.file(rootID, storage, &root)
	f.mount(user, storage, rootID)
}

// rows writes the mounts of rows and their root folders, each folder once.
func (f fixture) rows(rows []contract.MountRow) {
	f.t.Helper()
	folders := map[domain.FileID]contract.MountRow{}
	for _, r := range rows {
		if seen, ok := folders[r.RootID]; ok {
			if seen.Storage != r.Storage || (seen.Root == nil) != (r.Root == nil) || (r.Root != nil && *seen.Root != *r.Root) {
				f.t.Fatalf("folder %d listed with two places", r.RootID)
			}
			continue
		}
		folders[r.RootID] = r
		f.file(int64(r.RootID), int64(r.Storage), r.Root)
	}
	for _, r := range rows {
		f.mount(string(r.User), int64(r.Storage), int64(r.RootID))
	}
}

func str(s string) *string { return &s }

// sorted orders mounts for comparison: MountsFor promises no order.
func sorted(mounts []domain.Mount) []domain.Mount {
	out := slices.Clone(mounts)
	slices.SortFunc(out, func(a, b domain.Mount) int {
		if c := strings.Compare(string(a.User), string(b.User)); c != 0 {
			return c
		}
		return strings.Compare(a.Root, b.Root)
	})
	return out
}

func sameMounts(t testing.TB, got []domain.Mount, want ...domain.Mount) {
	t.Helper()
	if g, w := sorted(got), sorted(want); !slices.Equal(g, w) {
		t.Fatalf("mounts = %v, want %v", g, w)
	}
}

// pathHash is Nextcloud's filecache path_hash: the hex MD5 of the path.
func pathHash(p string) string {
	sum := md5.Sum([]byte(p))
	return hex.EncodeToString(sum[:])
}
