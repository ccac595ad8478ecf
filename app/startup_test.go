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

	"github.com/notifypush/notify_push/domain"
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

var fastStartup = StartupTiming{FirstRetry: 2 * time.Millisecond, MaxRetry: 10 * time.Millisecond,
	ProbeTimeout: time.Second, LogEvery: time.Hour}

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

func refusal(s *Startup) string {
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := s.Refusal(ctx); err != nil {
		return domain.AuthFailureText(err)
	}
	return ""
}

func TestStartupRefusesLoginsUntilEveryDependencyAnswers(t *testing.T) {
	f := newFixture(t, HubOptions{})
	db, redis := &switchable{}, &switchable{}
	logs := &lockedLog{}
	s, err := NewStartupWith(Dependencies{{Name: "database", Probe: db.probe}, {Name: "redis", Probe: redis.probe}}, fastStartup,
		slog.New(slog.NewTextHandler(logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	gw := NewGateway(f.hub, f.auth, f.preAuth, f.clock, s)
	if got := refusal(s); got != "Push server is starting: database not checked yet, redis not checked yet" {
		t.Fatalf("before the first probe: %q", got)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	waitUntil(t, "both probes to fail", func() bool { return db.calls.Load() > 3 && redis.calls.Load() > 3 })
	const both = "Push server is starting: database unreachable, redis unreachable"
	if got := refusal(s); got != both {
		t.Fatalf("refusal %q, want %q", got, both)
	}
	// Every login is refused, a pre-auth token included; Nextcloud is not asked.
	f.preAuth.Add("tok", "bob", f.clock.Now())
	for _, creds := range [][2]string{{"alice", "pw"}, {"", "tok"}} {
		lctx, lcancel := context.WithTimeout(ctx, 100*time.Millisecond) // a login waits for readiness within its deadline
		_, err := gw.Authenticate(lctx, creds[0], creds[1], nil)
		lcancel()
		if domain.AuthFailureText(err) != both {
			t.Fatalf("login %v: %v", creds, err)
		}
	}

	db.up.Store(true)
	waitUntil(t, "the database to be seen", func() bool { return refusal(s) == "Push server is starting: redis unreachable" })
	redis.up.Store(true)
	select {
	case <-s.Ready():
	case <-time.After(5 * time.Second):
		t.Fatal("not ready once every dependency answers")
	}
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	if err := s.Refusal(context.Background()); err != nil {
		t.Fatalf("still refusing: %v", err)
	}
	f.auth.EXPECT().Authenticate(gomock.Any(), "alice", "pw", gomock.Any()).Return(domain.UserID("alice"), nil)
	if user, err := gw.Authenticate(ctx, "alice", "pw", nil); user != "alice" || err != nil {
		t.Fatalf("login once ready: %q %v", user, err)
	}
	if user, err := gw.Authenticate(ctx, "", "tok", nil); user != "bob" || err != nil {
		t.Fatalf("pre-auth login once ready: %q %v", user, err)
	}
	// One warning per dependency despite many failed probes, then the recovery.
	for _, want := range []string{"waiting for database", "waiting for redis", "database answers", "redis answers", "accepting logins"} {
		if n := logs.count(want); n != 1 {
			t.Errorf("%d lines with %q, want 1:\n%s", n, want, logs.b.String())
		}
	}
	if !strings.Contains(logs.b.String(), "connection refused") {
		t.Errorf("the cause is not logged:\n%s", logs.b.String())
	}
}

func TestStartupLogsEachMissingDependencyPerInterval(t *testing.T) {
	db := &switchable{}
	logs := &lockedLog{}
	timing := fastStartup
	timing.LogEvery = 40 * time.Millisecond
	s, err := NewStartupWith(Dependencies{{Name: "database", Probe: db.probe}}, timing, slog.New(slog.NewTextHandler(logs, nil)))
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
	case <-s.Ready():
		t.Fatal("ready although the database never answered")
	default:
	}
}

func TestStartupBoundsAHangingProbe(t *testing.T) {
	var calls atomic.Int32
	hang := func(ctx context.Context) error {
		if calls.Add(1) == 1 {
			<-ctx.Done() // the first probe hangs until its timeout
			return ctx.Err()
		}
		return nil
	}
	timing := fastStartup
	timing.ProbeTimeout = 20 * time.Millisecond
	s, err := NewStartupWith(Dependencies{{Name: "nextcloud", Probe: hang}}, timing, discard())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if calls.Load() != 2 {
		t.Fatalf("%d probes, want a timed-out one and a good one", calls.Load())
	}
}

func TestNewStartup(t *testing.T) {
	ok := func(context.Context) error { return nil }
	for name, deps := range map[string]Dependencies{
		"no name":   {{Name: "", Probe: ok}},
		"no probe":  {{Name: "redis"}},
		"duplicate": {{Name: "redis", Probe: ok}, {Name: "redis", Probe: ok}},
	} {
		if _, err := NewStartup(deps, discard()); err == nil {
			t.Errorf("%s accepted", name)
		}
	}
	if _, err := NewStartupWith(nil, StartupTiming{FirstRetry: time.Second}, discard()); err == nil {
		t.Error("a partial timing accepted")
	}
	s, err := NewStartup(nil, discard())
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-s.Ready():
	default:
		t.Fatal("nothing to wait for, yet not ready")
	}
	if err := s.Refusal(context.Background()); err != nil {
		t.Fatalf("refusal %v", err)
	}
}

// TestStartupIsQuietOnANormalStart: the subscription follows the first probe
// by a few milliseconds; that is no reason to warn.
func TestStartupIsQuietOnANormalStart(t *testing.T) {
	redis := &switchable{}
	logs := &lockedLog{}
	timing := fastStartup
	timing.WarnAfter = time.Hour
	s, err := NewStartupWith(Dependencies{{Name: "redis", Probe: func(ctx context.Context) error {
		if redis.calls.Load() == 3 {
			redis.up.Store(true)
		}
		return redis.probe(ctx)
	}}}, timing, slog.New(slog.NewTextHandler(logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if logs.count("WARN") != 0 || redis.calls.Load() != 4 {
		t.Fatalf("%d probes; warnings on a normal start:\n%s", redis.calls.Load(), logs.b.String())
	}
}

// TestStartupLoginWaitsForTheFirstProbes: a client arriving as the server
// starts waits for the first probes instead of being refused for nothing.
func TestStartupLoginWaitsForTheFirstProbes(t *testing.T) {
	release := make(chan struct{})
	slow := func(ctx context.Context) error {
		select {
		case <-release:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	s, err := NewStartupWith(Dependencies{{Name: "nextcloud", Probe: slow}}, fastStartup, discard())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
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
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// TestStartupLooksAtLiveDependenciesAtLogin: the subscription comes up
// between two probes; a login does not wait for the next one.
func TestStartupLooksAtLiveDependenciesAtLogin(t *testing.T) {
	redis := &switchable{}
	timing := fastStartup
	timing.FirstRetry, timing.MaxRetry = time.Hour, time.Hour // no second probe during the test
	s, err := NewStartupWith(Dependencies{{Name: "redis", Probe: redis.probe, Live: true}}, timing, discard())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	waitUntil(t, "the first probe", func() bool { return redis.calls.Load() == 1 })
	if got := refusal(s); got != "Push server is starting: redis unreachable" {
		t.Fatalf("refusal %q", got)
	}
	redis.up.Store(true)
	if err := s.Refusal(context.Background()); err != nil {
		t.Fatalf("refused although the subscription is up: %v", err)
	}
	select {
	case <-s.Ready():
	default:
		t.Fatal("not ready after the live look")
	}
	if err := <-done; err != nil { // Run ends with the server ready
		t.Fatal(err)
	}
	cancel()
}
