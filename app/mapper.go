package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/notifypush/notify_push/domain"
	"github.com/notifypush/notify_push/ports"
)

// MapperOptions tune how storage updates wait for their mapping. A zero field
// takes its default.
type MapperOptions struct {
	// Workers is how many lookups may run at once (DefaultMappingWorkers).
	Workers int
	// Timeout bounds one lookup (DefaultMappingTimeout).
	Timeout time.Duration
	// After a failed lookup the storage is not asked for again for
	// MinBackoff, after each further failure in a row twice as long as the
	// last time, up to MaxBackoff (DefaultMinBackoff, DefaultMaxBackoff).
	MinBackoff, MaxBackoff time.Duration
	// MaxPendingStorages bounds the storages waiting for a lookup
	// (DefaultMaxPendingStorages); updates of further ones are dropped.
	MaxPendingStorages int
	// MaxPendingFiles bounds the changes held for all waiting storages
	// together (DefaultMaxPendingFiles); one storage holds at most
	// domain.MaxPendingFileIDs. Beyond, changes lose their file ids.
	MaxPendingFiles int
	// MaxMissedStorages bounds the storages remembered for a resync after
	// their updates were dropped (DefaultMaxMissedStorages); beyond, every
	// client is told to re-check its files once the database answers.
	MaxMissedStorages int
}

// Defaults of MapperOptions.
const (
	// DefaultMappingWorkers leaves most of the database pool (10
	// connections) to the self-test and health checks.
	DefaultMappingWorkers = 4
	DefaultMappingTimeout = 10 * time.Second
	DefaultMinBackoff     = 5 * time.Second
	DefaultMaxBackoff     = time.Minute
	// DefaultMaxPendingStorages lets every home storage of a large install
	// wait at once after a start with the cache cold; a waiting storage
	// costs about 200 bytes.
	DefaultMaxPendingStorages = 64 * 1024
	// DefaultMaxPendingFiles: a change held is a path and an id, about 150
	// bytes.
	DefaultMaxPendingFiles = 128 * 1024
	// DefaultMaxMissedStorages: a storage id in a set, under 50 bytes.
	DefaultMaxMissedStorages = 64 * 1024
)

// linearChanges is how many changes a lookup dedupes by scanning before it
// keeps a set.
const linearChanges = 16

// maxRememberedFailures bounds the failures the mapper remembers; past it
// the oldest-expired are forgotten first.
const maxRememberedFailures = 10_000

// Mapper turns storage updates into file deliveries to the users who see the
// changed path. An update whose storage's mapping is cached is delivered at
// once on the caller's goroutine; the others wait, merged per storage, for a
// lookup on one of a few workers, so that a slow or hung database never holds
// up the event stream. A storage whose lookup failed is not looked up again
// for a while (MapperOptions.MinBackoff) and its updates are dropped
// meanwhile. While lookups time out, only one at a time asks the database and
// the others fail at once, so that a hung database does not keep every
// worker waiting out its timeout.
//
// No dropped update goes unnoticed: the storage is remembered (missed), and
// once the database answers again (any successful query, which also ends
// every storage's backoff, or the Mapper's own probe of a missed storage
// every MinBackoff) the users of each missed storage are told notify_file
// once, as a resync. Build it with NewMapper and Run it.
type Mapper struct {
	opts     MapperOptions
	hub      *Hub
	mounts   *MountCache
	clock    ports.Clock
	counters *domain.Counters
	log      *slog.Logger
	dropped  *domain.LogLimiter // one "dropped" warning per storage per minute
	// queue holds each waiting storage once; it never fills, as it has room
	// for MaxPendingStorages.
	queue chan domain.StorageID
	// userBufs holds the user lists of cached updates: a storage shared
	// with thousands would otherwise allocate one per update.
	userBufs sync.Pool

	mu       sync.Mutex
	pending  map[domain.StorageID]*lookup // queued or running
	files    int                          // changes held in pending
	failures map[domain.StorageID]failure
	// hung says why, when the last lookup to finish took its whole
	// timeout; probing says that a lookup is asking the database meanwhile.
	hung    error
	probing bool
	// missed holds the storages whose updates were dropped, until their
	// users are told; missedAll says the set overflowed: everyone is told.
	missed    map[domain.StorageID]struct{}
	missedAll bool
	// recovering counts the missed storages looked up since the database
	// answered again; nil when no recovery is under way.
	recovering *recovery
}

