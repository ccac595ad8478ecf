package redis

import (
	"context"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/notifypush/notify_push/domain"
	"github.com/notifypush/notify_push/internal/contract"
)

// checkWorks proves that opts reach a working Redis: a round trip, the key
// store, and events through the subscription, published by the Publisher.
func checkWorks(t *testing.T, opts Options) {
	t.Helper()
	client := newClient(t, opts)
	kv := NewKeyValue(client)
	ctx := bounded(t)
	if err := kv.Ping(ctx); err != nil {
		t.Fatalf("ping: %v", err)
	}
	if err := kv.Set(ctx, "notify_push_version", domain.Version); err != nil {
		t.Fatal(err)
	}
	if v, ok, err := kv.Get(ctx, "notify_push_version"); v != domain.Version || !ok || err != nil {
		t.Fatalf("get: %q %v %v", v, ok, err)
	}
	es, logs := newSource(client)
	l := listen(t, es, logs)
	publishUntilReceived(t, client, l, 5*time.Second)
	l.drain()
	pub := NewPublisher(client)
	for _, g := range contract.SampleEvents() {
		if err := pub.Publish(ctx, g.Channel, []byte(g.Payload)); err != nil {
			t.Fatal(err)
		}
		if ev := l.next(t, 2*time.Second); !reflect.DeepEqual(ev, g.Want) {
			t.Fatalf("%s: got %#v", g.Channel, ev)
		}
	}
}

// checkFails proves that opts do not reach Redis, and that the subscription
// keeps trying (and warns) instead of giving up.
func checkFails(t *testing.T, opts Options, want string) {
	t.Helper()
	client := newClient(t, opts)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	err := NewKeyValue(client).Ping(ctx)
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("ping: got %v, want an error containing %q", err, want)
	}
	es, logs := newSource(client)
	l := listen(t, es, logs)
	waitFor(t, 3*time.Second, "a warning", func() bool {
		return logs.count(slog.LevelWarn, "cannot subscribe to Redis") == 1
	})
	l.running(t)
}

func TestUnixSocket(t *testing.T) {
	srv := startRedis(t, serverConfig{unix: true, extra: []string{"--requirepass", "s3cret"}})
	for _, url := range []string{
		"redis+unix://" + srv.addr + "?db=2&password=s3cret",
		"redis+unix://:s3cret@" + srv.addr + "?db=2",
		"unix://:s3cret@" + srv.addr + "?db=2",
	} {
		t.Run(maskURL(url), func(t *testing.T) { checkWorks(t, Options{URLs: []string{url}}) })
	}
	// The key went to database 2.
	raw := goredis.NewClient(&goredis.Options{Network: "unix", Addr: srv.addr, Password: "s3cret", DB: 2})
	defer raw.Close()
	if v, err := raw.Get(bounded(t), "notify_push_version").Result(); v != domain.Version || err != nil {
		t.Fatalf("db 2: %q %v", v, err)
	}
	t.Run("wrong password", func(t *testing.T) {
		checkFails(t, Options{URLs: []string{"redis+unix://" + srv.addr + "?password=nope"}}, "WRONGPASS")
	})
}

func TestACLUser(t *testing.T) {
	srv := startRedis(t, serverConfig{extra: []string{
		"--user", "alice", "on", ">secret", "~*", "&*", "+@all",
		// Least privilege: what the server needs and nothing else.
		"--user", "bob", "on", ">pw", "resetchannels", "&notify_*", "-@all",
		"+subscribe", "+publish", "+ping", "+get", "+set", "~notify_push_*", "~test-token",
		"--user", "default", "off",
	}})
	t.Run("alice", func(t *testing.T) { checkWorks(t, Options{URLs: []string{srv.url("alice:secret", 0)}}) })
	t.Run("least privilege", func(t *testing.T) { checkWorks(t, Options{URLs: []string{srv.url("bob:pw", 0)}}) })
	t.Run("wrong password", func(t *testing.T) {
		checkFails(t, Options{URLs: []string{srv.url("alice:wrong", 0)}}, "WRONGPASS")
	})
	t.Run("no user", func(t *testing.T) {
		checkFails(t, Options{URLs: []string{srv.url("", 0)}}, "NOAUTH")
	})
}
