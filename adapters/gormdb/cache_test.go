package gormdb

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/notifypush/notify_push/domain"
)

// cacheRig is a MountStore over SQLite with a fake clock and recorded logs.
type cacheRig struct {
	store    *MountStore
	clock    *fakeClock
	counters *domain.Counters
	logs     recorder
	fix      fixture
	gate     *gate
}

func newCacheRig(t testing.TB, opts Options) *cacheRig {
	t.Helper()
	db := openSQLite(t)
	fix := tables(t, db, false)
	opts.Prefix = fix.prefix
	r := &cacheRig{clock: newFakeClock(), counters: domain.NewCounters(), logs: newRecorder(), fix: fix, gate: newGate()}
	if err := db.Callback().Row().Before("gorm:row").Register("test:gate", r.gate.pass); err != nil {
		t.Fatal(err)
	}
	store, err := NewMountStore(db, opts, r.clock, r.counters, slog.New(r.logs))
	if err != nil {
		t.Fatal(err)
	}
	r.store = store
	return r
}

func (r *cacheRig) queries() uint64 { return r.counters.MappingQueries.Load() }

// gate holds every query while it is closed, to catch callers mid-query.
type gate struct {
	closed  atomic.Bool
	entered chan struct{}
	open    chan struct{}
}

func newGate() *gate { return &gate{entered: make(chan struct{}, 1024), open: make(chan struct{})} }

func (g *gate) pass(*gorm.DB) {
	if !g.closed.Load() {
		return
	}
	g.entered <- struct{}{}
	<-g.open
}

// waitEntered waits for a query to reach the closed gate.
func (g *gate) waitEntered(t testing.TB) {
	t.Helper()
	select {
	case <-g.entered:
	case <-time.After(10 * time.Second):
		t.Fatal("no query reached the gate")
	}
}

func (g *gate) release() { g.closed.Store(false); close(g.open) }

// breakDB moves the mounts table away, so that queries fail; repairDB moves it back.
func (r *cacheRig) breakDB(t testing.TB) {
	exec(t, r.fix.db, "ALTER TABLE "+r.fix.prefix+"mounts RENAME TO "+r.fix.prefix+"mounts_away")
}

func (r *cacheRig) repairDB(t testing.TB) {
	exec(t, r.fix.db, "ALTER TABLE "+r.fix.prefix+"mounts_away RENAME TO "+r.fix.prefix+"mounts")
}

func TestCacheLifetimeIsRandomWithinFourToFiveMinutes(t *testing.T) {
	r := newCacheRig(t, Options{})
	start := r.clock.Now()
	const n = 200
	for s := range domain.StorageID(n) {
		mountsFor(t, r.store, s)
	}
	lifetimes := map[time.Duration]bool{}
	r.store.mu.RLock()
	for s, e := range r.store.entries {
		life := e.expires.Sub(start)
		if life < 4*time.Minute || life >= 5*time.Minute {
			t.Errorf("storage %d cached for %v, outside [4m, 5m)", s, life)
		}
		lifetimes[life] = true
	}
	r.store.mu.RUnlock()
	if len(lifetimes) < n/2 {
		t.Errorf("only %d distinct lifetimes among %d entries: not random", len(lifetimes), n)
	}

	r.clock.Advance(4*time.Minute - time.Nanosecond)
	for s := range domain.StorageID(n) {
		mountsFor(t, r.store, s)
	}
	if q := r.queries(); q != n {
		t.Fatalf("%d queries before 4 minutes, want %d", q, n)
	}
	r.clock.Advance(time.Minute)
	for s := range domain.StorageID(n) {
		mountsFor(t, r.store, s)
	}
	if q := r.queries(); q != 2*n {
		t.Fatalf("%d queries after 5 minutes, want %d: one refresh each", q, 2*n)
	}
}

func TestCacheEmptyResultsAreCached(t *testing.T) {
	r := newCacheRig(t, Options{})
	for range 5 {
		if got := mountsFor(t, r.store, 404); len(got) != 0 {
			t.Fatalf("mounts = %v", got)
		}
	}
	if q := r.queries(); q != 1 {
		t.Fatalf("%d queries, want 1", q)
	}
	r.fix.mountAt("alice", 404, 1, "")
	r.clock.Advance(5 * time.Minute)
	mountsFor(t, r.store, 404) // stale and empty, refreshed by this call
	sameMounts(t, mountsFor(t, r.store, 404), domain.Mount{User: "alice"})
	if q := r.queries(); q != 2 {
		t.Fatalf("%d queries, want 2", q)
	}
}