// lookup is what waits for the mapping of one storage: the updates that
// arrived meanwhile, merged.
type lookup struct {
	events int                     // updates merged in, for the counters
	files  []fileChange            // distinct changes in arrival order
	seen   map[fileChange]struct{} // files as a set, once past linearChanges
	// overflow: changes beyond the bounds were merged into prefix, the
	// longest common prefix of their paths, without their ids.
	overflow bool
	prefix   string
	// missed: updates of the storage were dropped earlier; once loaded,
	// every user of the storage is told to re-check its files.
	missed bool
}

type fileChange struct {
	path string
	id   domain.FileID
}

// failure is a storage's last failed lookup.
type failure struct {
	until time.Time     // no lookup before
	delay time.Duration // the backoff that ends at until
	err   error
}

// backlogKey is the log limiter's key for updates dropped because too many
// storages wait for a lookup.
type backlogKey struct{}

// NewMapper wires the storage mapping use case over mounts.
func NewMapper(opts MapperOptions, hub *Hub, mounts *MountCache, clock ports.Clock, counters *domain.Counters,
	log *slog.Logger) (*Mapper, error) {
	if hub == nil || mounts == nil || clock == nil || counters == nil {
		return nil, errors.New("mapper: no hub, mount cache, clock or counters")
	}
	if opts.Workers < 0 || opts.Timeout < 0 || opts.MinBackoff < 0 || opts.MaxBackoff < 0 ||
		opts.MaxPendingStorages < 0 || opts.MaxPendingFiles < 0 || opts.MaxMissedStorages < 0 {
		return nil, fmt.Errorf("mapper: negative setting in %+v", opts)
	}
	opts.Workers = orDefault(opts.Workers, DefaultMappingWorkers)
	opts.Timeout = orDefault(opts.Timeout, DefaultMappingTimeout)
	opts.MinBackoff = orDefault(opts.MinBackoff, DefaultMinBackoff)
	opts.MaxBackoff = orDefault(opts.MaxBackoff, DefaultMaxBackoff)
	opts.MaxPendingStorages = orDefault(opts.MaxPendingStorages, DefaultMaxPendingStorages)
	opts.MaxPendingFiles = orDefault(opts.MaxPendingFiles, DefaultMaxPendingFiles)
	opts.MaxMissedStorages = orDefault(opts.MaxMissedStorages, DefaultMaxMissedStorages)
	if opts.MaxBackoff < opts.MinBackoff {
		return nil, fmt.Errorf("mapper: backoff bounds %v > %v", opts.MinBackoff, opts.MaxBackoff)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Mapper{
		opts:     opts,
		hub:      hub,
		mounts:   mounts,
		clock:    clock,
		counters: counters,
		log:      log,
		dropped:  domain.NewLogLimiter(time.Minute, 0),
		queue:    make(chan domain.StorageID, opts.MaxPendingStorages),
		pending:  make(map[domain.StorageID]*lookup),
		failures: make(map[domain.StorageID]failure),
		missed:   make(map[domain.StorageID]struct{}),
		userBufs: sync.Pool{New: func() any { return new([]domain.UserID) }},
	}, nil
}

func orDefault[T int | time.Duration](v, def T) T {
	if v == 0 {
		return def
	}
	return v
}

// Update delivers e at now if the mapping of its storage is cached (stale
// rows too, whose refresh it then leaves to a worker), and otherwise leaves
// it to a lookup. It never waits for the database.
func (m *Mapper) Update(e domain.StorageUpdate, now time.Time) {
	mounts, refresh, ok := m.mounts.CachedMounts(e.Storage)
	if !ok {
		m.request(e.Storage, &e, now)
		return
	}
	buf := m.userBufs.Get().(*[]domain.UserID)
	users := domain.AppendUsersForPath((*buf)[:0], mounts, e.Path)
	base := m.hub.debounceBase()
	u := slotUpdate{kind: domain.KindFile, fileID: e.FileID, knownID: true}
	m.hub.deliverMany(users, u, now, base)
	m.log.Debug("storage update", "storage", e.Storage, "users", len(users))
	clear(users) // the pool keeps no user names alive
	*buf = users[:0]
	m.userBufs.Put(buf)
	if refresh {
		m.request(e.Storage, nil, now)
	}
}

// request queues a lookup of storage unless one is waiting already, and
// merges e (nil for a refresh) into it.
func (m *Mapper) request(storage domain.StorageID, e *domain.StorageUpdate, now time.Time) {
	m.mu.Lock()
	l := m.pending[storage]
	if l == nil {
		if f, ok := m.failures[storage]; ok && e != nil && now.Before(f.until) {
			m.missLocked(storage)
			m.mu.Unlock()
			m.drop(storage, 1, f.err, f.until.Sub(now), now)
			return
		}
		if len(m.pending) >= m.opts.MaxPendingStorages {
			if e != nil {
				m.missLocked(storage)
			}
			m.mu.Unlock()
			if e != nil {
				m.dropBacklogged(now)
			}
			return
		}
		l = m.queueLocked(storage)
	}
	if e != nil {
		m.mergeLocked(l, e)
	}
	m.mu.Unlock()
}

// queueLocked makes storage wait for a lookup; the caller has checked that
// a pending lookup fits.
func (m *Mapper) queueLocked(storage domain.StorageID) *lookup {
	l := &lookup{}
	m.pending[storage] = l
	m.queue <- storage
	return l
}

// mergeLocked adds e to what waits in l, within the bounds.
func (m *Mapper) mergeLocked(l *lookup, e *domain.StorageUpdate) {
	l.events++
	c := fileChange{path: e.Path, id: e.FileID}
	if l.holds(c) {
		return
	}
	switch {
	case l.overflow:
		l.prefix = commonPrefix(l.prefix, e.Path)
	case len(l.files) >= domain.MaxPendingFileIDs || m.files >= m.opts.MaxPendingFiles:
		l.overflow, l.prefix = true, e.Path
	default:
		l.files = append(l.files, c)
		m.files++
		switch {
		case l.seen != nil:
			l.seen[c] = struct{}{}
		case len(l.files) > linearChanges:
			l.seen = make(map[fileChange]struct{}, 2*len(l.files))
			for _, f := range l.files {
				l.seen[f] = struct{}{}
			}
		}
	}
}

// holds reports whether c is among the files of l.
func (l *lookup) holds(c fileChange) bool {
	if l.seen != nil {
		_, ok := l.seen[c]
		return ok
	}
	for _, f := range l.files {
		if f == c {
			return true
		}
	}
	return false
}

// Run runs the lookups on MapperOptions.Workers goroutines, and probes the
// database every MinBackoff while updates were missed, until ctx ends.
// Updates still waiting then are dropped. Run it once.
func (m *Mapper) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	wg.Go(func() {
		t := m.clock.NewTimer(m.opts.MinBackoff)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C():
				m.probeMissed(m.clock.Now())
				t.Reset(m.opts.MinBackoff)
			}
		}
	})
	for range m.opts.Workers {
		wg.Go(func() {
			for {
				select {
				case <-ctx.Done():
					return
				case storage := <-m.queue:
					m.lookUp(ctx, storage)
				}
			}
		})
	}
	wg.Wait()
	return nil
}

