package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/golang/mock/gomock"

	"github.com/notifypush/notify_push/domain"
	"github.com/notifypush/notify_push/ports"
)

func (f *fixture) connect(t *testing.T, user domain.UserID) (ports.Session, *recorder) {
	t.Helper()
	c, r := newConn(f.ctrl)
	s, err := f.hub.Connect(user, c)
	if err != nil {
		t.Fatalf("connect %s: %v", user, err)
	}
	return s, r
}

func (f *fixture) handle(ev domain.Event) {
	f.dispatcher.HandleEvent(context.Background(), ev)
}

func eq(t *testing.T, what string, got, want []string) {
	t.Helper()
	if len(got) == 0 && len(want) == 0 {
		return
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s: got %q, want %q", what, got, want)
	}
}

func TestDebounceDrivenByDueTimes(t *testing.T) {
	f := newFixture(t, HubOptions{})
	_, r := f.connect(t, "alice")

	f.handle(domain.Activity{User: "alice"})
	f.handle(domain.Notification{User: "alice"})
	eq(t, "before the quiet period", r.Texts(), nil)
	next := f.hub.FlushDue(t0.Add(99 * time.Millisecond))
	if !next.Equal(t0.Add(domain.QuietPeriod)) {
		t.Fatalf("next due %v, want +100ms", next.Sub(t0))
	}
	next = f.hub.FlushDue(t0.Add(domain.QuietPeriod))
	eq(t, "after 100 ms", r.Texts(), []string{"notify_activity", "notify_notification"})
	if !next.IsZero() {
		t.Fatalf("nothing pending but next due %v", next)
	}

	// The next activity waits for the debounce time: 1 s (one connection)
	// times the connection's factor in [0.5, 1.5).
	f.clock.Set(t0.Add(200 * time.Millisecond))
	f.handle(domain.Activity{User: "alice"})
	next = f.hub.FlushDue(t0.Add(300 * time.Millisecond))
	lo, hi := t0.Add(100*time.Millisecond+500*time.Millisecond), t0.Add(100*time.Millisecond+1500*time.Millisecond)
	if next.Before(lo) || !next.Before(hi) {
		t.Fatalf("second activity due at %v, want within [600ms, 1.6s)", next.Sub(t0))
	}
	eq(t, "inside the debounce time", r.Texts()[2:], nil)
	f.hub.FlushDue(next)
	eq(t, "at the due time", r.Texts()[2:], []string{"notify_activity"})
	if f.counters.MessagesSent(domain.KindActivity) != 2 || f.counters.MessagesSent(domain.KindNotification) != 1 {
		t.Fatalf("counters: %+v", f.counters.Snapshot())
	}
}

func TestDebounceMergesBurstIntoOneMessage(t *testing.T) {
	f := newFixture(t, HubOptions{})
	s, r := f.connect(t, "alice")
	s.ListenFileIDs()
	f.cached(t, 5, []domain.Mount{{User: "alice"}}...)
	for i, id := range []domain.FileID{7, 8, 7} {
		f.clock.Set(t0.Add(time.Duration(i*10) * time.Millisecond))
		f.handle(domain.StorageUpdate{Storage: 5, Path: "files/x", FileID: id})
	}
	f.hub.FlushDue(t0.Add(time.Second))
	eq(t, "burst", r.Texts(), []string{"notify_file_id [7,8]"})
	// One heap entry per session at most once drained.
	if f.hub.sched.next() != (time.Time{}) {
		t.Fatal("scheduler still holds a due time")
	}
}

func TestDebounceDisabledSendsAtOnce(t *testing.T) {
	f := newFixture(t, HubOptions{DebounceDisable: true})
	s, r := f.connect(t, "alice")
	s.ListenFileIDs()
	f.cached(t, 1, []domain.Mount{{User: "alice"}}...)
	f.handle(domain.StorageUpdate{Storage: 1, Path: "files/a", FileID: 1})
	f.handle(domain.StorageUpdate{Storage: 1, Path: "files/a", FileID: 2})
	f.handle(domain.Activity{User: "alice"})
	eq(t, "undebounced", r.Texts(), []string{"notify_file_id [1]", "notify_file_id [2]", "notify_activity"})
	if f.hub.sched.len() != 0 {
		t.Fatal("nothing should be scheduled with debouncing off")
	}
}

