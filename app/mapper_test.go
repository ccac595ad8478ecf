package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang/mock/gomock"

	"github.com/notifypush/notify_push/domain"
)

// runQueued runs the lookups waiting in m on the test's goroutine, as a
// worker would, until none waits, and returns how many ran.
func runQueued(m *Mapper) int {
	for n := 0; ; n++ {
		select {
		case s := <-m.queue:
			m.lookUp(context.Background(), s)
		default:
			return n
		}
	}
}

// withMapper replaces the fixture's mapper by one with opts.
func (f *fixture) withMapper(t *testing.T, opts MapperOptions) {
	t.Helper()
	m, err := NewMapper(opts, f.hub, f.mounts, f.clock, f.counters, discard())
	if err != nil {
		t.Fatal(err)
	}
	f.mapper, f.dispatcher.mapper = m, m
}

// uncached makes every storage without an expectation of its own absent
// from the cache.
func (f *fixture) uncached() {
}

func update(storage domain.StorageID, path string, id domain.FileID) domain.StorageUpdate {
	return domain.StorageUpdate{Storage: storage, Path: path, FileID: id}
}

func TestMapperDeliversCachedUpdatesWithoutLookup(t *testing.T) {
	f := newFixture(t, HubOptions{DebounceDisable: true})
	s, r := f.connect(t, "alice")
	s.ListenFileIDs()
	// No MountsFor expectation: a call would fail the test.
	f.cached(t, 5, []domain.Mount{{User: "alice"}}...)
	f.handle(update(5, "files/x", 7))
	eq(t, "cached", r.Texts(), []string{"notify_file_id [7]"})
	if n := runQueued(f.mapper); n != 0 {
		t.Fatalf("%d lookups queued for a cached storage", n)
	}
}

func TestMapperMergesUpdatesWaitingForOneLookup(t *testing.T) {
	f := newFixture(t, HubOptions{})
	sa, ra := f.connect(t, "alice")
	sa.ListenFileIDs()
	sb, rb := f.connect(t, "bob")
	sb.ListenFileIDs()
	_, rc := f.connect(t, "carol")
	f.db.EXPECT().MountsFor(gomock.Any(), domain.StorageID(7)).Return([]domain.Mount{
		{User: "alice", Root: ""}, {User: "bob", Root: "files/b"}, {User: "carol", Root: "files/c"},
	}, nil).Times(1)
	for _, u := range []domain.StorageUpdate{
		update(7, "files/a/1.txt", 1), update(7, "files/b/2.txt", 2), update(7, "files/a/1.txt", 1),
		update(7, "files/b/3.txt", 3), update(7, "files/a/4.txt", 4),
	} {
		f.handle(u)
	}
	f.hub.FlushDue(t0.Add(time.Hour))
	eq(t, "nothing before the rows", ra.Texts(), nil)
	if n := runQueued(f.mapper); n != 1 {
		t.Fatalf("%d lookups for five updates of one storage, want 1", n)
	}
	f.hub.FlushDue(t0.Add(time.Hour))
	eq(t, "alice sees the whole storage", ra.Texts(), []string{"notify_file_id [1,2,3,4]"})
	eq(t, "bob sees files/b", rb.Texts(), []string{"notify_file_id [2,3]"})
	eq(t, "carol sees none of it", rc.Texts(), nil)
	if n := f.counters.DatabaseErrors.Load(); n != 0 {
		t.Fatalf("database errors = %d", n)
	}
}

func TestMapperHungLookupHoldsUpNothingElse(t *testing.T) {
	f := newFixture(t, HubOptions{DebounceDisable: true})
	_, ra := f.connect(t, "alice")
	_, rb := f.connect(t, "bob")
	_, rc := f.connect(t, "carol")
	entered, released := make(chan struct{}), make(chan struct{})
	f.cached(t, 10, []domain.Mount{{User: "bob"}}...)
	f.db.EXPECT().MountsFor(gomock.Any(), domain.StorageID(3)).DoAndReturn(
		func(ctx context.Context, _ domain.StorageID) ([]domain.Mount, error) {
			close(entered)
			<-released // hung until the test ends it
			return nil, errors.New("gave up")
		})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.mapper.Run(ctx) }()

	f.handle(update(3, "files/x", 1))
	<-entered
	f.handle(domain.Activity{User: "alice"})
	f.handle(update(10, "files/y", 2))
	// Both went out while the lookup is still held.
	eq(t, "activity", ra.Texts(), []string{"notify_activity"})
	eq(t, "cached storage", rb.Texts(), []string{"notify_file"})

	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	close(released)
	eq(t, "the hung storage's user", rc.Texts(), nil)
	if n := f.counters.DatabaseErrors.Load(); n != 0 {
		t.Fatalf("shutting down counted %d database errors", n)
	}
}

