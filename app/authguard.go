package app

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/notifypush/notify_push/domain"
	"github.com/notifypush/notify_push/ports"
)

// AuthGuardOptions bound the credential checks sent to Nextcloud.
type AuthGuardOptions struct {
	// Concurrency is how many checks may be in flight at once; zero is
	// DefaultAuthConcurrency.
	Concurrency int
	// Queue is how many logins may wait for a free check; past it a login
	// fails at once with domain.ErrTooManyLogins. Zero is DefaultAuthQueue.
	Queue int
	// CacheTTL is how long a successful check is remembered; zero turns the
	// cache off.
	CacheTTL time.Duration
	// CacheSize caps the remembered logins (oldest dropped first); zero is
	// DefaultAuthCacheSize.
	CacheSize int
}

// Defaults of the login-storm settings.
const (
	DefaultAuthConcurrency = 64
	DefaultAuthQueue       = 1024
	DefaultAuthCacheTTL    = 60 * time.Second
	// DefaultAuthCacheSize: an entry is about 100 bytes, so a few MiB at most.
	DefaultAuthCacheSize = 65536
)

// AuthGuardOptionsFrom picks the guard's part of cfg.
func AuthGuardOptionsFrom(cfg Config) AuthGuardOptions {
	return AuthGuardOptions{Concurrency: cfg.AuthConcurrency, Queue: cfg.AuthQueue, CacheTTL: cfg.AuthCacheTTL}
}

// AuthGuard decorates an Authenticator so that a storm of logins (every
// client reconnecting after a restart, or a password-guessing flood) cannot
// overwhelm Nextcloud: at most Concurrency checks run at once, at most Queue
// logins wait behind them and the rest are refused with
// domain.ErrTooManyLogins; identical concurrent checks share one request; and
// a successful check is remembered for CacheTTL.
//
// Credentials are never stored: the cache and the in-flight table are keyed
// by an HMAC-SHA256 of (login, password) under a key drawn at start, so a
// memory dump gives neither the passwords nor a way to test guesses offline.
// Failed checks are never cached: a wrong password always reaches Nextcloud,
// whose brute-force protection must see it.
type AuthGuard struct {
	next  ports.Authenticator
	clock ports.Clock
	log   *slog.Logger
	// checks logs each check sent to Nextcloud, as upstream does at debug.
	checks *slog.Logger
	opts   AuthGuardOptions
	key    []byte
	macs   sync.Pool // hash.Hash keyed with key

	slots   chan struct{}
	waiting atomic.Int64
	refused *domain.LogLimiter

	mu      sync.Mutex
	flights map[credKey]*flight
	cache   map[credKey]cachedLogin
	// order lists cache insertions oldest first. The TTL is the same for
	// every entry, so the oldest is also the first to expire.
	order []cacheOrder
	head  int

	coalesced atomic.Int64 // logins that shared another's check
}

var _ ports.Authenticator = (*AuthGuard)(nil)

type credKey [sha256.Size]byte

type cachedLogin struct {
	uid     domain.UserID
	expires time.Time
}

type cacheOrder struct {
	key     credKey
	expires time.Time
}

// flight is one credential check in progress that identical logins wait for.
type flight struct {
	done chan struct{}
	uid  domain.UserID
	err  error
	// abandoned: the check ended because its caller's context did, which
	// says nothing about the credentials.
	abandoned bool
}

