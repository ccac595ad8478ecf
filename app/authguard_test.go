package app

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/notifypush/notify_push/domain"
	"github.com/notifypush/notify_push/internal/fakeclock"
)

// countingAuth is a Nextcloud stand-in: "pw-<login>" is the password of
// every login, whose uid is "uid-<login>". It counts calls per login and the
// calls in flight, and holds each call until gate is closed (when set).
type countingAuth struct {
	gate chan struct{}
	err  error // returned instead of checking, when set

	inFlight, maxInFlight atomic.Int64
	mu                    sync.Mutex
	calls                 map[string]int
	total                 int
}

func newCountingAuth() *countingAuth { return &countingAuth{calls: make(map[string]int)} }

func (a *countingAuth) Authenticate(ctx context.Context, login, password string, _ []string) (domain.UserID, error) {
	n := a.inFlight.Add(1)
	defer a.inFlight.Add(-1)
	for {
		m := a.maxInFlight.Load()
		if n <= m || a.maxInFlight.CompareAndSwap(m, n) {
			break
		}
	}
	a.mu.Lock()
	a.calls[login]++
	a.total++
	gate, err := a.gate, a.err
	a.mu.Unlock()
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return "", &domain.NextcloudError{Err: ctx.Err()}
		}
	}
	if err != nil {
		return "", err
	}
	if password != "pw-"+login {
		return "", domain.ErrInvalidCredentials
	}
	return domain.UserID("uid-" + login), nil
}

func (a *countingAuth) callsOf(login string) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.calls[login]
}

func (a *countingAuth) totalCalls() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.total
}

func newGuard(t *testing.T, next *countingAuth, opts AuthGuardOptions, clock *fakeclock.Clock) *AuthGuard {
	t.Helper()
	g, err := NewAuthGuard(next, opts, clock, discard())
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// eventually polls cond for up to 10 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestAuthGuardBoundsAStormOf10000(t *testing.T) {
	next := newCountingAuth()
	next.gate = make(chan struct{})
	g := newGuard(t, next, AuthGuardOptions{Concurrency: 64, Queue: 1024}, fakeclock.New(t0))

	const storm = 10_000
	var ok, tooMany, other atomic.Int64
	var wg sync.WaitGroup
	for i := range storm {
		wg.Add(1)
		go func() {
			defer wg.Done()
			login := fmt.Sprintf("user%d", i)
			password := "pw-" + login
			if i%2 == 1 {
				password = "wrong" // half the storm guesses
			}
			_, err := g.Authenticate(context.Background(), login, password, nil)
			switch {
			case err == nil || errors.Is(err, domain.ErrInvalidCredentials):
				ok.Add(1)
			case errors.Is(err, domain.ErrTooManyLogins):
				tooMany.Add(1)
			default:
				other.Add(1)
			}
		}()
	}
	// With every check held, exactly 64 run, 1024 wait and the rest are refused.
	eventually(t, "the storm to settle", func() bool {
		return tooMany.Load() == storm-64-1024 && next.inFlight.Load() == 64 && g.waiting.Load() == 1024
	})
	if ok.Load() != 0 {
		t.Fatalf("%d logins answered while every check was held", ok.Load())
	}
	close(next.gate)
	wg.Wait()
	if got := next.maxInFlight.Load(); got != 64 {
		t.Fatalf("max checks in flight %d, want 64", got)
	}
	if ok.Load() != 64+1024 || other.Load() != 0 {
		t.Fatalf("answered %d, other errors %d; want %d answered", ok.Load(), other.Load(), 64+1024)
	}
	if got := next.totalCalls(); got != 64+1024 {
		t.Fatalf("%d checks reached Nextcloud, want %d", got, 64+1024)
	}
	if g.waiting.Load() != 0 || len(g.slots) != 0 {
		t.Fatalf("after the storm: %d waiting, %d slots held", g.waiting.Load(), len(g.slots))
	}
}

