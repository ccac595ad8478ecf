package gormdb

import (
	"math"
	"slices"
	"strings"
	"testing"

	"gorm.io/gorm"

	"github.com/notifypush/notify_push/domain"
	"github.com/notifypush/notify_push/ports"
)

// implementation builds one ports.MountStore over the tables of prefix.
type implementation struct {
	name string
	make func(t testing.TB, db *gorm.DB, prefix string) ports.MountStore
}

func implementations() []implementation {
	return []implementation{
		{"query", func(t testing.TB, db *gorm.DB, prefix string) ports.MountStore {
			q, err := NewMountQuery(db, prefix, domain.NewCounters())
			if err != nil {
				t.Fatal(err)
			}
			return q
		}},
	}
}

// TestMountStoreContract runs the same expectations of ports.MountStore on
// every backend, for the bare query and for the cached store.
func TestMountStoreContract(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			db := b.open(t)
			for _, impl := range implementations() {
				t.Run(impl.name, func(t *testing.T) { mountStoreContract(t, b, db, impl) })
			}
		})
	}
}

func mountStoreContract(t *testing.T, b backend, db *gorm.DB, impl implementation) {
	t.Run("roots are plain string prefixes", func(t *testing.T) {
		f := tables(t, db, false)
		f.mountAt("alice", 5, 100, "")
		f.mountAt("bob", 5, 101, "files/a")
		f.mountAt("carol", 6, 102, "") // another storage: never among storage 5's
		got := mountsFor(t, impl.make(t, db, f.prefix), 5)
		sameMounts(t, got, domain.Mount{User: "alice", Root: ""}, domain.Mount{User: "bob", Root: "files/a"})
		for path, want := range map[string][]domain.UserID{
			"files/a/x.txt": {"alice", "bob"},
			"files/ab":      {"alice", "bob"}, // upstream's plain starts_with
			"files/b":       {"alice"},
			"":              {"alice"},
		} {
			if users := sortedUsers(domain.UsersForPath(got, path)); !slices.Equal(users, want) {
				t.Errorf("users for %q = %v, want %v", path, users, want)
			}
		}
	})

	t.Run("NULL path reads as the whole storage", func(t *testing.T) {
		f := tables(t, db, false)
		f.file(200, 7, nil)
		f.mount("alice", 7, 200)
		sameMounts(t, mountsFor(t, impl.make(t, db, f.prefix), 7), domain.Mount{User: "alice", Root: ""})
	})

	t.Run("several mounts of one user", func(t *testing.T) {
		f := tables(t, db, false)
		f.mountAt("carol", 8, 300, "files/x")
		f.mountAt("carol", 8, 301, "files/y")
		f.mount("carol", 8, 300) // the same root twice, at two mount points
		got := mountsFor(t, impl.make(t, db, f.prefix), 8)
		sameMounts(t, got,
			domain.Mount{User: "carol", Root: "files/x"}, domain.Mount{User: "carol", Root: "files/x"},
			domain.Mount{User: "carol", Root: "files/y"})
		if users := domain.UsersForPath(got, "files/x/1"); !slices.Equal(users, []domain.UserID{"carol"}) {
			t.Fatalf("users = %v, want carol once", users)
		}
	})

	t.Run("unknown storage has no mounts", func(t *testing.T) {
		f := tables(t, db, false)
		f.mountAt("alice", 1, 1, "")
		if got := mountsFor(t, impl.make(t, db, f.prefix), 404); len(got) != 0 {
			t.Fatalf("mounts = %v, want none", got)
		}
	})

	t.Run("ids beyond 31 bits", func(t *testing.T) {
		f := tables(t, db, false)
		const storage, fileID = math.MaxUint32, 1<<40 + 7
		f.mountAt("dave", storage, fileID, "files/big")
		f.mountAt("erin", 3_000_000_000, 1<<33, "")
		store := impl.make(t, db, f.prefix)
		sameMounts(t, mountsFor(t, store, storage), domain.Mount{User: "dave", Root: "files/big"})
		sameMounts(t, mountsFor(t, store, 3_000_000_000), domain.Mount{User: "erin", Root: ""})
	})

	t.Run("INT id columns of older installs", func(t *testing.T) {
		f := tables(t, db, true)
		const maxInt = math.MaxInt32
		f.mountAt("alice", maxInt, maxInt, "files")
		f.mountAt("bob", 3, 4, "")
		store := impl.make(t, db, f.prefix)
		sameMounts(t, mountsFor(t, store, maxInt), domain.Mount{User: "alice", Root: "files"})
		sameMounts(t, mountsFor(t, store, 3), domain.Mount{User: "bob", Root: ""})
	})

	t.Run("user ids and paths in UTF-8", func(t *testing.T) {
		f := tables(t, db, false)
		f.mountAt("ünï cödé", 9, 900, "files/Ünïcödé 📁")
		sameMounts(t, mountsFor(t, impl.make(t, db, f.prefix), 9), domain.Mount{User: "ünï cödé", Root: "files/Ünïcödé 📁"})
	})

	t.Run("default prefix oc_", func(t *testing.T) {
		own := b.isolated(t)
		f := tablesWithPrefix(t, own, DefaultPrefix, false)
		f.mountAt("alice", 1, 10, "")
		sameMounts(t, mountsFor(t, impl.make(t, own, ""), 1), domain.Mount{User: "alice", Root: ""})
		sameMounts(t, mountsFor(t, impl.make(t, own, "oc_"), 1), domain.Mount{User: "alice", Root: ""})
	})

	t.Run("the prefix selects the tables", func(t *testing.T) {
		f := tables(t, db, false)
		g := tables(t, db, false)
		f.mountAt("alice", 1, 10, "")
		g.mountAt("bob", 1, 10, "")
		sameMounts(t, mountsFor(t, impl.make(t, db, f.prefix), 1), domain.Mount{User: "alice", Root: ""})
		sameMounts(t, mountsFor(t, impl.make(t, db, g.prefix), 1), domain.Mount{User: "bob", Root: ""})
	})

	t.Run("missing tables are an error naming the storage", func(t *testing.T) {
		_, err := impl.make(t, db, randomName()+"_").MountsFor(testContext(t), 77)
		if err == nil || !strings.HasPrefix(err.Error(), "load mounts of storage 77: ") {
			t.Fatalf("err = %v, want one starting with %q", err, "load mounts of storage 77: ")
		}
	})
}