// failingMounts counts lookups, which fail while fail is set and otherwise
// return rows.
type failingMounts struct {
	fail  atomic.Bool
	calls atomic.Int64
	rows  []domain.Mount
}

func (m *failingMounts) MountsFor(context.Context, domain.StorageID) ([]domain.Mount, error) {
	m.calls.Add(1)
	if m.fail.Load() {
		return nil, errors.New("database down")
	}
	return m.rows, nil
}

func TestMapperBackoffGrowsToItsBoundAndResetsOnSuccess(t *testing.T) {
	f := newFixture(t, HubOptions{DebounceDisable: true})
	_, r := f.connect(t, "alice")
	db := &failingMounts{rows: []domain.Mount{{User: "alice"}}}
	db.fail.Store(true)
	f.db.EXPECT().MountsFor(gomock.Any(), gomock.Any()).DoAndReturn(db.MountsFor).AnyTimes()

	// An update every 100 ms; the lookups happen when each backoff ends.
	at := func(d time.Duration) {
		f.clock.Set(t0.Add(d))
		f.handle(update(3, "files/x", 1))
		runQueued(f.mapper)
	}
	var lookups []time.Duration
	for d := time.Duration(0); d <= 3*time.Minute; d += 100 * time.Millisecond {
		before := db.calls.Load()
		at(d)
		if db.calls.Load() > before {
			lookups = append(lookups, d)
		}
	}
	// 5, 10, 20, 40, then 60 s at most.
	want := []time.Duration{0, 5 * time.Second, 15 * time.Second, 35 * time.Second, 75 * time.Second,
		135 * time.Second}
	if fmt.Sprint(lookups) != fmt.Sprint(want) {
		t.Fatalf("lookups at %v, want %v", lookups, want)
	}
	if n, events := f.counters.DatabaseErrors.Load(), uint64(1801); n != events {
		t.Fatalf("database errors = %d, want one per dropped update (%d)", n, events)
	}

	// Back: the next update after the backoff is delivered, and the backoff
	// is forgotten: a later failure starts again at 5 s. (The storage is
	// cached from now on, so only its eviction could show that from outside.)
	db.fail.Store(false)
	at(4 * time.Minute)
	eq(t, "after the database is back", r.Texts(), []string{"notify_file"})
	f.mapper.mu.Lock()
	_, backingOff := f.mapper.failures[3]
	f.mapper.mu.Unlock()
	if backingOff {
		t.Fatal("the storage still backs off after a successful lookup")
	}
}

