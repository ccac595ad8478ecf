package wiring

import (
	"context"
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/notifypush/notify_push/adapters/demo"
	"github.com/notifypush/notify_push/adapters/gormdb"
	"github.com/notifypush/notify_push/adapters/memory"
	"github.com/notifypush/notify_push/app"
	"github.com/notifypush/notify_push/domain"
	"github.com/notifypush/notify_push/internal/fakeclock"
	"github.com/notifypush/notify_push/internal/testenv"
	"github.com/notifypush/notify_push/ports"
)

// The storage mapping under database trouble and bursts (issues 8 and 9):
// the daemon's event path (in-process bus, dispatcher, mapper, cached mount
// store) over a real database, with a clock the test moves for the cache
// lifetimes and backoffs; lookups time out in real time.

// recordingConn is a client connection that keeps what it is sent.
type recordingConn struct {
	mu    sync.Mutex
	texts []string
}

func (c *recordingConn) Send(m domain.Outgoing) {
	c.mu.Lock()
	c.texts = append(c.texts, m.Text)
	c.mu.Unlock()
}

func (c *recordingConn) Close(domain.CloseReason) {}

// count is how many of the messages received are text.
func (c *recordingConn) count(text string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, t := range c.texts {
		if t == text {
			n++
		}
	}
	return n
}

// mappingRig runs the event path of the daemon over db, tables of prefix.
type mappingRig struct {
	t          *testing.T
	clock      *fakeclock.Clock
	counters   *domain.Counters
	hub        *app.Hub
	bus        *memory.Bus
	dispatcher *app.Dispatcher
	// sent counts the queries sent, failed ones too: mapping_query_count
	// counts only those that answered, as upstream's.
	sent atomic.Uint64
	// back counts the queries that returned, answered or not.
	back atomic.Uint64
}

// countedStore counts each query it passes on.
type countedStore struct {
	next       ports.MountStore
	sent, back *atomic.Uint64
}

func (c countedStore) MountsFor(ctx context.Context, s domain.StorageID) ([]domain.Mount, error) {
	c.sent.Add(1)
	defer c.back.Add(1)
	return c.next.MountsFor(ctx, s)
}

func startMappingRig(t *testing.T, db *gorm.DB, prefix string, opts app.MapperOptions) *mappingRig {
	t.Helper()
	log := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	r := &mappingRig{t: t, clock: fakeclock.New(time.Time{}),
		counters: domain.NewCounters(), bus: memory.NewBus(log)}
	r.hub = app.NewHub(app.HubOptions{DebounceDisable: true}, r.clock, r.counters, log)
	query, err := gormdb.NewMountQuery(db, prefix, r.counters)
	if err != nil {
		t.Fatal(err)
	}
	cache, err := app.NewMountCache(countedStore{next: query, sent: &r.sent, back: &r.back}, app.MountCacheOptions{}, r.clock, log)
	if err != nil {
		t.Fatal(err)
	}
	mapper, err := app.NewMapper(opts, r.hub, cache, r.clock, r.counters, log)
	if err != nil {
		t.Fatal(err)
	}
	instance := app.NewInstance(app.InstanceOptions{ID: "test-1"}, memory.NewInstances(), r.counters, r.clock, log)
	r.dispatcher = app.NewDispatcher(r.bus, instance, r.hub, mapper, memory.NewKeyValue(), app.NewPreAuth(),
		nil, r.clock, r.counters, log)
	daemon := app.NewDaemon(app.Services{mapper, r.dispatcher}, log)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- daemon.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
	return r
}

func (r *mappingRig) connect(user domain.UserID) *recordingConn {
	r.t.Helper()
	c := &recordingConn{}
	if _, err := r.hub.Connect(user, c); err != nil {
		r.t.Fatal(err)
	}
	return c
}

// publish puts an event on the bus, as the app would into Redis.
func (r *mappingRig) publish(channel, payload string) {
	r.t.Helper()
	if err := r.bus.Publish(context.Background(), channel, []byte(payload)); err != nil {
		r.t.Fatal(err)
	}
}

