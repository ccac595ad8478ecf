package gormdb

import (
	"context"
	"testing"

	"github.com/notifypush/notify_push/domain"
)

// BenchmarkMountQuerySQLite is the cost of a query on a mapping cache miss.
func BenchmarkMountQuerySQLite(b *testing.B) {
	db := openSQLite(b)
	f := tables(b, db, false)
	// Storage 10 mounted by three users, as in the embedded demo.
	f.mountAt("alice", 10, 10, "")
	f.mountAt("bob", 10, 12, "files/Team")
	f.mountAt("carol", 10, 13, "files/Team/Design")
	q, err := NewMountQuery(db, f.prefix, domain.NewCounters())
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := q.MountsFor(ctx, 10); err != nil {
			b.Fatal(err)
		}
	}
}
