package redis

import (
	"context"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/notifypush/notify_push/domain"
	"github.com/notifypush/notify_push/internal/contract"
)

// TestEventSourceContract runs the port's suite on a private server per
// subtest: pub/sub is global to a Redis instance.
func TestEventSourceContract(t *testing.T) {
	contract.EventSource(t, func(t *testing.T) contract.Events {
		srv := startRedis(t, serverConfig{})
		raw := rawClient(t, srv)
		es, _ := newSource(newClient(t, Options{URLs: []string{srv.url("", 0)}}))
		return contract.Events{
			Source: es,
			Publish: func(ctx context.Context, channel, payload string) error {
				return raw.Publish(ctx, channel, payload).Err()
			},
			Ready: func(t testing.TB) { waitSubscribed(t, raw) },
		}
	})
}

func TestEventSourceLogsTheSubscriptionOnce(t *testing.T) {
	srv := startRedis(t, serverConfig{})
	raw := rawClient(t, srv)
	es, logs := newSource(newClient(t, Options{URLs: []string{srv.url("", 0)}}))
	l := listen(t, es, logs)
	waitSubscribed(t, raw)
	publishUntilReceived(t, raw, l, 2*time.Second)
	if n := logs.count(slog.LevelInfo, "subscribed to Redis"); n != 1 {
		t.Errorf("%d 'subscribed' records; logs: %v", n, logs.all())
	}
}

// malformed are payloads no channel should accept; a few happen to be valid
// on some channel and are skipped there.
func malformed() []string {
	huge := strings.Repeat("x", 100_000)
	return []string{
		"", "   ", "not json", "{", "[]", "null", "true", "-1", "1.5", "4294967296", `"reset "`,
		`{"user": 5}`, `{"user": null}`, `{"user": ["alice"]}`, `{"token": "t"}`,
		`{"storage": -1, "path": "a", "file_id": 1}`, `{"storage": "12", "path": "a", "file_id": 1}`,
		`{"storage": 1, "path": 7, "file_id": 1}`, `{"storage": 1, "path": "a", "file_id": -3}`,
		`{"user": "a", "message": "m", "body": }`, `{"user": "a", "token": ""}`, `{"log_spec": 1}`,
		`"` + huge + `"`, huge, `{"user": "a", "message": "` + huge + `"`, /* unterminated */
		"\xff\xfe\x00",
	}
}

func TestEventSourceSurvivesMalformedPayloads(t *testing.T) {
	srv := startRedis(t, serverConfig{})
	raw := rawClient(t, srv)
	es, logs := newSource(newClient(t, Options{URLs: []string{srv.url("", 0)}}))
	l := listen(t, es, logs)
	waitSubscribed(t, raw)

	bad := 0
	good := contract.SampleEvents()
	for _, g := range good {
		for _, p := range malformed() {
			if _, err := domain.DecodeEvent(g.Channel, []byte(p)); err == nil {
				continue // valid here (null is cookie 0, say)
			}
			bad++
			if err := raw.Publish(bounded(t), g.Channel, p).Err(); err != nil {
				t.Fatal(err)
			}
		}
		// The good event after the bad ones proves the subscription goes on.
		if err := raw.Publish(bounded(t), g.Channel, g.Payload).Err(); err != nil {
			t.Fatal(err)
		}
	}
	// Each bad payload is handed on as a MalformedEvent of its channel (it
	// counts as received, as upstream's do), in order with the good ones.
	handedOn := 0
	for _, g := range good {
		ev := l.next(t, 5*time.Second)
		for {
			m, ok := ev.(domain.MalformedEvent)
			if !ok {
				break
			}
			if m.On != g.Channel || m.Err == nil {
				t.Fatalf("malformed event %#v before the good one of %s", m, g.Channel)
			}
			handedOn++
			ev = l.next(t, 5*time.Second)
		}
		if !reflect.DeepEqual(ev, g.Want) {
			t.Fatalf("%s: got %#v, want %#v", g.Channel, ev, g.Want)
		}
	}
	if handedOn != bad {
		t.Errorf("%d malformed events handed on for %d bad payloads", handedOn, bad)
	}
	l.running(t)
	if got := logs.count(slog.LevelWarn, "dropped malformed event"); got != bad {
		t.Errorf("%d malformed-event warnings for %d bad payloads", got, bad)
	}
	for _, r := range logs.all() {
		// The domain's errors may quote a truncated value, never a payload.
		if len(r) > 500 || strings.Contains(r, strings.Repeat("x", 100)) {
			t.Fatalf("a log record quotes the payload: %.200s...", r)
		}
	}
	if bad < 20*len(good) {
		t.Errorf("only %d malformed payloads exercised", bad)
	}
}