func (r *mappingRig) update(storage domain.StorageID, path string, id domain.FileID) {
	r.t.Helper()
	r.publish(domain.ChannelStorageUpdate, fmt.Sprintf(`{"storage":%d,"path":%q,"file_id":%d}`, storage, path, id))
}

func (r *mappingRig) queries() uint64 { return r.sent.Load() }

// settle waits until every query sent has returned: a lookup still hanging
// when the test moves the clock would fail at the new time, not the old.
func (r *mappingRig) settle() {
	r.t.Helper()
	eventually(r.t, "the queries under way to return", func() bool { return r.back.Load() == r.sent.Load() })
}

func (r *mappingRig) fileMessages() uint64 { return r.counters.MessagesSent(domain.KindFile) }

// eventually waits for cond, failing the test after a minute: arrival is
// what is checked, not how fast.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("still waiting for %s", what)
		}
	}
}

func randomPrefix() string {
	b := make([]byte, 5)
	_, _ = rand.Read(b)
	return "m" + hex.EncodeToString(b) + "_"
}

// nextcloudTables creates Nextcloud's tables under a fresh prefix on db,
// dropped when the test ends.
func nextcloudTables(t *testing.T, db *gorm.DB) string {
	t.Helper()
	prefix := randomPrefix()
	if err := gormdb.CreateNextcloudSchema(context.Background(), db, prefix); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, table := range []string{"mounts", "filecache"} {
			_ = db.Exec("DROP TABLE IF EXISTS " + prefix + table).Error
		}
	})
	return prefix
}

// mountHomes makes storage first+i the home of user u<i>, for i < n.
func mountHomes(t *testing.T, db *gorm.DB, prefix string, first domain.StorageID, n int) {
	t.Helper()
	var files, mounts []string
	var fileArgs, mountArgs []any
	hash := md5.Sum(nil)
	for i := range n {
		storage, id := int64(first)+int64(i), 1_000_000+int64(first)+int64(i)
		files = append(files, "(?, ?, '', ?, -1, '')")
		fileArgs = append(fileArgs, id, storage, hex.EncodeToString(hash[:]))
		mounts = append(mounts, "(?, ?, ?, ?)")
		user := fmt.Sprintf("u%d", i)
		mountArgs = append(mountArgs, storage, id, user, "/"+user+"/")
	}
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{"INSERT INTO " + prefix + "filecache (fileid, storage, path, path_hash, parent, name) VALUES " +
			strings.Join(files, ", "), fileArgs},
		{"INSERT INTO " + prefix + "mounts (storage_id, root_id, user_id, mount_point) VALUES " +
			strings.Join(mounts, ", "), mountArgs},
	} {
		if err := db.Exec(q.sql, q.args...).Error; err != nil {
			t.Fatal(err)
		}
	}
}