// While lookups time out, one asks the database at a time and the others
// fail at once, so that a hung database holds at most one worker. A refresh
// that takes its whole timeout (serving the stale rows) tells the same.
func TestMapperAsksAHungDatabaseOneLookupAtATime(t *testing.T) {
	for _, refresh := range []bool{false, true} {
		t.Run(fmt.Sprintf("refresh=%v", refresh), func(t *testing.T) {
			f := newFixture(t, HubOptions{DebounceDisable: true})
			f.withMapper(t, MapperOptions{Timeout: 10 * time.Millisecond})
			_, r := f.connect(t, "alice")
			rows := []domain.Mount{{User: "alice"}}
			var dropped uint64 = 1 // storage 3's update
			if refresh {
				f.stale(t, 1, rows...)
			} else {
				dropped++ // storage 1's update too
			}
			f.db.EXPECT().MountsFor(gomock.Any(), domain.StorageID(1)).DoAndReturn(
				func(ctx context.Context, _ domain.StorageID) ([]domain.Mount, error) {
					<-ctx.Done()
					if refresh {
						return rows, nil // the store's stale rows
					}
					return nil, fmt.Errorf("load: %w", ctx.Err())
				})
			f.handle(update(1, "files/x", 1))
			runQueued(f.mapper) // takes its whole timeout: the database hangs
			// The hung first load winds down on its own goroutine; a later
			// load of storage 1 must not join it. Joining it here waits for it.
			f.mounts.loads.Do("1", func() (any, error) { return nil, nil })

			// Storage 2's lookup asks the database and is held there; storage
			// 3's, meanwhile, fails without asking (a call would fail the test).
			asking, release := make(chan struct{}), make(chan struct{})
			f.db.EXPECT().MountsFor(gomock.Any(), domain.StorageID(2)).DoAndReturn(
				func(context.Context, domain.StorageID) ([]domain.Mount, error) {
					close(asking)
					<-release
					return rows, nil
				})
			f.handle(update(2, "files/x", 2))
			f.handle(update(3, "files/x", 3))
			done := make(chan struct{})
			go func() {
				defer close(done)
				f.mapper.lookUp(context.Background(), <-f.mapper.queue)
			}()
			<-asking
			if n := runQueued(f.mapper); n != 1 {
				t.Fatalf("%d lookups ran beside the probe, want 1", n)
			}
			if n := f.counters.DatabaseErrors.Load(); n != dropped {
				t.Fatalf("database errors = %d, want %d", n, dropped)
			}
			// The probe answers: the storages whose updates were dropped (3,
			// and 1 unless its rows were served) are looked up to tell their users.
			f.db.EXPECT().MountsFor(gomock.Any(), domain.StorageID(3)).Return(rows, nil)
			missed := 1
			if !refresh {
				f.db.EXPECT().MountsFor(gomock.Any(), domain.StorageID(1)).Return(rows, nil)
				missed++
			}
			close(release)
			<-done
			if n := runQueued(f.mapper); n != missed {
				t.Fatalf("%d lookups after the probe answered, want %d (the dropped storages)", n, missed)
			}
			if n := f.counters.Resyncs(domain.ResyncDatabase); n != 1 {
				t.Fatalf("%d resyncs after the database answered, want 1", n)
			}
			before := len(r.Texts())
			if before == 0 {
				t.Fatal("the probe's update was not delivered")
			}

			// The probe answered: lookups ask the database again.
			f.db.EXPECT().MountsFor(gomock.Any(), domain.StorageID(4)).Return(rows, nil)
			f.handle(update(4, "files/x", 4))
			runQueued(f.mapper)
			if n := len(r.Texts()); n != before+1 {
				t.Fatalf("%d messages after the probe, want %d", n, before+1)
			}
		})
	}
}

func TestMapperDropsUpdatesBeyondThePendingStorages(t *testing.T) {
	f := newFixture(t, HubOptions{DebounceDisable: true})
	f.withMapper(t, MapperOptions{MaxPendingStorages: 3})
	var logs strings.Builder
	f.mapper.log = slog.New(slog.NewTextHandler(&logs, nil))
	_, r := f.connect(t, "alice")
	f.stale(t, 9, []domain.Mount{{User: "alice"}}...)
	// Three lookups fit; once they succeed, the three dropped storages are
	// looked up too, to tell their users.
	f.db.EXPECT().MountsFor(gomock.Any(), gomock.Any()).Return([]domain.Mount{{User: "alice"}}, nil).Times(6)
	for s := range domain.StorageID(6) {
		f.handle(update(s, "files/x", 1))
	}
	// Storage 9's rows are stale and due: served, but no refresh fits.
	f.handle(update(9, "files/x", 1))
	if n := f.counters.DatabaseErrors.Load(); n != 3 {
		t.Fatalf("database errors = %d, want 3 (storages 3, 4 and 5)", n)
	}
	if n := strings.Count(logs.String(), "too many storages wait"); n != 1 {
		t.Fatalf("%d backlog warnings, want 1:\n%s", n, logs.String())
	}
	if n := runQueued(f.mapper); n != 6 {
		t.Fatalf("%d lookups, want 6 (storages 0-2, then the dropped 3-5)", n)
	}
	if n := len(r.Texts()); n != 4 {
		t.Fatalf("%d messages, want 4 (storages 0-2 and the stale 9)", n)
	}
	// The dropped storages' user re-checks once, through the debounce.
	f.hub.FlushDue(t0.Add(time.Hour))
	eq(t, "after the resync", r.Texts()[4:], []string{"notify_file"})
	if n, told := f.counters.Resyncs(domain.ResyncDatabase), f.counters.ResyncedClients(domain.ResyncDatabase); n != 1 || told != 3 {
		t.Fatalf("%d resyncs telling %d clients, want 1 telling 3 (alice, once per storage)", n, told)
	}
}