func TestAuthGuardQueueOverflowAndWaitTimeout(t *testing.T) {
	next := newCountingAuth()
	next.gate = make(chan struct{})
	g := newGuard(t, next, AuthGuardOptions{Concurrency: 1, Queue: 1}, fakeclock.New(t0))

	first := make(chan error, 1)
	go func() {
		_, err := g.Authenticate(context.Background(), "a", "pw-a", nil)
		first <- err
	}()
	eventually(t, "the first check", func() bool { return next.inFlight.Load() == 1 })

	ctx, cancel := context.WithCancel(context.Background())
	second := make(chan error, 1)
	go func() {
		_, err := g.Authenticate(ctx, "b", "pw-b", nil)
		second <- err
	}()
	eventually(t, "the second login to queue", func() bool { return g.waiting.Load() == 1 })

	_, err := g.Authenticate(context.Background(), "c", "pw-c", nil)
	if !errors.Is(err, domain.ErrTooManyLogins) {
		t.Fatalf("third login with a full queue: %v", err)
	}
	if text := domain.ErrPrefix + domain.AuthFailureText(err); text != "err: Too many concurrent logins, try again later" {
		t.Fatalf("wire text %q", text)
	}

	cancel() // the queued client's login deadline passes
	if err := <-second; !errors.Is(err, context.Canceled) {
		t.Fatalf("queued login after its deadline: %v", err)
	}
	close(next.gate)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	if next.callsOf("b") != 0 || next.callsOf("c") != 0 {
		t.Fatal("a refused or abandoned login reached Nextcloud")
	}
	// The bound is free again.
	if uid, err := g.Authenticate(context.Background(), "c", "pw-c", nil); err != nil || uid != "uid-c" {
		t.Fatalf("after the storm: %q %v", uid, err)
	}
}

func TestAuthGuardCache(t *testing.T) {
	next := newCountingAuth()
	clock := fakeclock.New(t0)
	g := newGuard(t, next, AuthGuardOptions{CacheTTL: time.Minute}, clock)
	ctx := context.Background()
	login := func(l, p string) (domain.UserID, error) { return g.Authenticate(ctx, l, p, nil) }

	if uid, err := login("alice", "pw-alice"); err != nil || uid != "uid-alice" {
		t.Fatalf("first login %q %v", uid, err)
	}
	clock.Advance(59 * time.Second)
	if uid, err := login("alice", "pw-alice"); err != nil || uid != "uid-alice" {
		t.Fatalf("cached login %q %v", uid, err)
	}
	if n := next.callsOf("alice"); n != 1 {
		t.Fatalf("%d checks within the TTL, want 1", n)
	}
	// Another password of the same login is another key: checked, refused.
	if _, err := login("alice", "pw-alice "); !errors.Is(err, domain.ErrInvalidCredentials) {
		t.Fatalf("other password: %v", err)
	}
	// Login and password boundaries do not blur: ("alice", "pw-alice") is
	// not ("alicep", "w-alice").
	if _, err := login("alicep", "w-alice"); !errors.Is(err, domain.ErrInvalidCredentials) {
		t.Fatalf("shifted boundary: %v", err)
	}
	clock.Advance(time.Second) // 60 s: expired
	if _, err := login("alice", "pw-alice"); err != nil {
		t.Fatal(err)
	}
	if n := next.callsOf("alice"); n != 3 {
		t.Fatalf("%d checks after expiry, want 3", n)
	}
}

func TestAuthGuardNeverCachesFailures(t *testing.T) {
	next := newCountingAuth()
	g := newGuard(t, next, AuthGuardOptions{CacheTTL: time.Minute}, fakeclock.New(t0))
	ctx := context.Background()
	for range 3 {
		if _, err := g.Authenticate(ctx, "bob", "guess", nil); !errors.Is(err, domain.ErrInvalidCredentials) {
			t.Fatal(err)
		}
	}
	next.mu.Lock()
	next.err = &domain.NextcloudError{Err: errors.New("Server error: 503 Service Unavailable")}
	next.mu.Unlock()
	for range 3 {
		var nc *domain.NextcloudError
		if _, err := g.Authenticate(ctx, "bob", "pw-bob", nil); !errors.As(err, &nc) {
			t.Fatal(err)
		}
	}
	if n := next.callsOf("bob"); n != 6 {
		t.Fatalf("%d checks, want 6: failures must always reach Nextcloud", n)
	}
	if len(g.cache) != 0 {
		t.Fatalf("%d cache entries after failures only", len(g.cache))
	}
}

