package app

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang/mock/gomock"

	"github.com/notifypush/notify_push/adapters/clock"
	"github.com/notifypush/notify_push/domain"
	"github.com/notifypush/notify_push/internal/fakeclock"
)

// switchable is a dependency whose probe fails until it is turned on.
type switchable struct {
	up    atomic.Bool
	calls atomic.Int32
}

func (s *switchable) probe(context.Context) error {
	s.calls.Add(1)
	if s.up.Load() {
		return nil
	}
	return errors.New("dial tcp 127.0.0.1:1: connect: connection refused")
}

// lockedLog is a text log safe for concurrent writers.
type lockedLog struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedLog) count(sub string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Count(l.b.String(), sub)
}

// fastDependencies retries within milliseconds, and rechecks rarely enough
// not to disturb a test.
var fastDependencies = DependencyTiming{FirstRetry: 2 * time.Millisecond, MaxRetry: 10 * time.Millisecond,
	ProbeTimeout: time.Second, LogEvery: time.Hour, Recheck: time.Hour}

// realTime is the machine's clock: these tests race real probes.
var realTime = clock.New()

// watch runs d until the test ends.
func watch(t *testing.T, d *Dependencies) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
}

func awaitAllUp(t *testing.T, d *Dependencies) {
	t.Helper()
	select {
	case <-d.AllUp():
	case <-time.After(5 * time.Second):
		t.Fatal("not every dependency up after 5 s")
	}
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func refusal(s *Dependencies) string {
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := s.Refusal(ctx); err != nil {
		return domain.AuthFailureText(err)
	}
	return ""
}

func TestDependenciesRefuseLoginsUntilEveryOneAnswers(t *testing.T) {
	f := newFixture(t, HubOptions{})
	db, redis := &switchable{}, &switchable{}
	logs := &lockedLog{}
	s, err := NewDependencies([]Dependency{{Name: "database", Probe: db.probe, Gate: true},
		{Name: "redis", Probe: redis.probe, Gate: true}}, fastDependencies, realTime, slog.New(slog.NewTextHandler(logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	guard, err := NewAuthGuard(f.auth, AuthGuardOptions{}, f.clock, discard())
	if err != nil {
		t.Fatal(err)
	}
	gw := NewLogins(f.hub, guard, f.preAuth, f.claims, s, realTime, discard())
	if got := refusal(s); got != "Push server is starting: database not checked yet, redis not checked yet" {
		t.Fatalf("before the first probe: %q", got)
	}

	ctx := context.Background()
	watch(t, s)
	waitUntil(t, "both probes to fail", func() bool { return db.calls.Load() > 3 && redis.calls.Load() > 3 })
	const both = "Push server is starting: database unreachable, redis unreachable"
	if got := refusal(s); got != both {
		t.Fatalf("refusal %q, want %q", got, both)
	}
	// Every login is refused, a pre-auth token included; Nextcloud is not asked.
	f.preAuth.Add("tok", "bob", realTime.Now())
	for _, creds := range [][2]string{{"alice", "pw"}, {"", "tok"}} {
		lctx, lcancel := context.WithTimeout(ctx, 100*time.Millisecond) // a login waits for readiness within its deadline
		_, err := gw.Check(lctx, creds[0], creds[1], nil)
		lcancel()
		if domain.AuthFailureText(err) != both {
			t.Fatalf("login %v: %v", creds, err)
		}
	}

	db.up.Store(true)
	waitUntil(t, "the database to be seen", func() bool { return refusal(s) == "Push server is starting: redis unreachable" })
	redis.up.Store(true)
	awaitAllUp(t, s)
	if err := s.Refusal(context.Background()); err != nil {
		t.Fatalf("still refusing: %v", err)
	}
	f.auth.EXPECT().Authenticate(gomock.Any(), "alice", "pw", gomock.Any()).Return(domain.UserID("alice"), nil)
	if user, err := gw.Check(ctx, "alice", "pw", nil); user != "alice" || err != nil {
		t.Fatalf("login once ready: %q %v", user, err)
	}
	if user, err := gw.Check(ctx, "", "tok", nil); user != "bob" || err != nil {
		t.Fatalf("pre-auth login once ready: %q %v", user, err)
	}
	// One warning per dependency despite many failed probes, then the recovery.
	for _, want := range []string{"waiting for database", "waiting for redis", "database answers", "redis answers",
		"accepting logins", "every dependency answers"} {
		if n := logs.count(want); n != 1 {
			t.Errorf("%d lines with %q, want 1:\n%s", n, want, logs.b.String())
		}
	}
	if !strings.Contains(logs.b.String(), "connection refused") {
		t.Errorf("the cause is not logged:\n%s", logs.b.String())
	}
}

func TestDependenciesLogEachMissingOnePerInterval(t *testing.T) {
	db := &switchable{}
	logs := &lockedLog{}
	timing := fastDependencies
	timing.LogEvery = 40 * time.Millisecond
	s, err := NewDependencies([]Dependency{{Name: "database", Probe: db.probe}}, timing, realTime,
		slog.New(slog.NewTextHandler(logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	waitUntil(t, "a second warning", func() bool { return logs.count("waiting for database") >= 2 })
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run after cancel: %v", err)
	}
	probes, warnings := int(db.calls.Load()), logs.count("waiting for database")
	if warnings >= probes {
		t.Errorf("%d warnings for %d probes: not rate-limited", warnings, probes)
	}
	select {
	case <-s.AllUp():
		t.Fatal("up although the database never answered")
	default:
	}
}

func TestDependenciesBoundAHangingProbe(t *testing.T) {
	var calls atomic.Int32
	hang := func(ctx context.Context) error {
		if calls.Add(1) == 1 {
			<-ctx.Done() // the first probe hangs until its timeout
			return ctx.Err()
		}
		return nil
	}
	timing := fastDependencies
	timing.ProbeTimeout = 20 * time.Millisecond
	s, err := NewDependencies([]Dependency{{Name: "nextcloud", Probe: hang}}, timing, realTime, discard())
	if err != nil {
		t.Fatal(err)
	}
	watch(t, s)
	awaitAllUp(t, s)
	if calls.Load() != 2 {
		t.Fatalf("%d probes, want a timed-out one and a good one", calls.Load())
	}
}

func TestNewDependencies(t *testing.T) {
	ok := func(context.Context) error { return nil }
	for name, deps := range map[string][]Dependency{
		"no name":          {{Name: "", Probe: ok}},
		"no probe":         {{Name: "redis"}},
		"duplicate":        {{Name: "redis", Probe: ok}, {Name: "redis", Probe: ok}},
		"negative recheck": {{Name: "redis", Probe: ok, Recheck: -time.Second}},
	} {
		if _, err := NewDependencies(deps, DependencyTiming{}, realTime, discard()); err == nil {
			t.Errorf("%s accepted", name)
		}
	}
	if _, err := NewDependencies(nil, DependencyTiming{FirstRetry: time.Second}, realTime, discard()); err == nil {
		t.Error("a partial timing accepted")
	}
	if _, err := NewDependencies(nil, DependencyTiming{}, nil, discard()); err == nil {
		t.Error("no clock accepted")
	}
	s, err := NewDependencies(nil, DependencyTiming{}, realTime, discard())
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-s.AllUp():
	default:
		t.Fatal("nothing to wait for, yet not up")
	}
	if err := s.Refusal(context.Background()); err != nil {
		t.Fatalf("refusal %v", err)
	}
}

// TestDependenciesAreQuietOnANormalStart: the subscription follows the
// first probe by a few milliseconds; that is no reason to warn.
func TestDependenciesAreQuietOnANormalStart(t *testing.T) {
	redis := &switchable{}
	logs := &lockedLog{}
	timing := fastDependencies
	timing.WarnAfter = time.Hour
	s, err := NewDependencies([]Dependency{{Name: "redis", Probe: func(ctx context.Context) error {
		if redis.calls.Load() == 3 {
			redis.up.Store(true)
		}
		return redis.probe(ctx)
	}}}, timing, realTime, slog.New(slog.NewTextHandler(logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	watch(t, s)
	awaitAllUp(t, s)
	if logs.count("WARN") != 0 || redis.calls.Load() != 4 {
		t.Fatalf("%d probes; warnings on a normal start:\n%s", redis.calls.Load(), logs.b.String())
	}
}

// TestDependenciesLoginWaitsForTheFirstProbes: a client arriving as the
// server starts waits for the first probes instead of being refused for nothing.
func TestDependenciesLoginWaitsForTheFirstProbes(t *testing.T) {
	release := make(chan struct{})
	slow := func(ctx context.Context) error {
		select {
		case <-release:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	s, err := NewDependencies([]Dependency{{Name: "nextcloud", Probe: slow, Gate: true}}, fastDependencies, realTime, discard())
	if err != nil {
		t.Fatal(err)
	}
	watch(t, s)
	answer := make(chan error, 1)
	go func() { answer <- s.Refusal(context.Background()) }()
	select {
	case err := <-answer:
		t.Fatalf("answered %v before the first probe returned", err)
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	if err := <-answer; err != nil {
		t.Fatalf("refused once the first probe answered: %v", err)
	}
}

// TestDependenciesLookAtLiveOnesAtLogin: the subscription comes up between
// two probes; a login does not wait for the next one.
func TestDependenciesLookAtLiveOnesAtLogin(t *testing.T) {
	redis := &switchable{}
	timing := fastDependencies
	timing.FirstRetry, timing.MaxRetry = time.Hour, time.Hour // no second probe during the test
	s, err := NewDependencies([]Dependency{{Name: "redis", Probe: redis.probe, Live: true, Gate: true}}, timing, realTime, discard())
	if err != nil {
		t.Fatal(err)
	}
	watch(t, s)
	waitUntil(t, "the first probe", func() bool { return redis.calls.Load() == 1 })
	if got := refusal(s); got != "Push server is starting: redis unreachable" {
		t.Fatalf("refusal %q", got)
	}
	redis.up.Store(true)
	if err := s.Refusal(context.Background()); err != nil {
		t.Fatalf("refused although the subscription is up: %v", err)
	}
	select {
	case <-s.AllUp():
	default:
		t.Fatal("not up after the live look")
	}
}

// TestDependenciesReadyServesLastResults: /health reads the last probe of a
// dependency instead of probing it per request, asks live ones afresh, and
// an outage after start shows at the next recheck and is logged once.
func TestDependenciesReadyServesLastResults(t *testing.T) {
	db, redis := &switchable{}, &switchable{}
	db.up.Store(true)
	redis.up.Store(true)
	clock := fakeclock.New(t0)
	logs := &lockedLog{}
	s, err := NewDependencies([]Dependency{
		{Name: "database", Probe: db.probe, Recheck: 30 * time.Second},
		{Name: "redis", Probe: redis.probe, Live: true},
	}, fastDependencies, clock, slog.New(slog.NewTextHandler(logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Ready(context.Background()); err == nil || !strings.Contains(err.Error(), "database: not checked yet") {
		t.Fatalf("before any probe: %v", err)
	}
	watch(t, s)
	awaitAllUp(t, s)
	clock.AwaitTimers(t, 1) // the database's recheck
	if err := s.Ready(context.Background()); err != nil {
		t.Fatalf("all up: %v", err)
	}

	db.up.Store(false)
	before := db.calls.Load()
	for range 100 {
		if err := s.Ready(context.Background()); err != nil {
			t.Fatalf("between rechecks: %v", err)
		}
	}
	if db.calls.Load() != before {
		t.Fatal("a readiness request probed the database")
	}
	clock.Advance(30 * time.Second)
	waitUntil(t, "the recheck", func() bool { return s.Ready(context.Background()) != nil })
	if err := s.Ready(context.Background()); !strings.Contains(err.Error(), "database: dial tcp") {
		t.Fatalf("after a failed recheck: %v", err)
	}
	clock.AwaitTimers(t, 1)
	clock.Advance(fastDependencies.FirstRetry) // retried soon, still down
	waitUntil(t, "the retry", func() bool { return db.calls.Load() >= before+2 })
	db.up.Store(true)
	clock.AwaitTimers(t, 1)
	clock.Advance(2 * fastDependencies.FirstRetry)
	waitUntil(t, "the recovery", func() bool { return s.Ready(context.Background()) == nil })
	if logs.count("database stopped answering") != 1 || logs.count("database answers again") != 1 {
		t.Fatalf("want one line for the outage and one for the recovery:\n%s", logs.b.String())
	}

	redis.up.Store(false)
	if err := s.Ready(context.Background()); err == nil || !strings.Contains(err.Error(), "redis: ") {
		t.Fatalf("live dependency down: %v", err)
	}
	if err := s.Refusal(context.Background()); err != nil {
		t.Fatalf("logins refused after start: %v", err)
	}
}

func TestDependenciesReadyNamesEveryFailingOne(t *testing.T) {
	ok := func(context.Context) error { return nil }
	s, err := NewDependencies([]Dependency{
		{Name: "listener", Probe: ok, Live: true},
		{Name: "redis", Probe: func(context.Context) error { return errors.New("not subscribed") }, Live: true},
		{Name: "database", Probe: func(context.Context) error { return errors.New("connection refused") }, Live: true},
	}, DependencyTiming{}, realTime, discard())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Ready(context.Background()); err == nil || err.Error() != "redis: not subscribed\ndatabase: connection refused" {
		t.Fatalf("Ready = %v", err)
	}
}

// TestDependenciesGateLoginsOnlyOnWhatTheyNeed: the database and Nextcloud
// down do not keep clients out once the subscription is there; /health
// still names them, and the startup check still waits for them.
func TestDependenciesGateLoginsOnlyOnWhatTheyNeed(t *testing.T) {
	db, redis, nc := &switchable{}, &switchable{}, &switchable{}
	s, err := NewDependencies([]Dependency{
		{Name: "database", Probe: db.probe},
		{Name: "redis", Probe: redis.probe, Live: true, Gate: true},
		{Name: "nextcloud", Probe: nc.probe},
	}, fastDependencies, realTime, discard())
	if err != nil {
		t.Fatal(err)
	}
	watch(t, s)
	waitUntil(t, "the first probes", func() bool { return redis.calls.Load() > 0 && db.calls.Load() > 0 })
	if got := refusal(s); got != "Push server is starting: redis unreachable" {
		t.Fatalf("refusal %q, want only the gating redis named", got)
	}
	redis.up.Store(true)
	if err := s.Refusal(context.Background()); err != nil {
		t.Fatalf("refused with the subscription up: %v", err)
	}
	waitUntil(t, "the probes to record", func() bool { return s.Ready(context.Background()) != nil })
	if err := s.Ready(context.Background()); !strings.Contains(err.Error(), "database: ") || !strings.Contains(err.Error(), "nextcloud: ") {
		t.Fatalf("health: %v", err)
	}
	select {
	case <-s.AllUp():
		t.Fatal("all up with the database and Nextcloud down")
	default:
	}
	db.up.Store(true)
	nc.up.Store(true)
	awaitAllUp(t, s)
}