func TestStorageUpdateReachesOnlyMountingUsers(t *testing.T) {
	f := newFixture(t, HubOptions{DebounceDisable: true})
	sa, ra := f.connect(t, "alice")
	sa.ListenFileIDs()
	_, rb := f.connect(t, "bob")
	_, rb2 := f.connect(t, "bob")
	_, rc := f.connect(t, "carol")
	_, rd := f.connect(t, "dave")
	f.cached(t, 10, []domain.Mount{
		{User: "alice", Root: ""},
		{User: "bob", Root: "files/Team"},
		{User: "bob", Root: ""},
		{User: "carol", Root: "files/Team/Design"},
	}...)
	f.handle(domain.StorageUpdate{Storage: 10, Path: "files/Team/notes.md", FileID: 99})
	eq(t, "alice (listening)", ra.Texts(), []string{"notify_file_id [99]"})
	eq(t, "bob, one message per connection", rb.Texts(), []string{"notify_file"})
	eq(t, "bob's second connection", rb2.Texts(), []string{"notify_file"})
	eq(t, "carol (other folder)", rc.Texts(), nil)
	eq(t, "dave (no mount)", rd.Texts(), nil)
	if got := f.counters.MessagesSent(domain.KindFile); got != 3 {
		t.Fatalf("file messages counted %d, want 3", got)
	}
}

func TestPerUserEvents(t *testing.T) {
	f := newFixture(t, HubOptions{DebounceDisable: true})
	sa, ra := f.connect(t, "alice")
	sa.ListenFileIDs()
	_, rb := f.connect(t, "bob")
	f.handle(domain.GroupMembershipUpdate{User: "alice", Group: "team"})
	f.handle(domain.UserShareCreated{User: "bob"})
	f.handle(domain.Notification{User: "bob"})
	f.handle(domain.Custom{User: "alice", Message: "my_type"})
	f.handle(domain.Custom{User: "alice", Message: "my_type", Body: `{"a":1}`})
	f.handle(domain.Activity{User: "nobody"})
	eq(t, "alice", ra.Texts(), []string{"notify_file", "my_type", `my_type {"a":1}`})
	eq(t, "bob", rb.Texts(), []string{"notify_file", "notify_notification"})
	if got := f.counters.EventsReceived.Load(); got != 6 {
		t.Fatalf("events received %d", got)
	}
}

func TestCustomBypassesDebounce(t *testing.T) {
	f := newFixture(t, HubOptions{})
	_, r := f.connect(t, "alice")
	f.handle(domain.Activity{User: "alice"})
	f.handle(domain.Custom{User: "alice", Message: "now"})
	eq(t, "custom first", r.Texts(), []string{"now"})
}

func TestConnectionLimitPerUser(t *testing.T) {
	f := newFixture(t, HubOptions{})
	var sessions []ports.Session
	for range domain.MaxConnectionsPerUser {
		s, _ := f.connect(t, "alice")
		sessions = append(sessions, s)
	}
	c, _ := newConn(f.ctrl)
	if _, err := f.hub.Connect("alice", c); !errors.Is(err, domain.ErrConnectionLimit) {
		t.Fatalf("65th connection: %v", err)
	}
	if _, err := f.logins.Attach("bob", c); err != nil {
		t.Fatalf("another user is not limited: %v", err)
	}
	sessions[0].Close()
	sessions[0].Close() // twice is harmless
	if _, err := f.hub.Connect("alice", c); err != nil {
		t.Fatalf("after a close: %v", err)
	}
	snap := f.counters.Snapshot()
	if snap.ActiveConnectionCount != 65 || snap.ActiveUserCount != 2 || snap.TotalConnectionCount != 66 {
		t.Fatalf("counters %+v", snap)
	}
}

// Every connection holds a session: it must stay in the 176-byte size class
// (it took 384 bytes before the Subscription shrank).
func TestSessionStaysSmall(t *testing.T) {
	if size := unsafe.Sizeof(session{}); size > 176 {
		t.Fatalf("a session takes %d bytes, want at most 176", size)
	}
}