func TestAuthGuardCacheOff(t *testing.T) {
	next := newCountingAuth()
	g := newGuard(t, next, AuthGuardOptions{}, fakeclock.New(t0))
	for range 3 {
		if _, err := g.Authenticate(context.Background(), "carol", "pw-carol", nil); err != nil {
			t.Fatal(err)
		}
	}
	if n := next.callsOf("carol"); n != 3 || len(g.cache) != 0 {
		t.Fatalf("TTL 0: %d checks, %d cached; want 3, 0", n, len(g.cache))
	}
}

func TestAuthGuardCacheIsBounded(t *testing.T) {
	next := newCountingAuth()
	clock := fakeclock.New(t0)
	g := newGuard(t, next, AuthGuardOptions{CacheTTL: time.Minute, CacheSize: 100}, clock)
	ctx := context.Background()
	for i := range 1000 {
		l := fmt.Sprintf("u%d", i)
		if _, err := g.Authenticate(ctx, l, "pw-"+l, nil); err != nil {
			t.Fatal(err)
		}
		if len(g.cache) > 100 || len(g.order)-g.head > 200 {
			t.Fatalf("after %d logins: %d entries, %d queued", i+1, len(g.cache), len(g.order)-g.head)
		}
		clock.Advance(10 * time.Millisecond)
	}
	// The newest stay, the oldest went.
	for _, l := range []string{"u999", "u0"} {
		if _, err := g.Authenticate(ctx, l, "pw-"+l, nil); err != nil {
			t.Fatal(err)
		}
	}
	if next.callsOf("u999") != 1 || next.callsOf("u0") != 2 {
		t.Fatalf("u999 checked %d times (want 1), u0 %d (want 2)", next.callsOf("u999"), next.callsOf("u0"))
	}
	// Everything expires: the next insertion sweeps the rest away.
	clock.Advance(time.Hour)
	if _, err := g.Authenticate(ctx, "late", "pw-late", nil); err != nil {
		t.Fatal(err)
	}
	if len(g.cache) != 1 || len(g.order)-g.head != 1 {
		t.Fatalf("after expiry: %d entries, %d queued; want 1, 1", len(g.cache), len(g.order)-g.head)
	}
}

func TestAuthGuardKeyIsAKeyedDigest(t *testing.T) {
	const password = "correct horse battery staple"
	next := newCountingAuth()
	g := newGuard(t, next, AuthGuardOptions{CacheTTL: time.Minute}, fakeclock.New(t0))
	other := newGuard(t, next, AuthGuardOptions{CacheTTL: time.Minute}, fakeclock.New(t0))
	k := g.digest("dave", password)
	if strings.Contains(string(k[:]), password) || strings.Contains(string(k[:]), "dave") {
		t.Fatal("key holds the credentials")
	}
	if k == other.digest("dave", password) {
		t.Fatal("two processes derive the same key: the HMAC key is not random")
	}
	if k != g.digest("dave", password) || k == g.digest("dave", password+"x") {
		t.Fatal("digest is not a function of the credentials")
	}
	// Nothing the guard keeps after a success holds the password.
	_, _ = g.Authenticate(context.Background(), "dave", password, nil)
	g.mu.Lock()
	kept := fmt.Sprintf("%#v %#v %#v", g.cache, g.order, g.flights)
	g.mu.Unlock()
	if strings.Contains(kept, password) || strings.Contains(kept, fmt.Sprintf("%q", password)) {
		t.Fatalf("state holds the password: %s", kept)
	}
}

