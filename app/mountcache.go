package app

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/notifypush/notify_push/domain"
	"github.com/notifypush/notify_push/ports"
)

const (
	// minLifetime and maxLifetime bound the random lifetime of cached rows
	// (PROTOCOL §5); the spread keeps storages from expiring together.
	minLifetime = 4 * time.Minute
	maxLifetime = 5 * time.Minute
	// retryDelay spaces refreshes of stale rows while the database fails.
	retryDelay = 10 * time.Second
	// refreshWarnEvery spaces the warnings about failed refreshes.
	refreshWarnEvery = time.Minute
	// loadTimeout bounds a first load, which runs detached from the
	// cancellation of the caller that started it, so that a caller giving up
	// fails no other waiter. The caller's deadline, when earlier, bounds it
	// too: the load ends with the wait that asked for it.
	loadTimeout = 15 * time.Second
	// idleEviction: rows not asked for in this long are dropped at a sweep.
	idleEviction = time.Hour
	// sweepEvery spaces sweeps for idle entries.
	sweepEvery = time.Minute
	// touchGranularity limits writes of an entry's last-use time on the hot path.
	touchGranularity = time.Second

	// DefaultMaxCachedStorages bounds the cache when MountCacheOptions leave it 0.
	DefaultMaxCachedStorages = 100_000
)

// MountCacheOptions tune the mapping cache. A zero field takes its default.
type MountCacheOptions struct {
	// MaxStorages bounds the storages cached (DefaultMaxCachedStorages).
	MaxStorages int
}

// MountCache keeps the rows of each storage's mapping (PROTOCOL §5) in memory
// in front of the database's ports.MountStore: the Mapper reads it on the
// event stream, and with its own backoff and workers it is the whole of the
// mapping policy. Build it with NewMountCache; the zero value is useless.
//
// Rows live a random time in [4 min, 5 min). When they expire, the next caller
// refreshes them while concurrent callers keep the stale rows; a storage not
// cached yet is loaded once for all concurrent callers. A failed refresh
// keeps serving the stale rows and is retried no sooner than 10 s later.
// CachedMounts answers from memory only, so that callers that must not wait
// can leave loads and refreshes to a goroutine of their own.
//
// The slices MountsFor returns are shared between callers: read them, never
// modify them.
type MountCache struct {
	db         ports.MountStore // the database, uncached
	clock      ports.Clock
	log        *slog.Logger
	queries    *slog.Logger // upstream's debug lines about each query
	maxEntries int
	loads      singleflight.Group

	mu        sync.RWMutex
	entries   map[domain.StorageID]*entry
	lastSweep time.Time
	// Failed refreshes since the last warning about them: during an outage
	// every busy storage fails once per retryDelay, which would be a line
	// each; one line per refreshWarnEvery says how many there were.
	refreshFailed int
	refreshWarned time.Time
}

// entry is the cached rows of one storage. Its fields other than lastUsed
// are guarded by MountCache.mu.
type entry struct {
	mounts     []domain.Mount // replaced whole, never modified
	expires    time.Time
	retryAt    time.Time // after a failed refresh, none before this
	refreshing bool
	lastUsed   atomic.Int64 // clock time of the last ask, in Unix nanoseconds
}

var _ ports.MountStore = (*MountCache)(nil)