func mountsFor(t testing.TB, s ports.MountStore, storage domain.StorageID) []domain.Mount {
	t.Helper()
	mounts, err := s.MountsFor(testContext(t), storage)
	if err != nil {
		t.Fatalf("MountsFor(%d): %v", storage, err)
	}
	return mounts
}

func sortedUsers(users []domain.UserID) []domain.UserID {
	out := slices.Clone(users)
	slices.Sort(out)
	return out
}

func TestMountQueryCountsEveryQuery(t *testing.T) {
	db := openSQLite(t)
	f := tables(t, db, false)
	f.mountAt("alice", 1, 1, "")
	counters := domain.NewCounters()
	q, err := NewMountQuery(db, f.prefix, counters)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		mountsFor(t, q, 1)
	}
	_, _ = q.MountsFor(testContext(t), 2)
	if n := counters.MappingQueries.Load(); n != 4 {
		t.Fatalf("MappingQueries = %d, want 4", n)
	}
}

func TestNewMountQueryRejects(t *testing.T) {
	db := openSQLite(t)
	for _, prefix := range []string{"oc_; DROP TABLE x; --", "oc-", "oc.", "ö_", "oc_ ", strings.Repeat("a", 55)} {
		if _, err := NewMountQuery(db, prefix, domain.NewCounters()); err == nil {
			t.Errorf("prefix %q accepted", prefix)
		}
	}
	if _, err := NewMountQuery(nil, "", domain.NewCounters()); err == nil {
		t.Error("nil database accepted")
	}
	if _, err := NewMountQuery(db, "", nil); err == nil {
		t.Error("nil counters accepted")
	}
}

func TestValidatePrefix(t *testing.T) {
	for in, want := range map[string]string{"": "oc_", "oc_": "oc_", "nc2_": "nc2_", "OC_": "OC_", "x": "x", strings.Repeat("a", 54): strings.Repeat("a", 54)} {
		got, err := ValidatePrefix(in)
		if err != nil || got != want {
			t.Errorf("ValidatePrefix(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}