// A user's connections are a list: closing the first, one in the middle
// or the last leaves the others reachable, in the order they logged in.
func TestClosingAnyOfAUsersConnections(t *testing.T) {
	f := newFixture(t, HubOptions{})
	var sessions []ports.Session
	var recs []*recorder
	for range 5 {
		s, r := f.connect(t, "alice")
		sessions, recs = append(sessions, s), append(recs, r)
	}
	for _, i := range []int{0, 2, 4} {
		sessions[i].Close()
	}
	if n := f.hub.Connections("alice"); n != 2 {
		t.Fatalf("%d connections left, want 2", n)
	}
	f.handle(domain.Custom{User: "alice", Message: "to the rest"})
	for i, r := range recs {
		var want []string
		if i == 1 || i == 3 {
			want = []string{"to the rest"}
		}
		eq(t, fmt.Sprintf("connection %d", i), r.Texts(), want)
	}
	s, _ := f.connect(t, "alice")
	sessions[1].Close()
	sessions[3].Close()
	if f.hub.Connections("alice") != 1 || f.counters.ActiveUsers.Load() != 1 {
		t.Fatalf("%d connections, %d users after closing all but the newest", f.hub.Connections("alice"), f.counters.ActiveUsers.Load())
	}
	s.Close()
	if f.hub.Connections("alice") != 0 || f.counters.ActiveUsers.Load() != 0 {
		t.Fatal("the user is still known with no connection")
	}
}

func TestClosedSessionGetsNothing(t *testing.T) {
	f := newFixture(t, HubOptions{})
	s, r := f.connect(t, "alice")
	f.handle(domain.Activity{User: "alice"})
	s.Close()
	f.hub.FlushDue(t0.Add(time.Hour))
	f.handle(domain.Custom{User: "alice", Message: "x"})
	eq(t, "after close", r.Texts(), nil)
	if f.hub.Connections("alice") != 0 || f.counters.ActiveUsers.Load() != 0 {
		t.Fatal("session not detached")
	}
}

func TestPreAuthTokenOnceAndExpiry(t *testing.T) {
	f := newFixture(t, HubOptions{})
	ctx := context.Background()
	f.handle(domain.PreAuth{User: "alice", Token: "tok-1"})
	f.handle(domain.PreAuth{User: "bob", Token: "tok-2"})

	f.clock.Set(t0.Add(14 * time.Second))
	if u, err := f.logins.Check(ctx, "", "tok-1", nil); err != nil || u != "alice" {
		t.Fatalf("fresh token: %q %v", u, err)
	}
	// Used once: the empty login then fails without asking Nextcloud.
	if _, err := f.logins.Check(ctx, "", "tok-1", nil); !errors.Is(err, domain.ErrInvalidCredentials) {
		t.Fatalf("reused token: %v", err)
	}
	f.clock.Set(t0.Add(domain.PreAuthLifetime))
	// Expired: falls through to the authenticator with the given login.
	f.auth.EXPECT().Authenticate(gomock.Any(), "bob", "tok-2", []string{"10.0.0.1"}).Return(domain.UserID(""), domain.ErrInvalidCredentials)
	if _, err := f.logins.Check(ctx, "bob", "tok-2", []string{"10.0.0.1"}); !errors.Is(err, domain.ErrInvalidCredentials) {
		t.Fatalf("expired token: %v", err)
	}
}

func TestAuthenticateAsksNextcloud(t *testing.T) {
	f := newFixture(t, HubOptions{})
	ctx := context.Background()
	f.auth.EXPECT().Authenticate(gomock.Any(), "alice@example.com", "pw", []string{"1.2.3.4", "127.0.0.1"}).Return(domain.UserID("alice"), nil)
	if u, err := f.logins.Check(ctx, "alice@example.com", "pw", []string{"1.2.3.4", "127.0.0.1"}); err != nil || u != "alice" {
		t.Fatalf("got %q %v", u, err)
	}
	ncErr := &domain.NextcloudError{Err: errors.New("Server error: 500 Internal Server Error")}
	f.auth.EXPECT().Authenticate(gomock.Any(), "bob", "pw", nil).Return(domain.UserID(""), ncErr)
	if _, err := f.logins.Check(ctx, "bob", "pw", nil); !errors.Is(err, ncErr) {
		t.Fatalf("got %v", err)
	}
}