// NewMountCache caches what store answers, on the time of clock. A nil log
// discards.
func NewMountCache(store ports.MountStore, opts MountCacheOptions, clock ports.Clock, log *slog.Logger) (*MountCache, error) {
	if store == nil || clock == nil {
		return nil, errors.New("mount cache: no store or clock")
	}
	if opts.MaxStorages < 0 {
		return nil, fmt.Errorf("mount cache bound %d is negative", opts.MaxStorages)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &MountCache{
		db:         store,
		clock:      clock,
		log:        log,
		queries:    log.With(domain.TargetKey, domain.TargetStorageMapping),
		maxEntries: orDefault(opts.MaxStorages, DefaultMaxCachedStorages),
		entries:    make(map[domain.StorageID]*entry),
	}, nil
}

// MountsFor returns the mounts of storage from the cache, querying the
// database when the storage is not cached or its rows are stale. A failed
// refresh serves the stale rows without an error.
func (s *MountCache) MountsFor(ctx context.Context, storage domain.StorageID) ([]domain.Mount, error) {
	mounts, _, err := s.Load(ctx, storage)
	if err != nil && mounts == nil {
		return nil, err
	}
	return mounts, nil
}

// Load is MountsFor that also says whether the database was asked (asked)
// and how it answered: a failed refresh returns the stale rows and the
// error, so that a caller can tell the database is failing while it serves
// them.
func (s *MountCache) Load(ctx context.Context, storage domain.StorageID) (mounts []domain.Mount, asked bool, err error) {
	now := s.clock.Now()
	s.mu.RLock()
	e := s.entries[storage]
	fresh := false
	if e != nil {
		mounts, fresh = e.mounts, now.Before(e.expires)
	}
	s.mu.RUnlock()

	if e == nil {
		mounts, err = s.load(ctx, storage)
		return mounts, err == nil || ctx.Err() == nil, err
	}
	e.touch(now)
	if fresh {
		return mounts, false, nil
	}
	return s.refresh(ctx, storage, e, now)
}

// CachedMounts returns the rows of storage in the cache, fresh or stale,
// without querying; refresh says that they are stale and that no other
// caller is renewing them nor a failure asks to wait, so that a MountsFor
// call would query now.
func (s *MountCache) CachedMounts(storage domain.StorageID) (mounts []domain.Mount, refresh, ok bool) {
	now := s.clock.Now()
	s.mu.RLock()
	e := s.entries[storage]
	if e == nil {
		s.mu.RUnlock()
		return nil, false, false
	}
	mounts = e.mounts
	stale := !now.Before(e.expires)
	due := stale && !e.refreshing && !now.Before(e.retryAt)
	s.mu.RUnlock()
	e.touch(now)
	return mounts, due, true
}

// refresh renews the stale rows of e if no other caller is doing so and no
// failure asks to wait, and returns the rows to use now, whether it asked
// the database, and the database's error.
func (s *MountCache) refresh(ctx context.Context, storage domain.StorageID, e *entry, now time.Time) ([]domain.Mount, bool, error) {
	s.mu.Lock()
	// Another caller may have refreshed since the read lock was released.
	if now.Before(e.expires) || e.refreshing || now.Before(e.retryAt) {
		mounts := e.mounts
		s.mu.Unlock()
		return mounts, false, nil
	}
	e.refreshing = true
	s.mu.Unlock()

	mounts, err := s.query(ctx, storage)
	done := s.clock.Now()

	s.mu.Lock()
	defer s.mu.Unlock()
	e.refreshing = false
	if err != nil {
		// A caller that gave up is no reason to hold back the next one; a
		// caller's deadline passing is the database being too slow, which is.
		if !errors.Is(ctx.Err(), context.Canceled) {
			e.retryAt = done.Add(retryDelay)
			s.refreshFailed++
			if s.refreshWarned.IsZero() || done.Sub(s.refreshWarned) >= refreshWarnEvery {
				s.log.Warn("refresh of cached storage mappings failed; serving cached rows (logged once a minute)",
					"failed_refreshes", s.refreshFailed, "storage", storage, "retry_in", retryDelay, "err", err)
				s.refreshFailed, s.refreshWarned = 0, done
			}
		}
		return e.mounts, true, err
	}
	e.mounts, e.expires, e.retryAt = mounts, done.Add(lifetime()), time.Time{}
	return mounts, true, nil
}

// query asks the database, with upstream's debug lines around it.
func (s *MountCache) query(ctx context.Context, storage domain.StorageID) ([]domain.Mount, error) {
	debug := s.queries.Enabled(ctx, slog.LevelDebug)
	if debug {
		s.queries.Debug(fmt.Sprintf("querying storage mapping for %d", storage))
	}
	mounts, err := s.db.MountsFor(ctx, storage)
	if debug && err == nil {
		s.queries.Debug(fmt.Sprintf("got storage mappings for %d: %v", storage, mounts))
	}
	if err == nil && !domain.MountsSorted(mounts) {
		// Sorted by user, each update finds its users without a set
		// (domain.AppendUsersForPath). A copy: the store may keep its slice.
		mounts = slices.Clone(mounts)
		domain.SortMounts(mounts)
	}
	return mounts, err
}

// load queries a storage that is not cached, once for all concurrent callers.
func (s *MountCache) load(ctx context.Context, storage domain.StorageID) ([]domain.Mount, error) {
	ch := s.loads.DoChan(strconv.FormatUint(uint64(storage), 10), func() (any, error) {
		// A caller that found no entry may arrive after a finished load stored one.
		s.mu.RLock()
		e := s.entries[storage]
		var mounts []domain.Mount
		if e != nil {
			mounts = e.mounts
		}
		s.mu.RUnlock()
		if e != nil {
			return mounts, nil
		}
		qctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), loadTimeout)
		defer cancel()
		if d, ok := ctx.Deadline(); ok {
			var cancelCaller context.CancelFunc
			qctx, cancelCaller = context.WithDeadline(qctx, d)
			defer cancelCaller()
		}
		mounts, err := s.query(qctx, storage)
		if err != nil {
			return nil, err
		}
		s.store(storage, mounts)
		return mounts, nil
	})
	select {
	case r := <-ch:
		if r.Err != nil {
			return nil, r.Err
		}
		return r.Val.([]domain.Mount), nil
	case <-ctx.Done():
		return nil, fmt.Errorf("load mounts of storage %d: %w", storage, ctx.Err())
	}
}