// lookUp loads the mapping of storage and delivers what waited for it, or
// drops it and backs the storage off when the load fails.
func (m *Mapper) lookUp(ctx context.Context, storage domain.StorageID) {
	mounts, asked, err := m.ask(ctx, storage)
	now := m.clock.Now()

	m.mu.Lock()
	l := m.pending[storage]
	delete(m.pending, storage)
	m.files -= len(l.files)
	var retryIn time.Duration
	everyone := false
	switch {
	case err == nil && asked:
		// The database answers: no storage needs to wait any longer.
		clear(m.failures)
		everyone = m.recoverLocked(now)
	case err == nil:
		delete(m.failures, storage)
	case ctx.Err() == nil: // not shutting down
		retryIn = m.failedLocked(storage, err, now)
		if l.events > 0 || l.missed {
			m.missLocked(storage)
		}
	}
	m.mu.Unlock()

	if everyone {
		n := m.hub.Resync(fileKind, now)
		m.resynced(n, 0, now)
	}
	if err != nil {
		if ctx.Err() == nil {
			m.drop(storage, l.events, err, retryIn, now)
			if l.missed {
				m.recovered(false, 0)
			}
		}
		return
	}
	m.deliverWaiting(storage, mounts, l, now)
	if l.missed {
		m.recovered(true, m.hub.ResyncUsers(usersOverlapping(mounts, ""), fileKind, now))
	}
}

// ask queries the mapping of storage, unless the last lookup timed out and
// another one is asking the database already: then it fails at once. asked
// says whether the database answered (a fresh cached mapping asks nothing).
func (m *Mapper) ask(ctx context.Context, storage domain.StorageID) (mounts []domain.Mount, asked bool, err error) {
	m.mu.Lock()
	hung, probe := m.hung, m.hung != nil
	if probe && m.probing {
		m.mu.Unlock()
		return nil, false, fmt.Errorf("load mounts of storage %d: not asked while the database does not answer (%w)", storage, hung)
	}
	m.probing = m.probing || probe
	m.mu.Unlock()

	qctx, cancel := context.WithTimeout(ctx, m.opts.Timeout)
	mounts, asked, err = m.mounts.Load(qctx, storage)
	// A refresh serves stale rows without an error: the time taken tells. A
	// first load runs under a deadline of its own, equal to this one, which
	// may fire first: its error tells then.
	timedOut := errors.Is(qctx.Err(), context.DeadlineExceeded) || errors.Is(err, context.DeadlineExceeded)
	cancel()

	m.mu.Lock()
	defer m.mu.Unlock()
	if probe {
		m.probing = false
	}
	if ctx.Err() == nil { // a shutdown says nothing about the database
		m.hung = nil
		if timedOut {
			m.hung = fmt.Errorf("load mounts of storage %d: no answer within %v", storage, m.opts.Timeout)
		}
	}
	return mounts, asked, err
}