func TestResetClosesEveryConnection(t *testing.T) {
	f := newFixture(t, HubOptions{})
	_, ra := f.connect(t, "alice")
	_, rb := f.connect(t, "bob")
	f.handle(domain.Signal{Signal: domain.SignalReset})
	if !reflect.DeepEqual(ra.Closed(), []domain.CloseReason{domain.CloseReset}) || !reflect.DeepEqual(rb.Closed(), []domain.CloseReason{domain.CloseReset}) {
		t.Fatalf("closed: %v %v", ra.Closed(), rb.Closed())
	}
}

func TestMetricsQueryWritesKey(t *testing.T) {
	f := newFixture(t, HubOptions{})
	f.connect(t, "alice")
	f.instances.EXPECT().Announce(gomock.Any(), "test-1", gomock.Any(), gomock.Any()).Return(nil)
	f.instances.EXPECT().Reports(gomock.Any()).Return(map[string]string{"test-1": "{}"}, nil)
	f.kv.EXPECT().Set(gomock.Any(), "notify_push_metrics", gomock.Any()).DoAndReturn(func(_ context.Context, _, v string) error {
		if !strings.HasPrefix(v, `{"active_connection_count":1,"active_user_count":1,"total_connection_count":1,`) ||
			!strings.Contains(v, `"events_received":1`) {
			t.Errorf("metrics JSON %s", v)
		}
		return nil
	})
	f.handle(domain.Query{Query: domain.QueryMetrics})
}

// TestMetricsQuerySumsTheInstances: several servers share the Redis; the
// answer is the service's, whichever of them writes it.
func TestMetricsQuerySumsTheInstances(t *testing.T) {
	f := newFixture(t, HubOptions{})
	f.connect(t, "alice")
	f.instances.EXPECT().Announce(gomock.Any(), "test-1", gomock.Any(), gomock.Any()).Return(nil)
	f.instances.EXPECT().Reports(gomock.Any()).Return(map[string]string{
		"test-1": `{"active_connection_count":99}`, // this one's, read afresh instead
		"test-2": `{"active_connection_count":10,"active_user_count":7,"messages_sent":5,"messages_sent_custom":5}`,
		"test-3": `{"active_connection_count":20,"active_user_count":15}`,
		"test-4": `not json`,
	}, nil)
	f.kv.EXPECT().Set(gomock.Any(), "notify_push_metrics", gomock.Any()).DoAndReturn(func(_ context.Context, _, v string) error {
		if !strings.HasPrefix(v, `{"active_connection_count":31,"active_user_count":23,`) ||
			!strings.Contains(v, `"messages_sent":5,`) || !strings.Contains(v, `"messages_sent_custom":5}`) {
			t.Errorf("metrics JSON %s", v)
		}
		return nil
	})
	f.handle(domain.Query{Query: domain.QueryMetrics})
	if n := f.counters.Instances.Load(); n != 3 {
		t.Fatalf("%d instances counted, want 3", n)
	}

	// Redis failing: this instance's own figures, still written.
	f.instances.EXPECT().Announce(gomock.Any(), "test-1", gomock.Any(), gomock.Any()).Return(errors.New("redis down"))
	f.kv.EXPECT().Set(gomock.Any(), "notify_push_metrics", gomock.Any()).Return(nil)
	f.handle(domain.Query{Query: domain.QueryMetrics})
}

func TestMappingErrorDropsEventOnly(t *testing.T) {
	f := newFixture(t, HubOptions{DebounceDisable: true})
	_, r := f.connect(t, "alice")
	f.db.EXPECT().MountsFor(gomock.Any(), domain.StorageID(3)).Return(nil, errors.New("database down"))
	f.handle(domain.StorageUpdate{Storage: 3, Path: "files/x", FileID: 1})
	f.handle(domain.Activity{User: "alice"})
	if n := runQueued(f.mapper); n != 1 {
		t.Fatalf("%d lookups ran, want 1", n)
	}
	eq(t, "later events still work", r.Texts(), []string{"notify_activity"})
	if n := f.counters.DatabaseErrors.Load(); n != 1 {
		t.Fatalf("database errors = %d, want 1", n)
	}
}