// store caches the first rows of storage and sweeps the cache when due.
func (s *MountCache) store(storage domain.StorageID, mounts []domain.Mount) {
	now := s.clock.Now()
	e := &entry{mounts: slices.Clip(mounts), expires: now.Add(lifetime())}
	e.lastUsed.Store(now.UnixNano())

	s.mu.Lock()
	defer s.mu.Unlock()
	s.entries[storage] = e
	if len(s.entries) > s.maxEntries || now.Sub(s.lastSweep) >= sweepEvery {
		s.sweepLocked(now)
	}
}

// sweepLocked drops entries idle for idleEviction, then, while the cache is
// over its bound, the least recently used down to nine tenths of it so that
// the next overflow is some way off.
func (s *MountCache) sweepLocked(now time.Time) {
	s.lastSweep = now
	idleSince := now.Add(-idleEviction).UnixNano()
	for id, e := range s.entries {
		if !e.refreshing && e.lastUsed.Load() < idleSince {
			delete(s.entries, id)
		}
	}
	if len(s.entries) <= s.maxEntries {
		return
	}
	type use struct {
		id   domain.StorageID
		last int64
	}
	uses := make([]use, 0, len(s.entries))
	for id, e := range s.entries {
		if !e.refreshing {
			uses = append(uses, use{id, e.lastUsed.Load()})
		}
	}
	slices.SortFunc(uses, func(a, b use) int { return cmp.Compare(a.last, b.last) })
	excess := len(s.entries) - max(s.maxEntries*9/10, 1)
	for _, u := range uses[:min(excess, len(uses))] {
		delete(s.entries, u.id)
	}
}

// touch records an ask at now, at most once per touchGranularity.
func (e *entry) touch(now time.Time) {
	t := now.UnixNano()
	if t-e.lastUsed.Load() >= int64(touchGranularity) {
		e.lastUsed.Store(t)
	}
}

// lifetime draws how long fresh rows stay fresh: [minLifetime, maxLifetime).
func lifetime() time.Duration {
	return minLifetime + rand.N(maxLifetime-minLifetime)
}