func TestMapperRefreshesStaleRowsOnceOffTheEventStream(t *testing.T) {
	f := newFixture(t, HubOptions{DebounceDisable: true})
	_, r := f.connect(t, "alice")
	stale := []domain.Mount{{User: "alice"}}
	f.stale(t, 5, stale...)
	f.db.EXPECT().MountsFor(gomock.Any(), domain.StorageID(5)).Return(stale, nil).Times(1)
	for range 3 {
		f.handle(update(5, "files/x", 1))
	}
	eq(t, "stale rows served at once", r.Texts(), []string{"notify_file", "notify_file", "notify_file"})
	if n := runQueued(f.mapper); n != 1 {
		t.Fatalf("%d refreshes, want 1", n)
	}
}

func TestMapperDegradesToUnknownIDsBeyondTheBound(t *testing.T) {
	f := newFixture(t, HubOptions{})
	users := []domain.UserID{"alice", "bob", "carol", "dave", "erin"}
	recs := map[domain.UserID]*recorder{}
	for _, u := range users {
		s, r := f.connect(t, u)
		s.ListenFileIDs()
		recs[u] = r
	}
	f.db.EXPECT().MountsFor(gomock.Any(), domain.StorageID(1)).Return([]domain.Mount{
		{User: "alice", Root: ""},                // sees everything
		{User: "bob", Root: "files/exact/7.txt"}, // one file among the kept ones
		{User: "carol", Root: "files/over/3"},    // under the overflow's prefix
		{User: "dave", Root: "files/other"},      // outside both
		{User: "erin", Root: "files/exact/9x"},   // no kept path, not under the prefix
	}, nil)
	for i := range domain.MaxPendingFileIDs {
		f.handle(update(1, fmt.Sprintf("files/exact/%d.txt", i), domain.FileID(i)))
	}
	for i := range 10 {
		f.handle(update(1, fmt.Sprintf("files/over/%d", i), domain.FileID(100000+i)))
	}
	if got := f.mapper.files; got != domain.MaxPendingFileIDs {
		t.Fatalf("%d changes held, want %d", got, domain.MaxPendingFileIDs)
	}
	runQueued(f.mapper)
	f.hub.FlushDue(t0.Add(time.Hour))
	eq(t, "alice", recs["alice"].Texts(), []string{"notify_file"})
	eq(t, "bob", recs["bob"].Texts(), []string{"notify_file_id [7]"})
	eq(t, "carol", recs["carol"].Texts(), []string{"notify_file"})
	eq(t, "dave", recs["dave"].Texts(), nil)
	eq(t, "erin", recs["erin"].Texts(), nil)
	if f.mapper.files != 0 {
		t.Fatalf("%d changes still counted after delivery", f.mapper.files)
	}
}

func TestMapperHoldsEachChangeOnce(t *testing.T) {
	f := newFixture(t, HubOptions{})
	s, r := f.connect(t, "alice")
	s.ListenFileIDs()
	f.db.EXPECT().MountsFor(gomock.Any(), domain.StorageID(1)).Return([]domain.Mount{{User: "alice"}}, nil)
	var want []string
	for round := range 3 { // past linearChanges, the lookup keeps a set
		for i := range 2 * linearChanges {
			f.handle(update(1, fmt.Sprintf("files/%d", i), domain.FileID(i)))
			if round == 0 {
				want = append(want, fmt.Sprint(i))
			}
		}
	}
	if f.mapper.files != 2*linearChanges {
		t.Fatalf("%d changes held, want %d", f.mapper.files, 2*linearChanges)
	}
	runQueued(f.mapper)
	f.hub.FlushDue(t0.Add(time.Hour))
	eq(t, "each id once", r.Texts(), []string{"notify_file_id [" + strings.Join(want, ",") + "]"})
}