func TestTestCookieAndLogLevel(t *testing.T) {
	f := newFixture(t, HubOptions{})
	f.handle(domain.TestCookie{Cookie: 123456})
	if f.dispatcher.TestCookie() != 123456 {
		t.Fatal("cookie not stored")
	}
	level := func() slog.Level { return f.logs.Spec().Level(domain.TargetSend) }
	f.handle(domain.ConfigChange{LogSpec: "notify_push=debug"})
	if level() != slog.LevelDebug {
		t.Fatalf("level %v after log_spec", level())
	}
	f.handle(domain.ConfigChange{LogSpec: "bogus=loud"})
	if level() != slog.LevelDebug {
		t.Fatal("a bad spec changed the level")
	}
	// As flexi_logger, a bad spec still pushed the one in force: the first
	// restore undoes the bad one, the second the good one.
	f.handle(domain.ConfigChange{Restore: true})
	if level() != slog.LevelDebug {
		t.Fatalf("level %v after the first restore", level())
	}
	f.handle(domain.ConfigChange{Restore: true})
	if level() != slog.LevelWarn {
		t.Fatalf("level %v after the second restore", level())
	}
	f.handle(domain.ConfigChange{Restore: true})
	if level() != slog.LevelWarn {
		t.Fatalf("level %v after a restore with nothing pushed", level())
	}
}

func TestHubRunFlushesAndClosesOnShutdown(t *testing.T) {
	f := newFixture(t, HubOptions{})
	_, r := f.connect(t, "alice")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.hub.Run(ctx) }()
	f.clock.AwaitTimers(t, 1)
	f.hub.deliver("alice", slotUpdate{kind: domain.KindNotification}, f.clock.Now(), time.Second)
	// Run wakes and waits for the slot's due time: move the clock until it
	// has passed and the message is out.
	deadline := time.Now().Add(5 * time.Second)
	for len(r.Texts()) == 0 && time.Now().Before(deadline) {
		f.clock.Advance(100 * time.Millisecond)
		time.Sleep(time.Millisecond)
	}
	eq(t, "delivered by Run", r.Texts(), []string{"notify_notification"})
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(r.Closed(), []domain.CloseReason{domain.CloseShutdown}) {
		t.Fatalf("closed with %v", r.Closed())
	}
}

func TestMappingErrorsAreLoggedOncePerStoragePerMinute(t *testing.T) {
	f := newFixture(t, HubOptions{DebounceDisable: true})
	var logs strings.Builder
	f.mapper.log = slog.New(slog.NewTextHandler(&logs, nil))
	// Backoff 5 s, then 10 s: the first 10 s cost two lookups per storage.
	f.db.EXPECT().MountsFor(gomock.Any(), gomock.Any()).Return(nil, errors.New("database down")).Times(5)
	for i := range 100 {
		f.clock.Set(t0.Add(time.Duration(i) * 100 * time.Millisecond)) // 10 s of events
		f.handle(domain.StorageUpdate{Storage: 3, Path: "x", FileID: 1})
		f.handle(domain.StorageUpdate{Storage: 4, Path: "x", FileID: 1})
		runQueued(f.mapper)
	}
	if n := strings.Count(logs.String(), "mapping unavailable"); n != 2 {
		t.Fatalf("%d warnings for 200 failed events on 2 storages, want 2:\n%s", n, logs.String())
	}
	if n := f.counters.DatabaseErrors.Load(); n != 200 {
		t.Fatalf("database errors = %d, want one per dropped update (200)", n)
	}
	f.clock.Set(t0.Add(time.Minute + time.Second))
	f.handle(domain.StorageUpdate{Storage: 3, Path: "x", FileID: 1})
	runQueued(f.mapper)
	if n := strings.Count(logs.String(), "mapping unavailable"); n != 3 {
		t.Fatalf("after a minute: %d warnings, want 3", n)
	}
}