func TestCacheServesStaleRowsWhileOneCallerRefreshes(t *testing.T) {
	r := newCacheRig(t, Options{})
	r.fix.mountAt("alice", 5, 1, "")
	stale := mountsFor(t, r.store, 5)
	r.fix.mountAt("bob", 5, 2, "files/Team")
	r.clock.Advance(5 * time.Minute)

	r.gate.closed.Store(true)
	refreshed := make(chan []domain.Mount)
	go func() {
		mounts, _ := r.store.MountsFor(context.Background(), 5)
		refreshed <- mounts
	}()
	r.gate.waitEntered(t)

	// The refresh is held at the gate: everyone else gets the stale rows at once.
	var wg sync.WaitGroup
	errs := make(chan error, 1000)
	for range 1000 {
		wg.Go(func() {
			got, err := r.store.MountsFor(context.Background(), 5)
			if err != nil || !slices.Equal(got, stale) {
				errs <- errors.New("caller did not get the stale rows")
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if q := r.queries(); q != 2 {
		t.Fatalf("%d queries during the refresh, want 2 (load + one refresh)", q)
	}

	r.gate.release()
	sameMounts(t, <-refreshed, domain.Mount{User: "alice"}, domain.Mount{User: "bob", Root: "files/Team"})
	sameMounts(t, mountsFor(t, r.store, 5), domain.Mount{User: "alice"}, domain.Mount{User: "bob", Root: "files/Team"})
	if q := r.queries(); q != 2 {
		t.Fatalf("%d queries, want 2", q)
	}
}

// concurrently calls MountsFor from n goroutines at once and returns the
// results and the number of callers that failed.
func concurrently(r *cacheRig, n int, storage domain.StorageID) ([][]domain.Mount, int64) {
	results := make([][]domain.Mount, n)
	var failures atomic.Int64
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			m, err := r.store.MountsFor(context.Background(), storage)
			if err != nil {
				failures.Add(1)
			}
			results[i] = m
		})
	}
	close(start)
	wg.Wait()
	return results, failures.Load()
}

func TestCacheThousandCallersOnAbsentEntryQueryOnce(t *testing.T) {
	r := newCacheRig(t, Options{})
	r.fix.mountAt("alice", 5, 1, "")
	results, failures := concurrently(r, 1000, 5)
	if failures > 0 {
		t.Fatalf("%d callers failed", failures)
	}
	for _, m := range results {
		sameMounts(t, m, domain.Mount{User: "alice"})
	}
	if q := r.queries(); q != 1 {
		t.Fatalf("%d queries, want 1", q)
	}
}

func TestCacheThousandCallersHeldOnFirstLoadQueryOnce(t *testing.T) {
	r := newCacheRig(t, Options{})
	r.fix.mountAt("alice", 5, 1, "")
	r.gate.closed.Store(true)
	done := make(chan int64)
	var results [][]domain.Mount
	go func() {
		var failures int64
		results, failures = concurrently(r, 1000, 5)
		done <- failures
	}()
	r.gate.waitEntered(t)
	time.Sleep(50 * time.Millisecond) // let the other callers pile up behind the load
	r.gate.release()
	if failures := <-done; failures > 0 {
		t.Fatalf("%d callers failed", failures)
	}
	for _, m := range results {
		sameMounts(t, m, domain.Mount{User: "alice"})
	}
	if q := r.queries(); q != 1 {
		t.Fatalf("%d queries, want 1", q)
	}
}

func TestCacheThousandCallersOnExpiredEntryQueryOnce(t *testing.T) {
	r := newCacheRig(t, Options{})
	r.fix.mountAt("alice", 5, 1, "")
	mountsFor(t, r.store, 5)
	r.fix.mountAt("bob", 5, 2, "files")
	r.clock.Advance(5 * time.Minute)
	results, failures := concurrently(r, 1000, 5)
	if failures > 0 {
		t.Fatalf("%d callers failed", failures)
	}
	for _, m := range results {
		if len(m) != 1 && len(m) != 2 {
			t.Fatalf("mounts = %v, want the stale or the fresh rows", m)
		}
	}
	if q := r.queries(); q != 2 {
		t.Fatalf("%d queries, want 2 (load + one refresh)", q)
	}
}

func TestCacheFailedRefreshServesStaleRowsAndWaits(t *testing.T) {
	r := newCacheRig(t, Options{})
	r.fix.mountAt("alice", 5, 1, "")
	mountsFor(t, r.store, 5)
	r.breakDB(t)
	r.clock.Advance(5 * time.Minute)

	sameMounts(t, mountsFor(t, r.store, 5), domain.Mount{User: "alice"})
	if q, w := r.queries(), r.logs.count(slog.LevelWarn); q != 2 || w != 1 {
		t.Fatalf("after a failed refresh: %d queries, %d warnings; want 2, 1", q, w)
	}
	if text := r.logs.text(); !strings.Contains(text, "storage=5") {
		t.Errorf("warning does not name the storage: %s", text)
	}
	r.clock.Advance(9 * time.Second)
	for range 10 {
		sameMounts(t, mountsFor(t, r.store, 5), domain.Mount{User: "alice"})
	}
	if q, w := r.queries(), r.logs.count(slog.LevelWarn); q != 2 || w != 1 {
		t.Fatalf("within 10 s: %d queries, %d warnings; want 2, 1", q, w)
	}
	r.clock.Advance(time.Second)
	sameMounts(t, mountsFor(t, r.store, 5), domain.Mount{User: "alice"})
	if q, w := r.queries(), r.logs.count(slog.LevelWarn); q != 3 || w != 1 {
		t.Fatalf("after 10 s: %d queries, %d warnings; want 3, still 1 (one a minute)", q, w)
	}
	// Minutes later three more storages fail: the first failure warns,
	// counting the unlogged one of storage 5; the other two wait.
	r.repairDB(t)
	for s := int64(6); s < 9; s++ {
		r.fix.mountAt("alice", s, s, "")
	}
	for s := domain.StorageID(6); s < 9; s++ {
		mountsFor(t, r.store, s)
	}
	r.breakDB(t)
	r.clock.Advance(5 * time.Minute)
	for s := domain.StorageID(6); s < 9; s++ {
		mountsFor(t, r.store, s)
	}
	if w := r.logs.count(slog.LevelWarn); w != 2 {
		t.Fatalf("three more failures a few minutes later: %d warnings, want 2", w)
	}
	if text := r.logs.text(); !strings.Contains(text, "failed_refreshes=2") {
		t.Errorf("the second warning does not count the failures since the first: %s", text)
	}

	r.repairDB(t)
	r.fix.mountAt("bob", 5, 2, "files")
	r.clock.Advance(10 * time.Second)
	sameMounts(t, mountsFor(t, r.store, 5), domain.Mount{User: "alice"}, domain.Mount{User: "bob", Root: "files"})
	mountsFor(t, r.store, 5)
	if w := r.logs.count(slog.LevelWarn); w != 2 {
		t.Fatalf("after repair: %d warnings, want 2", w)
	}
}

func TestCacheFailedFirstLoadReturnsTheError(t *testing.T) {
	r := newCacheRig(t, Options{})
	r.fix.mountAt("alice", 5, 1, "")
	r.breakDB(t)
	_, err := r.store.MountsFor(testContext(t), 5)
	if err == nil || !strings.HasPrefix(err.Error(), "load mounts of storage 5: ") {
		t.Fatalf("err = %v", err)
	}
	// Errors are not cached: the next call asks again.
	r.repairDB(t)
	sameMounts(t, mountsFor(t, r.store, 5), domain.Mount{User: "alice"})
	if q := r.queries(); q != 2 {
		t.Fatalf("%d queries, want 2", q)
	}
}

func TestCacheRefreshByCancelledCallerDoesNotDelayTheNext(t *testing.T) {
	r := newCacheRig(t, Options{})
	r.fix.mountAt("alice", 5, 1, "")
	mountsFor(t, r.store, 5)
	r.fix.mountAt("bob", 5, 2, "files")
	r.clock.Advance(5 * time.Minute)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	got, err := r.store.MountsFor(ctx, 5)
	if err != nil {
		t.Fatal(err)
	}
	sameMounts(t, got, domain.Mount{User: "alice"})
	if w := r.logs.count(slog.LevelWarn); w != 0 {
		t.Fatalf("%d warnings for a caller that gave up", w)
	}
	sameMounts(t, mountsFor(t, r.store, 5), domain.Mount{User: "alice"}, domain.Mount{User: "bob", Root: "files"})
}

func TestCacheCallerGivingUpLeavesTheLoadToOthers(t *testing.T) {
	r := newCacheRig(t, Options{})
	r.fix.mountAt("alice", 5, 1, "")
	r.gate.closed.Store(true)

	ctx, cancel := context.WithCancel(context.Background())
	first := make(chan error)
	go func() {
		_, err := r.store.MountsFor(ctx, 5)
		first <- err
	}()
	r.gate.waitEntered(t)
	second := make(chan []domain.Mount)
	go func() {
		m, _ := r.store.MountsFor(context.Background(), 5)
		second <- m
	}()

	cancel()
	if err := <-first; !errors.Is(err, context.Canceled) || !strings.HasPrefix(err.Error(), "load mounts of storage 5: ") {
		t.Fatalf("cancelled caller got %v", err)
	}
	r.gate.release()
	sameMounts(t, <-second, domain.Mount{User: "alice"})
	mountsFor(t, r.store, 5)
	if q := r.queries(); q != 1 {
		t.Fatalf("%d queries, want 1", q)
	}
}

func TestCacheEvictsLeastRecentlyUsedBeyondItsBound(t *testing.T) {
	r := newCacheRig(t, Options{MaxCachedStorages: 10})
	for s := range domain.StorageID(10) {
		mountsFor(t, r.store, s)
		r.clock.Advance(2 * time.Second)
	}
	mountsFor(t, r.store, 0) // 0 becomes the most recently used
	r.clock.Advance(2 * time.Second)
	mountsFor(t, r.store, 10) // 11 entries: down to 9, dropping 1 and 2

	r.store.mu.RLock()
	var cached []domain.StorageID
	for s := range r.store.entries {
		cached = append(cached, s)
	}
	r.store.mu.RUnlock()
	slices.Sort(cached)
	if want := []domain.StorageID{0, 3, 4, 5, 6, 7, 8, 9, 10}; !slices.Equal(cached, want) {
		t.Fatalf("cached storages = %v, want %v", cached, want)
	}
}

func TestCacheEvictsIdleEntries(t *testing.T) {
	r := newCacheRig(t, Options{})
	mountsFor(t, r.store, 1)
	r.clock.Advance(2 * time.Hour)
	mountsFor(t, r.store, 2) // a store after sweepEvery sweeps
	r.store.mu.RLock()
	_, kept := r.store.entries[1]
	n := len(r.store.entries)
	r.store.mu.RUnlock()
	if kept || n != 1 {
		t.Fatalf("idle entry kept: %v, %d entries", kept, n)
	}
	mountsFor(t, r.store, 1)
	if q := r.queries(); q != 3 {
		t.Fatalf("%d queries, want 3", q)
	}
}

func TestNewMountStoreRejects(t *testing.T) {
	db := openSQLite(t)
	clock, counters := newFakeClock(), domain.NewCounters()
	if _, err := NewMountStore(db, Options{}, nil, counters, nil); err == nil {
		t.Error("nil clock accepted")
	}
	if _, err := NewMountStore(db, Options{}, clock, nil, nil); err == nil {
		t.Error("nil counters accepted")
	}
	if _, err := NewMountStore(db, Options{Prefix: "oc_;--"}, clock, counters, nil); err == nil {
		t.Error("bad prefix accepted")
	}
	if _, err := NewMountStore(db, Options{MaxCachedStorages: -1}, clock, counters, nil); err == nil {
		t.Error("negative bound accepted")
	}
	if _, err := NewMountStore(db, Options{}, clock, counters, nil); err != nil {
		t.Errorf("defaults refused: %v", err)
	}
}

func TestCacheCachedMountsAnswersFromMemoryOnly(t *testing.T) {
	r := newCacheRig(t, Options{})
	r.fix.mountAt("alice", 5, 1, "")
	if _, _, ok := r.store.CachedMounts(5); ok {
		t.Fatal("a storage never loaded is cached")
	}
	if q := r.queries(); q != 0 {
		t.Fatalf("CachedMounts queried %d times", q)
	}
	mountsFor(t, r.store, 5)
	mounts, refresh, ok := r.store.CachedMounts(5)
	if !ok || refresh {
		t.Fatalf("fresh rows: ok %v, refresh %v", ok, refresh)
	}
	sameMounts(t, mounts, domain.Mount{User: "alice"})

	r.clock.Advance(5 * time.Minute)
	if mounts, refresh, ok := r.store.CachedMounts(5); !ok || !refresh || len(mounts) != 1 {
		t.Fatalf("stale rows: %v, ok %v, refresh %v; want the rows, due for a refresh", mounts, ok, refresh)
	}
	r.gate.closed.Store(true)
	done := make(chan struct{})
	go func() {
		defer close(done)
		mountsFor(t, r.store, 5)
	}()
	r.gate.waitEntered(t)
	if _, refresh, ok := r.store.CachedMounts(5); !ok || refresh {
		t.Fatalf("while another caller refreshes: ok %v, refresh %v; want the rows, no refresh", ok, refresh)
	}
	r.gate.release()
	<-done
	if _, refresh, _ := r.store.CachedMounts(5); refresh {
		t.Fatal("refreshed rows still due for a refresh")
	}
	if q := r.queries(); q != 2 {
		t.Fatalf("%d queries, want 2 (load and refresh)", q)
	}
}

func TestCacheCachedMountsWaitsOutAFailedRefresh(t *testing.T) {
	r := newCacheRig(t, Options{})
	r.fix.mountAt("alice", 5, 1, "")
	mountsFor(t, r.store, 5)
	r.breakDB(t)
	r.clock.Advance(5 * time.Minute)
	mountsFor(t, r.store, 5) // fails, keeps the rows
	if _, refresh, ok := r.store.CachedMounts(5); !ok || refresh {
		t.Fatalf("right after a failed refresh: ok %v, refresh %v", ok, refresh)
	}
	r.clock.Advance(10 * time.Second)
	if _, refresh, ok := r.store.CachedMounts(5); !ok || !refresh {
		t.Fatalf("10 s after a failed refresh: ok %v, refresh %v", ok, refresh)
	}
}

// A refresh that outlives its caller's deadline is the database being too
// slow: like any failure, it is not retried for 10 s.
func TestCacheRefreshPastTheCallersDeadlineWaits(t *testing.T) {
	r := newCacheRig(t, Options{})
	r.fix.mountAt("alice", 5, 1, "")
	mountsFor(t, r.store, 5)
	r.clock.Advance(5 * time.Minute)
	ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	got, err := r.store.MountsFor(ctx, 5)
	if err != nil {
		t.Fatal(err)
	}
	sameMounts(t, got, domain.Mount{User: "alice"})
	if w := r.logs.count(slog.LevelWarn); w != 1 {
		t.Fatalf("%d warnings for a refresh past its deadline, want 1", w)
	}
	r.clock.Advance(9 * time.Second)
	mountsFor(t, r.store, 5)
	if q := r.queries(); q != 2 {
		t.Fatalf("%d queries within 10 s of the timed-out refresh, want 2", q)
	}
}

// A first load runs detached from its caller's cancellation but not beyond
// its deadline, so that no query outlives the wait that asked for it.
func TestCacheLoadEndsWithTheCallersDeadline(t *testing.T) {
	r := newCacheRig(t, Options{})
	r.fix.mountAt("alice", 5, 1, "")
	deadlines := make(chan time.Time, 2)
	err := r.fix.db.Callback().Row().Before("gorm:row").Register("test:deadline", func(db *gorm.DB) {
		d, _ := db.Statement.Context.Deadline()
		deadlines <- d
	})
	if err != nil {
		t.Fatal(err)
	}
	want := time.Now().Add(loadTimeout / 2)
	ctx, cancel := context.WithDeadline(context.Background(), want)
	defer cancel()
	if _, err := r.store.MountsFor(ctx, 5); err != nil {
		t.Fatal(err)
	}
	if got := <-deadlines; !got.Equal(want) {
		t.Fatalf("load's deadline %v, want the caller's %v", got, want)
	}

	start := time.Now()
	if _, err := r.store.MountsFor(context.Background(), 6); err != nil {
		t.Fatal(err)
	}
	if got := <-deadlines; got.Before(start.Add(loadTimeout)) || got.After(time.Now().Add(loadTimeout)) {
		t.Fatalf("load without a caller deadline ends at %v, want %v after the call", got, loadTimeout)
	}
}
