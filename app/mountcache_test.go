package app

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/notifypush/notify_push/domain"
	"github.com/notifypush/notify_push/internal/fakeclock"
	"github.com/notifypush/notify_push/internal/testenv"
)

// tableStore is a ports.MountStore over a table in memory that a test can
// break, hold at a gate, and count the queries of: the database behind the
// cache.
type tableStore struct {
	mu      sync.Mutex
	rows    map[domain.StorageID][]domain.Mount
	broken  bool
	queries atomic.Int64
	// seen receives the context of every query, when set.
	seen chan context.Context
	gate *gate
}

func newTableStore() *tableStore {
	return &tableStore{rows: make(map[domain.StorageID][]domain.Mount), gate: newGate()}
}

func (s *tableStore) mountAt(user domain.UserID, storage domain.StorageID, root string) {
	s.mu.Lock()
	s.rows[storage] = append(s.rows[storage], domain.Mount{User: user, Root: root})
	s.mu.Unlock()
}

func (s *tableStore) setBroken(b bool) {
	s.mu.Lock()
	s.broken = b
	s.mu.Unlock()
}

func (s *tableStore) MountsFor(ctx context.Context, storage domain.StorageID) ([]domain.Mount, error) {
	s.queries.Add(1)
	if s.seen != nil {
		s.seen <- ctx
	}
	s.gate.pass()
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("load mounts of storage %d: %w", storage, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.broken {
		return nil, fmt.Errorf("load mounts of storage %d: no such table: oc_mounts", storage)
	}
	return slices.Clone(s.rows[storage]), nil
}

// gate holds every query while it is closed, to catch callers mid-query.
type gate struct {
	closed  atomic.Bool
	entered chan struct{}
	open    chan struct{}
}

func newGate() *gate { return &gate{entered: make(chan struct{}, 1024), open: make(chan struct{})} }

func (g *gate) pass() {
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

// cacheRig is a MountCache over a tableStore with a fake clock and recorded logs.
type cacheRig struct {
	cache *MountCache
	db    *tableStore
	clock *fakeclock.Clock
	logs  *testenv.LogRecorder
}

func newCacheRig(t testing.TB, opts MountCacheOptions) *cacheRig {
	t.Helper()
	r := &cacheRig{db: newTableStore(), clock: fakeclock.New(time.Time{}), logs: testenv.NewLogRecorder()}
	cache, err := NewMountCache(r.db, opts, r.clock, slog.New(r.logs))
	if err != nil {
		t.Fatal(err)
	}
	r.cache = cache
	return r
}

func (r *cacheRig) queries() int64 { return r.db.queries.Load() }

func (r *cacheRig) mountsFor(t testing.TB, storage domain.StorageID) []domain.Mount {
	t.Helper()
	mounts, err := r.cache.MountsFor(context.Background(), storage)
	if err != nil {
		t.Fatalf("MountsFor(%d): %v", storage, err)
	}
	return mounts
}

func sameMounts(t testing.TB, got []domain.Mount, want ...domain.Mount) {
	t.Helper()
	order := func(a, b domain.Mount) int { return cmp.Or(cmp.Compare(a.User, b.User), cmp.Compare(a.Root, b.Root)) }
	g, w := slices.Clone(got), slices.Clone(want)
	slices.SortFunc(g, order)
	slices.SortFunc(w, order)
	if !slices.Equal(g, w) {
		t.Fatalf("mounts = %v, want %v", g, w)
	}
}

func TestCacheLifetimeIsRandomWithinFourToFiveMinutes(t *testing.T) {
	r := newCacheRig(t, MountCacheOptions{})
	start := r.clock.Now()
	const n = 200
	for s := range domain.StorageID(n) {
		r.mountsFor(t, s)
	}
	lifetimes := map[time.Duration]bool{}
	r.cache.mu.RLock()
	for s, e := range r.cache.entries {
		life := e.expires.Sub(start)
		if life < 4*time.Minute || life >= 5*time.Minute {
			t.Errorf("storage %d cached for %v, outside [4m, 5m)", s, life)
		}
		lifetimes[life] = true
	}
	r.cache.mu.RUnlock()
	if len(lifetimes) < n/2 {
		t.Errorf("only %d distinct lifetimes among %d entries: not random", len(lifetimes), n)
	}

	r.clock.Advance(4*time.Minute - time.Nanosecond)
	for s := range domain.StorageID(n) {
		r.mountsFor(t, s)
	}
	if q := r.queries(); q != n {
		t.Fatalf("%d queries before 4 minutes, want %d", q, n)
	}
	r.clock.Advance(time.Minute)
	for s := range domain.StorageID(n) {
		r.mountsFor(t, s)
	}
	if q := r.queries(); q != 2*n {
		t.Fatalf("%d queries after 5 minutes, want %d: one refresh each", q, 2*n)
	}
}

// The cache keeps a storage's rows ordered by user, which lets each update
// find its users without building a set, and leaves the store's slice as
// it was.
func TestCacheKeepsRowsSortedByUser(t *testing.T) {
	rows := []domain.Mount{{User: "carol", Root: "files/b"}, {User: "alice", Root: ""}, {User: "carol", Root: "files/a"}, {User: "bob", Root: "files"}}
	db := sharedRows(rows)
	cache, err := NewMountCache(db, MountCacheOptions{}, fakeclock.New(t0), discard())
	if err != nil {
		t.Fatal(err)
	}
	got, err := cache.MountsFor(context.Background(), 7)
	if err != nil {
		t.Fatal(err)
	}
	want := []domain.Mount{{User: "alice", Root: ""}, {User: "bob", Root: "files"}, {User: "carol", Root: "files/a"}, {User: "carol", Root: "files/b"}}
	if !slices.Equal(got, want) {
		t.Fatalf("cached %v, want %v", got, want)
	}
	if db[0].User != "carol" || db[1].User != "alice" {
		t.Fatalf("the store's own rows were reordered: %v", db)
	}
	if users := domain.UsersForPath(got, "files/a/x"); !slices.Equal(users, []domain.UserID{"alice", "bob", "carol"}) {
		t.Fatalf("users of files/a/x = %v", users)
	}
}

// sharedRows is a store that hands out its own slice, as a store caching
// rows itself might.
type sharedRows []domain.Mount

func (r sharedRows) MountsFor(context.Context, domain.StorageID) ([]domain.Mount, error) {
	return r, nil
}

func TestCacheEmptyResultsAreCached(t *testing.T) {
	r := newCacheRig(t, MountCacheOptions{})
	for range 5 {
		if got := r.mountsFor(t, 404); len(got) != 0 {
			t.Fatalf("mounts = %v", got)
		}
	}
	if q := r.queries(); q != 1 {
		t.Fatalf("%d queries, want 1", q)
	}
	r.db.mountAt("alice", 404, "")
	r.clock.Advance(5 * time.Minute)
	r.mountsFor(t, 404) // stale and empty, refreshed by this call
	sameMounts(t, r.mountsFor(t, 404), domain.Mount{User: "alice"})
	if q := r.queries(); q != 2 {
		t.Fatalf("%d queries, want 2", q)
	}
}

func TestCacheServesStaleRowsWhileOneCallerRefreshes(t *testing.T) {
	r := newCacheRig(t, MountCacheOptions{})
	r.db.mountAt("alice", 5, "")
	stale := r.mountsFor(t, 5)
	r.db.mountAt("bob", 5, "files/Team")
	r.clock.Advance(5 * time.Minute)

	r.db.gate.closed.Store(true)
	refreshed := make(chan []domain.Mount)
	go func() {
		mounts, _ := r.cache.MountsFor(context.Background(), 5)
		refreshed <- mounts
	}()
	r.db.gate.waitEntered(t)

	// The refresh is held at the gate: everyone else gets the stale rows at once.
	var wg sync.WaitGroup
	errs := make(chan error, 1000)
	for range 1000 {
		wg.Go(func() {
			got, err := r.cache.MountsFor(context.Background(), 5)
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

	r.db.gate.release()
	sameMounts(t, <-refreshed, domain.Mount{User: "alice"}, domain.Mount{User: "bob", Root: "files/Team"})
	sameMounts(t, r.mountsFor(t, 5), domain.Mount{User: "alice"}, domain.Mount{User: "bob", Root: "files/Team"})
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
			m, err := r.cache.MountsFor(context.Background(), storage)
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
	r := newCacheRig(t, MountCacheOptions{})
	r.db.mountAt("alice", 5, "")
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
	r := newCacheRig(t, MountCacheOptions{})
	r.db.mountAt("alice", 5, "")
	r.db.gate.closed.Store(true)
	done := make(chan int64)
	var results [][]domain.Mount
	go func() {
		var failures int64
		results, failures = concurrently(r, 1000, 5)
		done <- failures
	}()
	r.db.gate.waitEntered(t)
	time.Sleep(50 * time.Millisecond) // let the other callers pile up behind the load
	r.db.gate.release()
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
	r := newCacheRig(t, MountCacheOptions{})
	r.db.mountAt("alice", 5, "")
	r.mountsFor(t, 5)
	r.db.mountAt("bob", 5, "files")
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
	r := newCacheRig(t, MountCacheOptions{})
	r.db.mountAt("alice", 5, "")
	r.mountsFor(t, 5)
	r.db.setBroken(true)
	r.clock.Advance(5 * time.Minute)

	sameMounts(t, r.mountsFor(t, 5), domain.Mount{User: "alice"})
	if q, w := r.queries(), r.logs.Count(slog.LevelWarn); q != 2 || w != 1 {
		t.Fatalf("after a failed refresh: %d queries, %d warnings; want 2, 1", q, w)
	}
	if text := r.logs.Text(); !strings.Contains(text, "storage=5") {
		t.Errorf("warning does not name the storage: %s", text)
	}
	r.clock.Advance(9 * time.Second)
	for range 10 {
		sameMounts(t, r.mountsFor(t, 5), domain.Mount{User: "alice"})
	}
	if q, w := r.queries(), r.logs.Count(slog.LevelWarn); q != 2 || w != 1 {
		t.Fatalf("within 10 s: %d queries, %d warnings; want 2, 1", q, w)
	}
	r.clock.Advance(time.Second)
	sameMounts(t, r.mountsFor(t, 5), domain.Mount{User: "alice"})
	if q, w := r.queries(), r.logs.Count(slog.LevelWarn); q != 3 || w != 1 {
		t.Fatalf("after 10 s: %d queries, %d warnings; want 3, still 1 (one a minute)", q, w)
	}
	// Minutes later three more storages fail: the first failure warns,
	// counting the unlogged one of storage 5; the other two wait.
	r.db.setBroken(false)
	for s := domain.StorageID(6); s < 9; s++ {
		r.db.mountAt("alice", s, "")
		r.mountsFor(t, s)
	}
	r.db.setBroken(true)
	r.clock.Advance(5 * time.Minute)
	for s := domain.StorageID(6); s < 9; s++ {
		r.mountsFor(t, s)
	}
	if w := r.logs.Count(slog.LevelWarn); w != 2 {
		t.Fatalf("three more failures a few minutes later: %d warnings, want 2", w)
	}
	if text := r.logs.Text(); !strings.Contains(text, "failed_refreshes=2") {
		t.Errorf("the second warning does not count the failures since the first: %s", text)
	}

	r.db.setBroken(false)
	r.db.mountAt("bob", 5, "files")
	r.clock.Advance(10 * time.Second)
	sameMounts(t, r.mountsFor(t, 5), domain.Mount{User: "alice"}, domain.Mount{User: "bob", Root: "files"})
	r.mountsFor(t, 5)
	if w := r.logs.Count(slog.LevelWarn); w != 2 {
		t.Fatalf("after repair: %d warnings, want 2", w)
	}
}

func TestCacheFailedFirstLoadReturnsTheError(t *testing.T) {
	r := newCacheRig(t, MountCacheOptions{})
	r.db.mountAt("alice", 5, "")
	r.db.setBroken(true)
	_, err := r.cache.MountsFor(context.Background(), 5)
	if err == nil || !strings.HasPrefix(err.Error(), "load mounts of storage 5: ") {
		t.Fatalf("err = %v", err)
	}
	// Errors are not cached: the next call asks again.
	r.db.setBroken(false)
	sameMounts(t, r.mountsFor(t, 5), domain.Mount{User: "alice"})
	if q := r.queries(); q != 2 {
		t.Fatalf("%d queries, want 2", q)
	}
}

func TestCacheRefreshByCancelledCallerDoesNotDelayTheNext(t *testing.T) {
	r := newCacheRig(t, MountCacheOptions{})
	r.db.mountAt("alice", 5, "")
	r.mountsFor(t, 5)
	r.db.mountAt("bob", 5, "files")
	r.clock.Advance(5 * time.Minute)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	got, err := r.cache.MountsFor(ctx, 5)
	if err != nil {
		t.Fatal(err)
	}
	sameMounts(t, got, domain.Mount{User: "alice"})
	if w := r.logs.Count(slog.LevelWarn); w != 0 {
		t.Fatalf("%d warnings for a caller that gave up", w)
	}
	sameMounts(t, r.mountsFor(t, 5), domain.Mount{User: "alice"}, domain.Mount{User: "bob", Root: "files"})
}

func TestCacheCallerGivingUpLeavesTheLoadToOthers(t *testing.T) {
	r := newCacheRig(t, MountCacheOptions{})
	r.db.mountAt("alice", 5, "")
	r.db.gate.closed.Store(true)

	ctx, cancel := context.WithCancel(context.Background())
	first := make(chan error)
	go func() {
		_, err := r.cache.MountsFor(ctx, 5)
		first <- err
	}()
	r.db.gate.waitEntered(t)
	second := make(chan []domain.Mount)
	go func() {
		m, _ := r.cache.MountsFor(context.Background(), 5)
		second <- m
	}()

	cancel()
	if err := <-first; !errors.Is(err, context.Canceled) || !strings.HasPrefix(err.Error(), "load mounts of storage 5: ") {
		t.Fatalf("cancelled caller got %v", err)
	}
	r.db.gate.release()
	sameMounts(t, <-second, domain.Mount{User: "alice"})
	r.mountsFor(t, 5)
	if q := r.queries(); q != 1 {
		t.Fatalf("%d queries, want 1", q)
	}
}

func TestCacheEvictsLeastRecentlyUsedBeyondItsBound(t *testing.T) {
	r := newCacheRig(t, MountCacheOptions{MaxStorages: 10})
	for s := range domain.StorageID(10) {
		r.mountsFor(t, s)
		r.clock.Advance(2 * time.Second)
	}
	r.mountsFor(t, 0) // 0 becomes the most recently used
	r.clock.Advance(2 * time.Second)
	r.mountsFor(t, 10) // 11 entries: down to 9, dropping 1 and 2

	r.cache.mu.RLock()
	var cached []domain.StorageID
	for s := range r.cache.entries {
		cached = append(cached, s)
	}
	r.cache.mu.RUnlock()
	slices.Sort(cached)
	if want := []domain.StorageID{0, 3, 4, 5, 6, 7, 8, 9, 10}; !slices.Equal(cached, want) {
		t.Fatalf("cached storages = %v, want %v", cached, want)
	}
}

func TestCacheEvictsIdleEntries(t *testing.T) {
	r := newCacheRig(t, MountCacheOptions{})
	r.mountsFor(t, 1)
	r.clock.Advance(2 * time.Hour)
	r.mountsFor(t, 2) // a store after sweepEvery sweeps
	r.cache.mu.RLock()
	_, kept := r.cache.entries[1]
	n := len(r.cache.entries)
	r.cache.mu.RUnlock()
	if kept || n != 1 {
		t.Fatalf("idle entry kept: %v, %d entries", kept, n)
	}
	r.mountsFor(t, 1)
	if q := r.queries(); q != 3 {
		t.Fatalf("%d queries, want 3", q)
	}
}

func TestNewMountCacheRejects(t *testing.T) {
	db, clock := newTableStore(), fakeclock.New(time.Time{})
	if _, err := NewMountCache(db, MountCacheOptions{}, nil, nil); err == nil {
		t.Error("nil clock accepted")
	}
	if _, err := NewMountCache(nil, MountCacheOptions{}, clock, nil); err == nil {
		t.Error("nil store accepted")
	}
	if _, err := NewMountCache(db, MountCacheOptions{MaxStorages: -1}, clock, nil); err == nil {
		t.Error("negative bound accepted")
	}
	if _, err := NewMountCache(db, MountCacheOptions{}, clock, nil); err != nil {
		t.Errorf("defaults refused: %v", err)
	}
}

func TestCacheCachedMountsAnswersFromMemoryOnly(t *testing.T) {
	r := newCacheRig(t, MountCacheOptions{})
	r.db.mountAt("alice", 5, "")
	if _, _, ok := r.cache.CachedMounts(5); ok {
		t.Fatal("a storage never loaded is cached")
	}
	if q := r.queries(); q != 0 {
		t.Fatalf("CachedMounts queried %d times", q)
	}
	r.mountsFor(t, 5)
	mounts, refresh, ok := r.cache.CachedMounts(5)
	if !ok || refresh {
		t.Fatalf("fresh rows: ok %v, refresh %v", ok, refresh)
	}
	sameMounts(t, mounts, domain.Mount{User: "alice"})

	r.clock.Advance(5 * time.Minute)
	if mounts, refresh, ok := r.cache.CachedMounts(5); !ok || !refresh || len(mounts) != 1 {
		t.Fatalf("stale rows: %v, ok %v, refresh %v; want the rows, due for a refresh", mounts, ok, refresh)
	}
	r.db.gate.closed.Store(true)
	done := make(chan struct{})
	go func() {
		defer close(done)
		r.mountsFor(t, 5)
	}()
	r.db.gate.waitEntered(t)
	if _, refresh, ok := r.cache.CachedMounts(5); !ok || refresh {
		t.Fatalf("while another caller refreshes: ok %v, refresh %v; want the rows, no refresh", ok, refresh)
	}
	r.db.gate.release()
	<-done
	if _, refresh, _ := r.cache.CachedMounts(5); refresh {
		t.Fatal("refreshed rows still due for a refresh")
	}
	if q := r.queries(); q != 2 {
		t.Fatalf("%d queries, want 2 (load and refresh)", q)
	}
}

func TestCacheCachedMountsWaitsOutAFailedRefresh(t *testing.T) {
	r := newCacheRig(t, MountCacheOptions{})
	r.db.mountAt("alice", 5, "")
	r.mountsFor(t, 5)
	r.db.setBroken(true)
	r.clock.Advance(5 * time.Minute)
	r.mountsFor(t, 5) // fails, keeps the rows
	if _, refresh, ok := r.cache.CachedMounts(5); !ok || refresh {
		t.Fatalf("right after a failed refresh: ok %v, refresh %v", ok, refresh)
	}
	r.clock.Advance(10 * time.Second)
	if _, refresh, ok := r.cache.CachedMounts(5); !ok || !refresh {
		t.Fatalf("10 s after a failed refresh: ok %v, refresh %v", ok, refresh)
	}
}

// A refresh that outlives its caller's deadline is the database being too
// slow: like any failure, it is not retried for 10 s.
func TestCacheRefreshPastTheCallersDeadlineWaits(t *testing.T) {
	r := newCacheRig(t, MountCacheOptions{})
	r.db.mountAt("alice", 5, "")
	r.mountsFor(t, 5)
	r.clock.Advance(5 * time.Minute)
	ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	got, err := r.cache.MountsFor(ctx, 5)
	if err != nil {
		t.Fatal(err)
	}
	sameMounts(t, got, domain.Mount{User: "alice"})
	if w := r.logs.Count(slog.LevelWarn); w != 1 {
		t.Fatalf("%d warnings for a refresh past its deadline, want 1", w)
	}
	r.clock.Advance(9 * time.Second)
	r.mountsFor(t, 5)
	if q := r.queries(); q != 2 {
		t.Fatalf("%d queries within 10 s of the timed-out refresh, want 2", q)
	}
}

// A first load runs detached from its caller's cancellation but not beyond
// its deadline, so that no query outlives the wait that asked for it.
func TestCacheLoadEndsWithTheCallersDeadline(t *testing.T) {
	r := newCacheRig(t, MountCacheOptions{})
	r.db.mountAt("alice", 5, "")
	r.db.seen = make(chan context.Context, 2)
	want := time.Now().Add(loadTimeout / 2)
	ctx, cancel := context.WithDeadline(context.Background(), want)
	defer cancel()
	if _, err := r.cache.MountsFor(ctx, 5); err != nil {
		t.Fatal(err)
	}
	if got, _ := (<-r.db.seen).Deadline(); !got.Equal(want) {
		t.Fatalf("load's deadline %v, want the caller's %v", got, want)
	}

	start := time.Now()
	if _, err := r.cache.MountsFor(context.Background(), 6); err != nil {
		t.Fatal(err)
	}
	if got, _ := (<-r.db.seen).Deadline(); got.Before(start.Add(loadTimeout)) || got.After(time.Now().Add(loadTimeout)) {
		t.Fatalf("load without a caller deadline ends at %v, want %v after the call", got, loadTimeout)
	}
}