// NewAuthGuard wraps next. Zero options take the defaults; negative ones are
// an error.
func NewAuthGuard(next ports.Authenticator, opts AuthGuardOptions, clock ports.Clock, log *slog.Logger) (*AuthGuard, error) {
	if next == nil || clock == nil {
		return nil, errors.New("auth guard: no authenticator or clock")
	}
	if opts.Concurrency < 0 || opts.Queue < 0 || opts.CacheTTL < 0 || opts.CacheSize < 0 {
		return nil, fmt.Errorf("auth guard: negative limit in %+v", opts)
	}
	if opts.Concurrency == 0 {
		opts.Concurrency = DefaultAuthConcurrency
	}
	if opts.Queue == 0 {
		opts.Queue = DefaultAuthQueue
	}
	if opts.CacheSize == 0 {
		opts.CacheSize = DefaultAuthCacheSize
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	key := make([]byte, 32)
	_, _ = rand.Read(key) // never fails: crypto/rand aborts the process instead
	g := &AuthGuard{
		next:    next,
		clock:   clock,
		log:     log,
		checks:  log.With(domain.TargetKey, domain.TargetNextcloud),
		opts:    opts,
		key:     key,
		slots:   make(chan struct{}, opts.Concurrency),
		refused: domain.NewLogLimiter(time.Minute, 0),
		flights: make(map[credKey]*flight),
		cache:   make(map[credKey]cachedLogin),
	}
	g.macs.New = func() any { return hmac.New(sha256.New, g.key) }
	return g, nil
}

// Authenticate answers from the cache, joins an identical check in flight, or
// runs one within the concurrency bound.
func (g *AuthGuard) Authenticate(ctx context.Context, login, password string, forwardedFor []string) (domain.UserID, error) {
	key := g.digest(login, password)
	for {
		g.mu.Lock()
		if uid, ok := g.cached(key); ok {
			g.mu.Unlock()
			return uid, nil
		}
		if f, ok := g.flights[key]; ok {
			g.mu.Unlock()
			g.coalesced.Add(1)
			select {
			case <-f.done:
			case <-ctx.Done():
				return "", fmt.Errorf("wait for the credential check: %w", ctx.Err())
			}
			if f.abandoned && ctx.Err() == nil {
				continue // that client gave up; check for this one
			}
			return f.uid, f.err
		}
		f := &flight{done: make(chan struct{})}
		g.flights[key] = f
		g.mu.Unlock()
		g.lead(ctx, key, f, login, password, forwardedFor)
		return f.uid, f.err
	}
}

// lead runs the check of flight f and publishes its outcome.
func (g *AuthGuard) lead(ctx context.Context, key credKey, f *flight, login, password string, forwardedFor []string) {
	defer func() {
		g.mu.Lock()
		delete(g.flights, key)
		if f.err == nil && g.opts.CacheTTL > 0 {
			g.remember(key, f.uid)
		}
		g.mu.Unlock()
		close(f.done)
	}()
	f.err = errors.New("credential check did not complete") // replaced unless next panics
	if err := g.acquire(ctx); err != nil {
		f.err, f.abandoned = err, ctx.Err() != nil
		return
	}
	defer func() { <-g.slots }()
	if g.checks.Enabled(ctx, slog.LevelDebug) {
		g.checks.Debug("Verifying credentials for " + login)
	}
	f.uid, f.err = g.next.Authenticate(ctx, login, password, forwardedFor)
	f.abandoned = f.err != nil && ctx.Err() != nil
}

// acquire takes a check slot, waiting in the bounded queue when all are busy.
func (g *AuthGuard) acquire(ctx context.Context) error {
	select {
	case g.slots <- struct{}{}:
		return nil
	default:
	}
	if g.waiting.Add(1) > int64(g.opts.Queue) {
		g.waiting.Add(-1)
		if ok, _ := g.refused.Allow(struct{}{}, g.clock.Now()); ok {
			g.log.Warn("login storm: every credential check is busy and the queue is full; refusing logins "+
				"(logged once a minute; see AUTH_CONCURRENCY and AUTH_QUEUE)",
				"concurrency", g.opts.Concurrency, "queue", g.opts.Queue)
		}
		return domain.ErrTooManyLogins
	}
	defer g.waiting.Add(-1)
	select {
	case g.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("wait for a credential check slot: %w", ctx.Err())
	}
}

// digest is the HMAC of the credentials; the login's length goes first so
// that no two (login, password) pairs share an encoding.
func (g *AuthGuard) digest(login, password string) credKey {
	mac := g.macs.Get().(hash.Hash)
	mac.Reset()
	var n [binary.MaxVarintLen64]byte
	mac.Write(n[:binary.PutUvarint(n[:], uint64(len(login)))])
	mac.Write([]byte(login))
	mac.Write([]byte(password))
	var k credKey
	mac.Sum(k[:0])
	g.macs.Put(mac)
	return k
}

// cached returns a live entry, dropping an expired one. Called with mu held.
func (g *AuthGuard) cached(key credKey) (domain.UserID, bool) {
	if g.opts.CacheTTL <= 0 {
		return "", false
	}
	e, ok := g.cache[key]
	if !ok {
		return "", false
	}
	if !g.clock.Now().Before(e.expires) {
		delete(g.cache, key)
		return "", false
	}
	return e.uid, true
}

// remember caches a successful check, first dropping what expired and, at
// the cap, the oldest entries. Called with mu held.
func (g *AuthGuard) remember(key credKey, uid domain.UserID) {
	now := g.clock.Now()
	for g.head < len(g.order) && !now.Before(g.order[g.head].expires) {
		g.pop()
	}
	for g.head < len(g.order) && (len(g.cache) >= g.opts.CacheSize || len(g.order)-g.head >= 2*g.opts.CacheSize) {
		g.pop()
	}
	expires := now.Add(g.opts.CacheTTL)
	g.cache[key] = cachedLogin{uid: uid, expires: expires}
	g.order = append(g.order, cacheOrder{key: key, expires: expires})
}

// pop drops the oldest insertion, and its entry unless a newer one replaced it.
func (g *AuthGuard) pop() {
	o := g.order[g.head]
	if e, ok := g.cache[o.key]; ok && e.expires.Equal(o.expires) {
		delete(g.cache, o.key)
	}
	g.order[g.head] = cacheOrder{}
	g.head++
	if g.head == len(g.order) {
		g.order, g.head = g.order[:0], 0
	} else if g.head > 1024 && g.head > len(g.order)/2 {
		n := copy(g.order, g.order[g.head:])
		clear(g.order[n:])
		g.order, g.head = g.order[:n], 0
	}
}