func TestMapperBoundsTheChangesOfAllStoragesTogether(t *testing.T) {
	f := newFixture(t, HubOptions{})
	f.withMapper(t, MapperOptions{MaxPendingFiles: 2})
	s, r := f.connect(t, "alice")
	s.ListenFileIDs()
	f.db.EXPECT().MountsFor(gomock.Any(), gomock.Any()).Return([]domain.Mount{{User: "alice"}}, nil).Times(2)
	f.handle(update(1, "files/a", 1))
	f.handle(update(1, "files/b", 2))
	f.handle(update(2, "files/c", 3)) // no room left: ids unknown
	if f.mapper.files != 2 {
		t.Fatalf("%d changes held, want 2", f.mapper.files)
	}
	runQueued(f.mapper)
	f.hub.FlushDue(t0.Add(time.Hour))
	eq(t, "one slot for both storages", r.Texts(), []string{"notify_file"})
}

func TestMapperForgetsExpiredFailuresFirstBeyondItsBound(t *testing.T) {
	f := newFixture(t, HubOptions{})
	m := f.mapper
	now := t0.Add(time.Hour)
	for s := range domain.StorageID(maxRememberedFailures) {
		until := now.Add(time.Second) // still backing off
		if s%2 == 0 {
			until = now.Add(-time.Second)
		}
		m.failures[s] = failure{until: until, delay: 5 * time.Second}
	}
	m.failedLocked(maxRememberedFailures, errors.New("down"), now)
	if n := len(m.failures); n != maxRememberedFailures/2+1 {
		t.Fatalf("%d failures remembered, want %d", n, maxRememberedFailures/2+1)
	}
	for s, fl := range m.failures {
		if s != maxRememberedFailures && !now.Before(fl.until) {
			t.Fatalf("expired failure of storage %d kept", s)
		}
	}
}

func TestMapperConcurrentUpdatesQueueOneLookupPerStorage(t *testing.T) {
	f := newFixture(t, HubOptions{})
	f.db.EXPECT().MountsFor(gomock.Any(), gomock.Any()).Return(nil, nil).Times(10)
	var wg sync.WaitGroup
	for i := range 1000 {
		wg.Go(func() { f.handle(update(domain.StorageID(i%10), "files/x", domain.FileID(i))) })
	}
	wg.Wait()
	if n := runQueued(f.mapper); n != 10 {
		t.Fatalf("%d lookups for 10 storages, want 10", n)
	}
}

func TestNewMapperRejects(t *testing.T) {
	f := newFixture(t, HubOptions{})
	for _, opts := range []MapperOptions{
		{Workers: -1}, {Timeout: -time.Second}, {MinBackoff: -1}, {MaxPendingStorages: -1}, {MaxPendingFiles: -1},
		{MaxMissedStorages: -1}, {MinBackoff: time.Minute, MaxBackoff: time.Second},
	} {
		if _, err := NewMapper(opts, f.hub, f.mounts, f.clock, f.counters, nil); err == nil {
			t.Errorf("%+v accepted", opts)
		}
	}
	if _, err := NewMapper(MapperOptions{}, f.hub, nil, f.clock, f.counters, nil); err == nil {
		t.Error("no mount cache accepted")
	}
	m, err := NewMapper(MapperOptions{}, f.hub, f.mounts, f.clock, f.counters, nil)
	if err != nil {
		t.Fatal(err)
	}
	if m.opts != (MapperOptions{Workers: 4, Timeout: 10 * time.Second, MinBackoff: 5 * time.Second,
		MaxBackoff: time.Minute, MaxPendingStorages: 65536, MaxPendingFiles: 131072, MaxMissedStorages: 65536}) {
		t.Fatalf("defaults %+v", m.opts)
	}
}