// A client may log in with a token before the token has come through Redis:
// the login waits for it; a token that never comes is refused after the wait.
func TestPreAuthLoginWaitsForItsToken(t *testing.T) {
	f := newFixture(t, HubOptions{})
	lateToken := strings.Repeat("L", preAuthTokenLen)
	ctx := context.Background()
	type answer struct {
		user domain.UserID
		err  error
	}
	got := make(chan answer, 1)
	go func() {
		u, err := f.logins.Check(ctx, "", lateToken, nil)
		got <- answer{u, err}
	}()
	select {
	case a := <-got:
		t.Fatalf("answered %q %v before the token arrived", a.user, a.err)
	case <-time.After(100 * time.Millisecond):
	}
	f.handle(domain.PreAuth{User: "carol", Token: strings.Repeat("o", preAuthTokenLen)}) // someone else's: keeps waiting
	f.handle(domain.PreAuth{User: "alice", Token: lateToken})
	if a := <-got; a.err != nil || a.user != "alice" {
		t.Fatalf("late token: %q %v", a.user, a.err)
	}

	cctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if _, err := f.logins.Check(cctx, "", strings.Repeat("n", preAuthTokenLen), nil); !errors.Is(err, domain.ErrInvalidCredentials) {
		t.Fatalf("unknown token, login given up: %v", err)
	}
	// A token that never comes is refused once the wait is over.
	refused := make(chan error, 1)
	go func() {
		_, err := f.logins.Check(ctx, "", strings.Repeat("u", preAuthTokenLen), nil)
		refused <- err
	}()
	f.clock.AwaitTimers(t, 1)
	f.clock.Advance(preAuthWait)
	select {
	case err := <-refused:
		if !errors.Is(err, domain.ErrInvalidCredentials) {
			t.Fatalf("unknown token after the wait: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a login waited past the pre-auth wait")
	}

	// A password that cannot be a token is refused without the wait.
	start := time.Now()
	if _, err := f.logins.Check(ctx, "", "not-a-token", nil); !errors.Is(err, domain.ErrInvalidCredentials) {
		t.Fatalf("not a token: %v", err)
	}
	if waited := time.Since(start); waited >= preAuthWait {
		t.Fatalf("an empty login with a password not shaped like a token waited %v for a token", waited)
	}
}

// The texts a fan-out builds once are, for every kind of update and both
// kinds of client, what the subscription would have built for itself.
func TestSharedTextsMatchTheSubscription(t *testing.T) {
	updates := []slotUpdate{
		{kind: domain.KindFile, fileID: 42, knownID: true},
		{kind: domain.KindFile, fileID: 42},
		{kind: domain.KindActivity},
		{kind: domain.KindNotification},
	}
	for _, u := range updates {
		texts := u.withTexts().texts
		for listen, shared := range texts {
			sub := domain.NewSubscription(1)
			if listen == 1 {
				sub.ListenFileIDs()
			}
			u.apply(&sub, t0)
			out := sub.FlushAll(t0, nil)
			if len(out) != 1 || out[0].Text != shared || out[0].Kind != u.kind {
				t.Errorf("%+v, listening %d: shared text %q, the subscription sends %+v", u, listen, shared, out)
			}
		}
	}
}

// A storage mounted by more users than one goroutine handles is delivered
// in parallel, in chunks: every connection gets exactly one message, and the
// counter counts each once.
func TestParallelFanoutReachesEveryConnectionOnce(t *testing.T) {
	f := newFixture(t, HubOptions{DebounceDisable: true})
	const users = 3*parallelFanout + 17
	var mounts []domain.Mount
	var recs []*recorder
	for i := range users {
		user := domain.UserID(fmt.Sprintf("u%d", i))
		s, r := f.connect(t, user)
		if i%2 == 0 {
			s.ListenFileIDs()
		}
		if i%5 == 0 { // a second connection
			_, r2 := f.connect(t, user)
			recs = append(recs, r2)
		}
		recs = append(recs, r)
		mounts = append(mounts, domain.Mount{User: user})
	}
	f.cached(t, 7, mounts...)
	f.handle(domain.StorageUpdate{Storage: 7, Path: "files/x", FileID: 5})
	for i, r := range recs {
		got := r.Texts()
		if len(got) != 1 || (got[0] != "notify_file_id [5]" && got[0] != "notify_file") {
			t.Fatalf("connection %d received %q, want one file message", i, got)
		}
	}
	if got := f.counters.MessagesSent(domain.KindFile); got != uint64(len(recs)) {
		t.Fatalf("counted %d file messages, want %d", got, len(recs))
	}
}