// failedLocked remembers a failed lookup of storage and returns the backoff:
// the minimum after a success or at first, else twice the last.
func (m *Mapper) failedLocked(storage domain.StorageID, err error, now time.Time) time.Duration {
	delay := m.opts.MinBackoff
	f, known := m.failures[storage]
	if known {
		delay = min(2*f.delay, m.opts.MaxBackoff)
	} else if len(m.failures) >= maxRememberedFailures {
		m.forgetFailuresLocked(now)
	}
	m.failures[storage] = failure{until: now.Add(delay), delay: delay, err: err}
	return delay
}

// forgetFailuresLocked makes room among the remembered failures: those whose
// backoff ended go first, then any, down to nine tenths of the bound.
func (m *Mapper) forgetFailuresLocked(now time.Time) {
	for s, f := range m.failures {
		if !now.Before(f.until) {
			delete(m.failures, s)
		}
	}
	for s := range m.failures {
		if len(m.failures) < maxRememberedFailures*9/10 {
			return
		}
		delete(m.failures, s)
	}
}

// deliverWaiting delivers the changes merged in l to the users who see them.
func (m *Mapper) deliverWaiting(storage domain.StorageID, mounts []domain.Mount, l *lookup, now time.Time) {
	base := m.hub.debounceBase()
	delivered := 0
	for _, c := range l.files {
		u := slotUpdate{kind: domain.KindFile, fileID: c.id, knownID: true}
		users := domain.UsersForPath(mounts, c.path)
		m.hub.deliverMany(users, u, now, base)
		delivered += len(users)
	}
	if l.overflow {
		// The paths are gone: every user whose mount overlaps what they share
		// may have seen a change, and is told without ids (a full sync).
		u := slotUpdate{kind: domain.KindFile}
		for _, user := range usersOverlapping(mounts, l.prefix) {
			m.hub.deliver(user, u, now, base)
			delivered++
		}
	}
	if l.events > 0 {
		m.log.Debug("storage updates delivered after their mapping loaded", "storage", storage,
			"updates", l.events, "deliveries", delivered)
	}
}

// usersOverlapping returns, each once, the users with a mount whose root is
// a prefix of prefix (they see every path under it) or lies under it (they
// may see some).
func usersOverlapping(mounts []domain.Mount, prefix string) []domain.UserID {
	var users []domain.UserID
	seen := make(map[domain.UserID]struct{})
	for _, mt := range mounts {
		if !strings.HasPrefix(prefix, mt.Root) && !strings.HasPrefix(mt.Root, prefix) {
			continue
		}
		if _, dup := seen[mt.User]; !dup {
			seen[mt.User] = struct{}{}
			users = append(users, mt.User)
		}
	}
	return users
}

func commonPrefix(a, b string) string {
	n := min(len(a), len(b))
	for i := range n {
		if a[i] != b[i] {
			return a[:i]
		}
	}
	return a[:n]
}

// drop counts n updates of storage lost to an unavailable mapping and warns
// once a minute per storage.
func (m *Mapper) drop(storage domain.StorageID, n int, err error, retryIn time.Duration, now time.Time) {
	if n == 0 {
		return
	}
	m.counters.DatabaseErrors.Add(uint64(n))
	if ok, _ := m.dropped.Allow(storage, now); ok {
		m.log.Warn("storage updates dropped: mapping unavailable (logged once a minute per storage)",
			"storage", storage, "updates", n, "retry_in", retryIn, "err", err)
	}
}

// dropBacklogged counts an update lost because too many storages wait for a
// lookup, and warns once a minute.
func (m *Mapper) dropBacklogged(now time.Time) {
	m.counters.DatabaseErrors.Add(1)
	if ok, _ := m.dropped.Allow(backlogKey{}, now); ok {
		m.log.Warn("storage updates dropped: too many storages wait for their mapping (logged once a minute)",
			"waiting", m.opts.MaxPendingStorages)
	}
}