func TestEventSourceIgnoresUnknownChannels(t *testing.T) {
	es, logs := newSource(nil)
	called := false
	es.deliver(context.Background(), func(context.Context, domain.Event) { called = true }, "notify_bogus", `{"user":"a"}`)
	if called {
		t.Fatal("handler called for an unknown channel")
	}
	if n := logs.count(slog.LevelWarn, ""); n != 0 {
		t.Fatalf("unknown channel logged as a warning: %v", logs.all())
	}

	// Over Redis: messages on other channels never reach the handler.
	srv := startRedis(t, serverConfig{})
	raw := rawClient(t, srv)
	es, logs = newSource(newClient(t, Options{URLs: []string{srv.url("", 0)}}))
	l := listen(t, es, logs)
	waitSubscribed(t, raw)
	for _, ch := range []string{"notify_bogus", "notify_storage_update2", "NOTIFY_ACTIVITY"} {
		if err := raw.Publish(bounded(t), ch, `{"user":"x"}`).Err(); err != nil {
			t.Fatal(err)
		}
	}
	if err := raw.Publish(bounded(t), domain.ChannelActivity, `{"user":"alice"}`).Err(); err != nil {
		t.Fatal(err)
	}
	if ev := l.next(t, 2*time.Second); ev != (domain.Activity{User: "alice"}) {
		t.Fatalf("got %#v", ev)
	}
}

func TestEventSourceResubscribesAfterRestart(t *testing.T) {
	srv := startRedis(t, serverConfig{})
	raw := rawClient(t, srv)
	es, logs := newSource(newClient(t, Options{URLs: []string{srv.url("", 0)}}))
	l := listen(t, es, logs)
	waitSubscribed(t, raw)
	publishUntilReceived(t, raw, l, 2*time.Second)

	srv.kill()
	waitFor(t, 3*time.Second, "the loss to be logged", func() bool {
		return logs.count(slog.LevelWarn, "Redis subscription lost") == 1
	})
	time.Sleep(1500 * time.Millisecond) // a few failed attempts
	l.running(t)

	srv.start()
	took := publishUntilReceived(t, raw, l, 5*time.Second)
	if took > 2500*time.Millisecond {
		t.Errorf("resubscribed %s after Redis came back, want about 1 s", took)
	}
	l.running(t)
	if n := logs.count(slog.LevelWarn, ""); n != 1 {
		t.Errorf("%d warnings, want exactly one for the outage: %v", n, logs.all())
	}
	if n := logs.count(slog.LevelInfo, "Redis subscription restored"); n != 1 {
		t.Errorf("%d 'restored' records: %v", n, logs.all())
	}
	if l.resubscribed != 1 {
		t.Errorf("%d Resubscribed events after the restore, want 1: the events published meanwhile are lost", l.resubscribed)
	}

	// And again: the loop survives any number of outages.
	srv.kill()
	time.Sleep(300 * time.Millisecond)
	srv.start()
	publishUntilReceived(t, raw, l, 5*time.Second)
	if n := logs.count(slog.LevelInfo, "Redis subscription restored"); n != 2 || l.resubscribed != 2 {
		t.Errorf("%d 'restored' records and %d Resubscribed events after two outages", n, l.resubscribed)
	}
}

func TestEventSourceRetriesUntilRedisFirstComesUp(t *testing.T) {
	srv := startRedis(t, serverConfig{})
	srv.kill()
	raw := rawClient(t, srv)
	es, logs := newSource(newClient(t, Options{URLs: []string{srv.url("", 0)}}))
	l := listen(t, es, logs)
	waitFor(t, 3*time.Second, "the failure to be logged", func() bool {
		return logs.count(slog.LevelWarn, "cannot subscribe to Redis") == 1
	})
	time.Sleep(1200 * time.Millisecond)
	srv.start()
	publishUntilReceived(t, raw, l, 5*time.Second)
	if n := logs.count(slog.LevelWarn, ""); n != 1 {
		t.Errorf("%d warnings, want one: %v", n, logs.all())
	}
	if l.resubscribed != 0 {
		t.Errorf("%d Resubscribed events for a first subscription, which lost nothing", l.resubscribed)
	}
}

