package world

import (
	"context"
	"errors"
	"io"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"sync/atomic"
	"testing"

	"gorm.io/gorm"

	"github.com/notifypush/notify_push/adapters/gormdb"
	"github.com/notifypush/notify_push/domain"
)

// The seeded world answers the server's own mapping query as intended.
func TestSeedDatabaseAsTheServerReadsIt(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "nc.db")
	if err := SeedDatabase(ctx, path, 1200, 700); err != nil {
		t.Fatal(err)
	}
	_, q := serverQuery(t, path)
	shared, err := q.MountsFor(ctx, SharedStorage)
	if err != nil {
		t.Fatal(err)
	}
	users := domain.UsersForPath(shared, "files/loadgen/round1.txt")
	if len(users) != 700 || !slices.Contains(users, "user0") || !slices.Contains(users, "user699") || slices.Contains(users, "user700") {
		t.Fatalf("the shared storage reaches %d users", len(users))
	}
	for _, u := range []int{0, 1199} {
		home, err := q.MountsFor(ctx, domain.StorageID(HomeStorage(u)))
		if err != nil {
			t.Fatal(err)
		}
		if got := domain.UsersForPath(home, "files/x"); len(got) != 1 || string(got[0]) != "user"+strconv.Itoa(u) {
			t.Fatalf("home of user%d reaches %v", u, got)
		}
	}
	for _, bad := range [][2]int{{0, 0}, {10, 11}, {MaxUsers + 1, 0}} {
		if err := SeedDatabase(ctx, filepath.Join(t.TempDir(), "x.db"), bad[0], bad[1]); err == nil {
			t.Errorf("seed %v accepted", bad)
		}
	}
}

// Each group storage reaches the fan-out users of its residue, and no one
// else: the users one of several servers holds.
func TestSeedGroupStorages(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "nc.db")
	if err := SeedDatabase(ctx, path, 10, 7); err != nil {
		t.Fatal(err)
	}
	if err := SeedGroupStorages(ctx, path, 7, 3); err != nil {
		t.Fatal(err)
	}
	_, q := serverQuery(t, path)
	for g, want := range [][]domain.UserID{{"user0", "user3", "user6"}, {"user1", "user4"}, {"user2", "user5"}} {
		mounts, err := q.MountsFor(ctx, domain.StorageID(GroupStorage(g)))
		if err != nil {
			t.Fatal(err)
		}
		got := domain.UsersForPath(mounts, "files/loadgen/round1.txt")
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("group storage %d reaches %v, want %v", g, got, want)
		}
	}
	if shared, err := q.MountsFor(ctx, SharedStorage); err != nil || len(domain.UsersForPath(shared, "files/x")) != 7 {
		t.Errorf("the shared storage changed: %d users, %v", len(domain.UsersForPath(shared, "files/x")), err)
	}
	if err := SeedGroupStorages(ctx, path, 7, 0); err == nil {
		t.Error("no groups accepted")
	}
}

// Renaming the mapping tables away fails the server's mapping query while
// the database still answers a ping; bringing them back restores it.
func TestMappingTablesAwayAndBack(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "nc.db")
	if err := SeedDatabase(ctx, path, 3, 2); err != nil {
		t.Fatal(err)
	}
	db, q := serverQuery(t, path)
	if _, err := q.MountsFor(ctx, SharedStorage); err != nil {
		t.Fatal(err)
	}
	if err := TakeMappingTablesAway(ctx, path); err != nil {
		t.Fatal(err)
	}
	if _, err := q.MountsFor(ctx, domain.StorageID(HomeStorage(1))); err == nil {
		t.Fatal("mapping query answered with the tables away")
	}
	if err := gormdb.Ping(ctx, db); err != nil {
		t.Fatalf("ping with the tables away: %v", err)
	}
	if err := TakeMappingTablesAway(ctx, path); err == nil {
		t.Fatal("tables taken away twice")
	}
	if err := BringMappingTablesBack(ctx, path); err != nil {
		t.Fatal(err)
	}
	shared, err := q.MountsFor(ctx, SharedStorage)
	if err != nil {
		t.Fatal(err)
	}
	if users := domain.UsersForPath(shared, "files/x"); len(users) != 2 {
		t.Fatalf("the shared storage reaches %v after the tables came back", users)
	}
}

func TestUserOf(t *testing.T) {
	for in, want := range map[string]int{"user0": 0, "user18999": 18999, "user": -1, "user01": -1, "userx": -1, "bob": -1, "user-1": -1} {
		if got := UserOf(in); got != want {
			t.Errorf("userOf(%q) = %d, want %d", in, got, want)
		}
	}
}

func TestFakeNextcloud(t *testing.T) {
	var versions atomic.Int32
	nc, err := StartNextcloud(func(context.Context) error {
		if versions.Add(1) > 1 {
			return errors.New("redis down")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	get := func(path, login, password string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", nc.URL()+"index.php/apps/notify_push/"+path, nil)
		if login != "" {
			req.SetBasicAuth(login, password)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get("uid", "user42", "pass42"); code != 200 || body != "user42" {
		t.Errorf("good login: %d %q", code, body)
	}
	for _, bad := range [][2]string{{"user42", "pass43"}, {"alice", "alice"}, {"", ""}} {
		if code, _ := get("uid", bad[0], bad[1]); code != http.StatusUnauthorized {
			t.Errorf("login %v: status %d", bad, code)
		}
	}
	if nc.Logins.Load() != 1 || nc.refused.Load() != 3 {
		t.Errorf("counted %d logins, %d refused", nc.Logins.Load(), nc.refused.Load())
	}
	if code, _ := get("test/version", "", ""); code != 200 || versions.Load() != 1 {
		t.Errorf("version: %d after %d calls", code, versions.Load())
	}
	if code, _ := get("test/version", "", ""); code != 500 {
		t.Errorf("version with Redis down: %d", code)
	}
}

// serverQuery opens the seeded database at path as the server does, closed
// with the test, and returns it with the server's own mapping query over it.
func serverQuery(t *testing.T, path string) (*gorm.DB, *gormdb.MountQuery) {
	t.Helper()
	db, closeDB, err := gormdb.Open(context.Background(), "sqlite://"+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(closeDB)
	q, err := gormdb.NewMountQuery(db, TablePrefix, domain.NewCounters())
	if err != nil {
		t.Fatal(err)
	}
	return db, q
}
