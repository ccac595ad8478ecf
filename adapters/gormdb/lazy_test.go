package gormdb

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/notifypush/notify_push/domain"
	"github.com/notifypush/notify_push/internal/testenv"
)

// TestOpenLazyWaitsForTheDatabase opens a database that is down (a proxy
// refusing connections), then brings it up: no error at open, queries fail
// while it is down and work once it is up, without opening again.
func TestOpenLazyWaitsForTheDatabase(t *testing.T) {
	for name, base := range map[string]func(testing.TB) string{
		"postgres": testenv.PostgresURL,
		"mariadb":  testenv.MySQLURL,
	} {
		t.Run(name, func(t *testing.T) {
			raw := base(t)
			direct := openURL(t, raw)
			f := tables(t, direct, false)
			f.mountAt("alice", 7, 70, "")

			u, err := url.Parse(raw)
			if err != nil {
				t.Fatal(err)
			}
			proxy := testenv.NewTCPProxy(t, u.Host)
			u.Host = proxy.Addr
			ctx := testContext(t)
			db, closeDB, err := OpenLazy(ctx, u.String(), testLogger(t))
			if err != nil {
				t.Fatalf("OpenLazy with the database down: %v", err)
			}
			t.Cleanup(closeDB)
			store, err := NewMountStore(db, Options{Prefix: f.prefix}, newFakeClock(), domain.NewCounters(), testLogger(t))
			if err != nil {
				t.Fatal(err)
			}
			short, cancel := context.WithTimeout(ctx, 5*time.Second)
			defer cancel()
			if err := Ping(short, db); err == nil {
				t.Fatal("Ping succeeded with the database down")
			}
			if _, err := store.MountsFor(short, 7); err == nil {
				t.Fatal("a mapping was read with the database down")
			}

			proxy.Forward()
			if err := Ping(ctx, db); err != nil {
				t.Fatalf("Ping once the database is up: %v", err)
			}
			mounts, err := store.MountsFor(ctx, 7)
			if err != nil {
				t.Fatalf("mapping once the database is up: %v", err)
			}
			sameMounts(t, mounts, domain.Mount{User: "alice", Root: ""})
		})
	}
}

func TestOpenLazyRefusesWhatCanNeverWork(t *testing.T) {
	for _, raw := range []string{"oracle://u:secret@db/nc", "postgres://u:secret@db:notaport/nc"} {
		_, _, err := OpenLazy(context.Background(), raw, nil)
		if err == nil {
			t.Errorf("OpenLazy(%q) succeeded", raw)
		} else if strings.Contains(err.Error(), "secret") {
			t.Errorf("OpenLazy(%q) error shows the password: %v", raw, err)
		}
	}
}