func TestEventSourceDetectsHungRedis(t *testing.T) {
	srv := startRedis(t, serverConfig{})
	raw := rawClient(t, srv)
	es, logs := newSource(newClient(t, Options{URLs: []string{srv.url("", 0)}}))
	es.pingInterval, es.replyTimeout = 200*time.Millisecond, 300*time.Millisecond
	l := listen(t, es, logs)
	waitSubscribed(t, raw)
	publishUntilReceived(t, raw, l, 2*time.Second)

	srv.pause() // the TCP connection stays open; nothing answers
	waitFor(t, 3*time.Second, "the hung connection to be given up", func() bool {
		return logs.count(slog.LevelWarn, "no reply from Redis") == 1
	})
	l.running(t)
	srv.resume()
	publishUntilReceived(t, raw, l, 10*time.Second)
	l.running(t)
}

func TestEventSourcePingsKeepAQuietSubscription(t *testing.T) {
	srv := startRedis(t, serverConfig{})
	raw := rawClient(t, srv)
	es, logs := newSource(newClient(t, Options{URLs: []string{srv.url("", 0)}}))
	es.pingInterval, es.replyTimeout = 50*time.Millisecond, 500*time.Millisecond
	l := listen(t, es, logs)
	waitSubscribed(t, raw)
	time.Sleep(time.Second) // about 20 pings, all answered
	if n := logs.count(slog.LevelWarn, ""); n != 0 {
		t.Fatalf("warnings on a healthy connection: %v", logs.all())
	}
	publishUntilReceived(t, raw, l, 2*time.Second)
}

func TestEventSourceStopsOnCancel(t *testing.T) {
	srv := startRedis(t, serverConfig{})
	raw := rawClient(t, srv)
	client := newClient(t, Options{URLs: []string{srv.url("", 0)}})

	check := func(name string, setup func()) {
		t.Helper()
		es, _ := newSource(client)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- es.Listen(ctx, func(context.Context, domain.Event) {}) }()
		setup()
		start := time.Now()
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("%s: Listen returned %v", name, err)
			}
			if d := time.Since(start); d > 500*time.Millisecond {
				t.Errorf("%s: Listen took %s to return", name, d)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: Listen did not return", name)
		}
	}
	check("subscribed", func() { waitSubscribed(t, raw) })
	srv.kill()
	check("retrying", func() { time.Sleep(1500 * time.Millisecond) })

	es, _ := newSource(client)
	if err := es.Listen(context.Background(), nil); err == nil {
		t.Error("Listen accepted a nil handler")
	}
}

func TestEventSourceReturnsWhenItsClientIsClosed(t *testing.T) {
	srv := startRedis(t, serverConfig{})
	client, cleanup, err := NewClient(Options{URLs: []string{srv.url("", 0)}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	es, _ := newSource(client)
	done := make(chan error, 1)
	go func() { done <- es.Listen(context.Background(), func(context.Context, domain.Event) {}) }()
	waitSubscribed(t, rawClient(t, srv))
	cleanup()
	srv.kill() // the subscription's own connection ends too
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("Listen returned nil on a closed client")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Listen keeps retrying on a closed client")
	}
}

func TestEventSourceStopsOnCancelWhileRedisHangs(t *testing.T) {
	srv := startRedis(t, serverConfig{})
	raw := rawClient(t, srv)
	es, logs := newSource(newClient(t, Options{URLs: []string{srv.url("", 0)}}))
	l := listen(t, es, logs)
	waitSubscribed(t, raw)
	publishUntilReceived(t, raw, l, 2*time.Second) // the session is reading
	srv.pause()
	time.Sleep(100 * time.Millisecond)
	start := time.Now()
	l.cancel()
	select {
	case err := <-l.done:
		if err != nil {
			t.Fatalf("Listen returned %v", err)
		}
		if d := time.Since(start); d > 500*time.Millisecond {
			t.Errorf("Listen took %s to return", d)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Listen blocked on a hung Redis")
	}
	l.done <- nil // for the cleanup's wait
}
