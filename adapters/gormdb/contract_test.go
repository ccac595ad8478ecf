package gormdb

import (
	"math"
	"strings"
	"testing"

	"gorm.io/gorm"

	"github.com/notifypush/notify_push/domain"
	"github.com/notifypush/notify_push/internal/contract"
	"github.com/notifypush/notify_push/ports"
)

// newQuery is the uncached MountQuery over the tables of prefix.
func newQuery(t testing.TB, db *gorm.DB, prefix string) *MountQuery {
	t.Helper()
	q, err := NewMountQuery(db, prefix, domain.NewCounters())
	if err != nil {
		t.Fatal(err)
	}
	return q
}

// TestMountQueryContract runs the port's suite on the uncached query, against
// every dialect; each subtest gets tables of its own.
func TestMountQueryContract(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			db := b.open(t)
			contract.MountStore(t, func(t *testing.T, rows []contract.MountRow) ports.MountStore {
				f := tables(t, db, false)
				f.rows(rows)
				return newQuery(t, db, f.prefix)
			})
		})
	}
}

// TestMountQueryTables: what the port does not say, per dialect: which
// tables the prefix selects, the INT columns of older installs, and the
// error when the tables are missing.
func TestMountQueryTables(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			db := b.open(t)
			mountQueryTables(t, b, db)
		})
	}
}

func mountQueryTables(t *testing.T, b backend, db *gorm.DB) {
	t.Run("INT id columns of older installs", func(t *testing.T) {
		f := tables(t, db, true)
		const maxInt = math.MaxInt32
		f.mountAt("alice", maxInt, maxInt, "files")
		f.mountAt("bob", 3, 4, "")
		q := newQuery(t, db, f.prefix)
		sameMounts(t, contract.MountsFor(t, q, maxInt), domain.Mount{User: "alice", Root: "files"})
		sameMounts(t, contract.MountsFor(t, q, 3), domain.Mount{User: "bob", Root: ""})
	})

	t.Run("the empty prefix reads mounts and filecache", func(t *testing.T) {
		// Issue 18 item 1: dbtableprefix '' is Nextcloud's too; it is no
		// stand-in for oc_.
		own := b.isolated(t)
		oc := tablesWithPrefix(t, own, DefaultPrefix, false)
		oc.mountAt("alice", 1, 10, "")
		bare := tablesWithPrefix(t, own, "", false)
		bare.mountAt("bob", 1, 10, "")
		sameMounts(t, contract.MountsFor(t, newQuery(t, own, ""), 1), domain.Mount{User: "bob", Root: ""})
		sameMounts(t, contract.MountsFor(t, newQuery(t, own, "oc_"), 1), domain.Mount{User: "alice", Root: ""})
	})

	t.Run("the prefix selects the tables", func(t *testing.T) {
		f := tables(t, db, false)
		g := tables(t, db, false)
		f.mountAt("alice", 1, 10, "")
		g.mountAt("bob", 1, 10, "")
		sameMounts(t, contract.MountsFor(t, newQuery(t, db, f.prefix), 1), domain.Mount{User: "alice", Root: ""})
		sameMounts(t, contract.MountsFor(t, newQuery(t, db, g.prefix), 1), domain.Mount{User: "bob", Root: ""})
	})

	t.Run("missing tables are an error naming the storage", func(t *testing.T) {
		_, err := newQuery(t, db, randomName()+"_").MountsFor(testContext(t), 77)
		if err == nil || !strings.HasPrefix(err.Error(), "load mounts of storage 77: ") {
			t.Fatalf("err = %v, want one starting with %q", err, "load mounts of storage 77: ")
		}
	})
}

// TestMountQueryCountsEveryQuery: every query that answered counts in
// mapping_query_count, an empty answer too; a failed one does not, as
// upstream counts (issue 18 item 12).
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
		contract.MountsFor(t, q, 1)
	}
	_, _ = q.MountsFor(testContext(t), 2)
	missing, err := NewMountQuery(db, randomName()+"_", counters)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := missing.MountsFor(testContext(t), 1); err == nil {
		t.Fatal("a query of missing tables succeeded")
	}
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
	for in, want := range map[string]string{"": "", "oc_": "oc_", "nc2_": "nc2_", "OC_": "OC_", "x": "x", strings.Repeat("a", 54): strings.Repeat("a", 54)} {
		got, err := ValidatePrefix(in)
		if err != nil || got != want {
			t.Errorf("ValidatePrefix(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}
