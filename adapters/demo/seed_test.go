package demo

import (
	"context"
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/notifypush/notify_push/adapters/gormdb"
	"github.com/notifypush/notify_push/domain"
	"github.com/notifypush/notify_push/internal/testenv"
)

func testContext(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func open(t *testing.T, url string) *gorm.DB {
	t.Helper()
	db, closeDB, err := gormdb.Open(testContext(t), url, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("open %s: %v", gormdb.RedactURL(url), err)
	}
	t.Cleanup(closeDB)
	return db
}

// freshTables creates Nextcloud's tables under a new prefix, dropped when
// the test ends.
func freshTables(t *testing.T, db *gorm.DB) string {
	t.Helper()
	b := make([]byte, 5)
	_, _ = rand.Read(b)
	prefix := "t" + hex.EncodeToString(b) + "_"
	if err := gormdb.CreateNextcloudSchema(testContext(t), db, prefix); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, table := range []string{"mounts", "filecache"} {
			db.Exec("DROP TABLE IF EXISTS " + prefix + table)
		}
	})
	return prefix
}

func count(t *testing.T, db *gorm.DB, table string) int64 {
	t.Helper()
	var n int64
	if err := db.Raw("SELECT COUNT(*) FROM " + table).Scan(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

// TestSeedOnEveryDatabase seeds the world twice (it is idempotent) on each
// database Nextcloud runs on, and reads it back through the server's own
// mapping query.
func TestSeedOnEveryDatabase(t *testing.T) {
	for name, url := range map[string]func(testing.TB) string{
		"sqlite":   func(t testing.TB) string { return "sqlite://" + filepath.Join(t.TempDir(), "demo.db") },
		"postgres": testenv.PostgresURL,
		"mariadb":  testenv.MySQLURL,
	} {
		t.Run(name, func(t *testing.T) {
			db := open(t, url(t))
			prefix := freshTables(t, db)
			w := Default()
			for range 2 {
				if err := Seed(testContext(t), db, prefix, w); err != nil {
					t.Fatal(err)
				}
			}
			if files, mounts := count(t, db, prefix+"filecache"), count(t, db, prefix+"mounts"); files != int64(len(w.Files)) ||
				mounts != int64(len(w.Mounts)) {
				t.Fatalf("%d files and %d mounts, want %d and %d", files, mounts, len(w.Files), len(w.Mounts))
			}
			rows, err := db.Raw("SELECT fileid, path, path_hash FROM " + prefix + "filecache").Rows()
			if err != nil {
				t.Fatal(err)
			}
			byID := map[domain.FileID]string{}
			for _, f := range w.Files {
				byID[f.ID] = f.Path
			}
			for rows.Next() {
				var id int64
				var path, hash string
				if err := rows.Scan(&id, &path, &hash); err != nil {
					t.Fatal(err)
				}
				sum := md5.Sum([]byte(path))
				if hash != hex.EncodeToString(sum[:]) || byID[domain.FileID(id)] != path {
					t.Errorf("file %d %q has hash %s", id, path, hash)
				}
			}
			if err := rows.Close(); err != nil {
				t.Fatal(err)
			}
			// Explicit ids must not trip later inserts (PostgreSQL's sequence).
			if err := db.Exec("INSERT INTO " + prefix + "filecache (storage, path, path_hash) VALUES (10, 'files/new.txt', 'x')").
				Error; err != nil {
				t.Fatalf("insert after seeding: %v", err)
			}

			q, err := gormdb.NewMountQuery(db, prefix, domain.NewCounters())
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range promises {
				mounts, err := q.MountsFor(testContext(t), p.storage)
				if err != nil {
					t.Fatal(err)
				}
				if got := sortedUsers(domain.UsersForPath(mounts, p.path)); !slices.Equal(got, p.users) {
					t.Errorf("storage %d %q reaches %v, want %v", p.storage, p.path, got, p.users)
				}
			}
		})
	}
}

func TestSeedRefusesABadPrefix(t *testing.T) {
	db := open(t, "sqlite://"+filepath.Join(t.TempDir(), "demo.db"))
	if err := Seed(testContext(t), db, "oc_; DROP TABLE x", Default()); err == nil {
		t.Fatal("a prefix with SQL in it was accepted")
	}
}
