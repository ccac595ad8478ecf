package gormdb

import (
	"context"
	"testing"

	"github.com/notifypush/notify_push/domain"
)

// benchStore is a MountStore over SQLite with storage 10 of the demo cached.
func benchStore(b *testing.B) *MountStore {
	db := openSQLite(b)
	f := tables(b, db, false)
	if err := SeedDemo(testContext(b), db, f.prefix); err != nil {
		b.Fatal(err)
	}
	store, err := NewMountStore(db, Options{Prefix: f.prefix}, newFakeClock(), domain.NewCounters(), nil)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := store.MountsFor(context.Background(), 10); err != nil {
		b.Fatal(err)
	}
	return store
}

// BenchmarkMountsForCached is the hot path: every storage update asks it.
func BenchmarkMountsForCached(b *testing.B) {
	store := benchStore(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := store.MountsFor(ctx, 10); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMountsForCachedParallel(b *testing.B) {
	store := benchStore(b)
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := store.MountsFor(ctx, 10); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkMountQuerySQLite is the cost of a cache miss, for comparison.
func BenchmarkMountQuerySQLite(b *testing.B) {
	store := benchStore(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := store.query.MountsFor(ctx, 10); err != nil {
			b.Fatal(err)
		}
	}
}