func TestAuthGuardCoalescesIdenticalChecks(t *testing.T) {
	next := newCountingAuth()
	next.gate = make(chan struct{})
	g := newGuard(t, next, AuthGuardOptions{Concurrency: 4, Queue: 4}, fakeclock.New(t0))

	const n = 500 // far beyond the queue: followers take no slot
	results := make(chan error, n)
	for range n {
		go func() {
			uid, err := g.Authenticate(context.Background(), "erin", "pw-erin", nil)
			if err == nil && uid != "uid-erin" {
				err = fmt.Errorf("uid %q", uid)
			}
			results <- err
		}()
	}
	eventually(t, "every login to join the first", func() bool { return g.coalesced.Load() == n-1 })
	close(next.gate)
	for range n {
		if err := <-results; err != nil {
			t.Fatal(err)
		}
	}
	if c := next.callsOf("erin"); c != 1 {
		t.Fatalf("%d checks for %d identical logins, want 1", c, n)
	}
	if len(g.flights) != 0 {
		t.Fatalf("%d flights left", len(g.flights))
	}
}

func TestAuthGuardFollowerOutlivesAbandonedLeader(t *testing.T) {
	next := newCountingAuth()
	next.gate = make(chan struct{})
	g := newGuard(t, next, AuthGuardOptions{}, fakeclock.New(t0))

	leaderCtx, cancelLeader := context.WithCancel(context.Background())
	leader := make(chan error, 1)
	go func() {
		_, err := g.Authenticate(leaderCtx, "fred", "pw-fred", nil)
		leader <- err
	}()
	eventually(t, "the leader's check", func() bool { return next.inFlight.Load() == 1 })
	follower := make(chan error, 1)
	go func() {
		uid, err := g.Authenticate(context.Background(), "fred", "pw-fred", nil)
		if err == nil && uid != "uid-fred" {
			err = fmt.Errorf("uid %q", uid)
		}
		follower <- err
	}()
	eventually(t, "the follower to join", func() bool { return g.coalesced.Load() == 1 })
	cancelLeader()
	if err := <-leader; !errors.Is(err, context.Canceled) {
		t.Fatalf("leader: %v", err)
	}
	// The follower's client is still there: it checks on its own.
	eventually(t, "the follower's own check", func() bool { return next.callsOf("fred") == 2 })
	close(next.gate)
	if err := <-follower; err != nil {
		t.Fatalf("follower: %v", err)
	}
}

func TestAuthGuardSharesAFailedCheck(t *testing.T) {
	next := newCountingAuth()
	next.gate = make(chan struct{})
	g := newGuard(t, next, AuthGuardOptions{CacheTTL: time.Minute}, fakeclock.New(t0))
	results := make(chan error, 10)
	for range 10 {
		go func() {
			_, err := g.Authenticate(context.Background(), "gina", "guess", nil)
			results <- err
		}()
	}
	eventually(t, "the logins to join", func() bool { return g.coalesced.Load() == 9 })
	close(next.gate)
	for range 10 {
		if err := <-results; !errors.Is(err, domain.ErrInvalidCredentials) {
			t.Fatal(err)
		}
	}
	// Shared while in flight, never remembered.
	if _, err := g.Authenticate(context.Background(), "gina", "guess", nil); !errors.Is(err, domain.ErrInvalidCredentials) {
		t.Fatal(err)
	}
	if c := next.callsOf("gina"); c != 2 {
		t.Fatalf("%d checks, want 2", c)
	}
}

func TestNewAuthGuardValidates(t *testing.T) {
	clock := fakeclock.New(t0)
	if _, err := NewAuthGuard(nil, AuthGuardOptions{}, clock, nil); err == nil {
		t.Fatal("nil authenticator accepted")
	}
	for _, opts := range []AuthGuardOptions{{Concurrency: -1}, {Queue: -1}, {CacheTTL: -time.Second}, {CacheSize: -1}} {
		if _, err := NewAuthGuard(newCountingAuth(), opts, clock, nil); err == nil {
			t.Fatalf("%+v accepted", opts)
		}
	}
	g, err := NewAuthGuard(newCountingAuth(), AuthGuardOptions{}, clock, nil)
	if err != nil {
		t.Fatal(err)
	}
	if cap(g.slots) != DefaultAuthConcurrency || g.opts.Queue != DefaultAuthQueue || g.opts.CacheSize != DefaultAuthCacheSize {
		t.Fatalf("defaults not applied: %+v", g.opts)
	}
}
