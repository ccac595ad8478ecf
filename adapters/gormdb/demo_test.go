package gormdb

import (
	"slices"
	"testing"

	"gorm.io/gorm"

	"github.com/notifypush/notify_push/domain"
	"github.com/notifypush/notify_push/ports"
)

func checkDemo(t *testing.T, store ports.MountStore) {
	t.Helper()
	// The demo's promises, written out by hand.
	expectations := []struct {
		storage domain.StorageID
		path    string
		users   []domain.UserID
	}{
		{10, "files/Team/Design/logo.png", []domain.UserID{"alice", "bob", "carol"}},
		{10, "files/Team/notes.md", []domain.UserID{"alice", "bob"}},
		{10, "files/other.txt", []domain.UserID{"alice"}},
		{1, "files/report.odt", []domain.UserID{"alice"}},
		{2, "files/x", []domain.UserID{"bob"}},
		{3, "files/y", []domain.UserID{"carol"}},
		{4, "files/z", nil},
	}
	w := Demo()
	for _, e := range expectations {
		users := sortedUsers(domain.UsersForPath(mountsFor(t, store, e.storage), e.path))
		if !slices.Equal(users, e.users) {
			t.Errorf("storage %d %q reaches %v, want %v", e.storage, e.path, users, e.users)
		}
		if described := sortedUsers(w.UsersFor(e.storage, e.path)); !slices.Equal(described, e.users) {
			t.Errorf("Demo().UsersFor(%d, %q) = %v, want %v", e.storage, e.path, described, e.users)
		}
	}
}

func count(t *testing.T, db *gorm.DB, table string) int64 {
	t.Helper()
	var n int64
	if err := db.Raw("SELECT COUNT(*) FROM " + table).Scan(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

func TestSeedDemo(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			db := b.open(t)
			f := tables(t, db, false)
			for range 2 { // idempotent
				if err := SeedDemo(testContext(t), db, f.prefix); err != nil {
					t.Fatal(err)
				}
			}
			w := Demo()
			if files, mounts := count(t, db, f.prefix+"filecache"), count(t, db, f.prefix+"mounts"); files != int64(len(w.Files)) || mounts != int64(len(w.Mounts)) {
				t.Fatalf("%d files and %d mounts, want %d and %d", files, mounts, len(w.Files), len(w.Mounts))
			}

			rows, err := db.Raw("SELECT fileid, path, path_hash FROM " + f.prefix + "filecache").Rows()
			if err != nil {
				t.Fatal(err)
			}
			byID := map[domain.FileID]string{}
			for _, file := range w.Files {
				byID[file.ID] = file.Path
			}
			for rows.Next() {
				var id int64
				var path, hash string
				if err := rows.Scan(&id, &path, &hash); err != nil {
					t.Fatal(err)
				}
				if hash != pathHash(path) || byID[domain.FileID(id)] != path {
					t.Errorf("file %d %q has hash %s", id, path, hash)
				}
			}
			if err := rows.Close(); err != nil {
				t.Fatal(err)
			}

			// Explicit ids must not trip later inserts (PostgreSQL's sequence).
			exec(t, db, "INSERT INTO "+f.prefix+"filecache (storage, path, path_hash) VALUES (10, 'files/new.txt', ?)", pathHash("files/new.txt"))

			store, err := NewMountStore(db, Options{Prefix: f.prefix}, newFakeClock(), domain.NewCounters(), nil)
			if err != nil {
				t.Fatal(err)
			}
			checkDemo(t, store)
		})
	}
}

func TestOpenDemoDB(t *testing.T) {
	for _, prefix := range []string{"", "demo_"} {
		db, closeDB, err := OpenDemoDB(testContext(t), Options{URL: "postgres://ignored", Prefix: prefix}, testLogger(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(closeDB)
		if db.Name() != "sqlite" {
			t.Fatalf("demo database is %s", db.Name())
		}
		store, err := NewMountStore(db, Options{Prefix: prefix}, newFakeClock(), domain.NewCounters(), nil)
		if err != nil {
			t.Fatal(err)
		}
		checkDemo(t, store)
	}
}

func TestDemoReturnsFreshCopies(t *testing.T) {
	w := Demo()
	w.Mounts[0].User = "mallory"
	w.Users[0] = "mallory"
	if Demo().Mounts[0].User != "alice" || Demo().Users[0] != "alice" {
		t.Fatal("Demo() shares its slices")
	}
}