func openDB(t *testing.T, raw string) *gorm.DB {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, closeDB, err := gormdb.Open(ctx, raw, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(closeDB)
	return db
}

// databases are the backends the burst tests run on.
func databases() []struct {
	name string
	url  func(t *testing.T) string
} {
	return []struct {
		name string
		url  func(t *testing.T) string
	}{
		{"sqlite", func(t *testing.T) string { return "sqlite://" + filepath.Join(t.TempDir(), "nextcloud.db") }},
		{"postgres", func(t *testing.T) string { return testenv.PostgresURL(t) }},
		{"mariadb", func(t *testing.T) string { return testenv.MySQLURL(t) }},
	}
}

// hungPostgres is the demo world in PostgreSQL behind a proxy the test
// controls, opened (so connected) through it.
func hungPostgres(t *testing.T) (*gorm.DB, string, *testenv.TCPProxy) {
	t.Helper()
	raw := testenv.PostgresURL(t)
	direct := openDB(t, raw)
	prefix := nextcloudTables(t, direct)
	if err := demo.Seed(context.Background(), direct, prefix, demo.Default()); err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	proxy := testenv.StartTCPProxy(t, u.Host)
	u.Host = proxy.Addr
	return openDB(t, u.String()), prefix, proxy
}

// With the database hung, an update of an uncached storage waits for its
// lookup on a worker: an activity and an update of a cached storage
// published right after it are delivered while the lookup still hangs.
func TestMappingHungDatabaseHoldsUpNoOtherEvent(t *testing.T) {
	db, prefix, proxy := hungPostgres(t)
	r := startMappingRig(t, db, prefix, app.MapperOptions{})
	alice, bob, carol := r.connect("alice"), r.connect("bob"), r.connect("carol")
	r.update(10, "files/Team/notes.md", 15) // storage 10 is cached from now on
	eventually(t, "bob's first file message", func() bool { return bob.count("notify_file") == 1 })

	proxy.Hang()
	r.update(3, "files/a.txt", 6) // carol's home: not cached, its lookup hangs
	r.publish(domain.ChannelActivity, `{"user":"alice"}`)
	r.update(10, "files/Team/notes.md", 15)
	eventually(t, "alice's activity", func() bool { return alice.count("notify_activity") == 1 })
	eventually(t, "bob's second file message", func() bool { return bob.count("notify_file") == 2 })

	// The proxy still hangs, so storage 3's lookup cannot have come back:
	// it is asked, it has not failed, carol has nothing yet.
	eventually(t, "storage 3's query", func() bool { return r.queries() >= 2 })
	if n := r.counters.DatabaseErrors.Load(); n != 0 {
		t.Fatalf("the hung lookup already failed (%d errors) before the check", n)
	}
	if q := r.queries(); q != 2 {
		t.Fatalf("%d queries, want 2: the warm-up and the hung lookup", q)
	}
	if n := carol.count("notify_file"); n != 0 {
		t.Fatalf("carol got %d file messages while her storage's lookup hangs", n)
	}
}

// The hung database costs one query per backoff period for a storage,
// however many updates it gets; once the database is back, the storage's
// next update after the backoff is delivered.
func TestMappingHungDatabaseCostsOneQueryPerBackoff(t *testing.T) {
	db, prefix, proxy := hungPostgres(t)
	r := startMappingRig(t, db, prefix, app.MapperOptions{Timeout: 300 * time.Millisecond})
	carol := r.connect("carol")
	proxy.Hang()

	burst := func(dropped uint64) {
		t.Helper()
		for i := range 50 {
			r.update(3, fmt.Sprintf("files/%d.txt", i), domain.FileID(i))
		}
		eventually(t, fmt.Sprintf("%d updates dropped", dropped), func() bool {
			return r.counters.DatabaseErrors.Load() == dropped
		})
	}
	burst(50) // one lookup, hung past its timeout; backoff 5 s
	r.settle()
	if q := r.queries(); q != 1 {
		t.Fatalf("%d queries for 50 updates, want 1", q)
	}
	// Every 5 s (the backoff's start) one lookup asks whether the database
	// is back: the storage's own backoff, or the probe for the updates it
	// dropped. Never more, however many updates arrive.
	for round := uint64(2); round <= 3; round++ {
		r.clock.Advance(5 * time.Second)
		burst(50 * round)
		eventually(t, "the lookup of this round", func() bool { return r.queries() >= round })
		r.settle()
		if q := r.queries(); q != round {
			t.Fatalf("%d queries after %d s, want %d: one per 5 s", q, 5*(round-1), round)
		}
	}
	if n := carol.count("notify_file"); n != 0 {
		t.Fatalf("carol got %d file messages from a hung database", n)
	}

	// Back: the next probe finds storage 3, and carol is told to re-check
	// her files within the debounce (1 s here). The update sent meanwhile is
	// dropped (the storage is still backed off), merged into the probe, or
	// served from the mapping the probe loaded: no further query either way.
	proxy.Forward()
	r.clock.Advance(5 * time.Second)
	r.update(3, "files/back.txt", 7)
	eventually(t, "the resync once the database is back", func() bool {
		return r.counters.Resyncs(domain.ResyncDatabase) == 1
	})
	if n := r.counters.ResyncedClients(domain.ResyncDatabase); n != 1 {
		t.Fatalf("%d clients told to re-check, want 1 (carol)", n)
	}
	// The rig runs no hub loop: the test sends what the debounce holds.
	r.hub.FlushDue(r.clock.Advance(time.Second))
	if n := carol.count("notify_file"); n < 1 {
		t.Fatal("carol was not told to re-check her files once the database was back")
	}
	r.settle()
	if q := r.queries(); q != 4 {
		t.Fatalf("%d queries, want 4", q)
	}
}

// Issue 8: a burst of 10,000 storage updates on 100 storages costs at most
// one query per storage per cache period, through the dispatcher.
func TestMappingBurstCostsOneQueryPerStoragePerCachePeriod(t *testing.T) {
	for _, b := range databases() {
		t.Run(b.name, func(t *testing.T) {
			db := openDB(t, b.url(t))
			prefix := nextcloudTables(t, db)
			const storages, events = 100, 10_000
			mountHomes(t, db, prefix, 500, storages)
			r := startMappingRig(t, db, prefix, app.MapperOptions{})
			for i := range storages {
				r.connect(domain.UserID(fmt.Sprintf("u%d", i)))
			}
			burst := func(round int) {
				t.Helper()
				for i := range events {
					r.update(500+domain.StorageID(i%storages), "files/f.txt", domain.FileID(round*events+i))
				}
				want := uint64((round + 1) * events)
				eventually(t, fmt.Sprintf("%d file messages", want), func() bool { return r.fileMessages() == want })
			}
			// Every storage is loaded once, the other updates wait for that load.
			burst(0)
			if q := r.queries(); q != storages {
				t.Fatalf("%d queries for the first burst, want %d", q, storages)
			}
			// A minute later the rows are fresh: no query at all.
			r.clock.Advance(time.Minute)
			burst(1)
			if q := r.queries(); q != storages {
				t.Fatalf("%d queries within the cache period, want %d", q, storages)
			}
			// Past the lifetime (4 to 5 minutes) each storage is refreshed once,
			// off the event stream, its stale rows served meanwhile.
			r.clock.Advance(5 * time.Minute)
			burst(2)
			eventually(t, "one refresh per storage", func() bool { return r.queries() >= 2*storages })
			burst(3)
			if q := r.queries(); q != 2*storages {
				t.Fatalf("%d queries over two cache periods, want %d", q, 2*storages)
			}
		})
	}
}

// Issue 8: 1,000 concurrent events on one storage at the moment its cache
// entry expires cause exactly one query.
func TestMappingThousandEventsAtExpiryCostOneQuery(t *testing.T) {
	for _, b := range databases() {
		t.Run(b.name, func(t *testing.T) {
			db := openDB(t, b.url(t))
			prefix := nextcloudTables(t, db)
			mountHomes(t, db, prefix, 40, 1)
			r := startMappingRig(t, db, prefix, app.MapperOptions{})
			r.connect("u0")
			r.update(40, "files/f.txt", 1)
			eventually(t, "the first file message", func() bool { return r.fileMessages() == 1 })

			r.clock.Advance(5 * time.Minute)
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i := range 1000 {
				wg.Go(func() {
					<-start
					r.dispatcher.HandleEvent(context.Background(),
						domain.StorageUpdate{Storage: 40, Path: "files/f.txt", FileID: domain.FileID(2 + i)})
				})
			}
			close(start)
			wg.Wait()
			if n := r.fileMessages(); n != 1001 {
				t.Fatalf("%d file messages, want 1001: every event served from the stale rows at once", n)
			}
			eventually(t, "the refresh", func() bool { return r.queries() >= 2 })
			r.update(40, "files/f.txt", 5000)
			eventually(t, "the last file message", func() bool { return r.fileMessages() == 1002 })
			if q := r.queries(); q != 2 {
				t.Fatalf("%d queries, want 2: the load and one refresh for the 1,000 events", q)
			}
		})
	}
}
