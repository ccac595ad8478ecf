package redis

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/notifypush/notify_push/internal/contract"
	"github.com/notifypush/notify_push/internal/testenv"
	"github.com/notifypush/notify_push/ports"
)

// uniqueKey is a key no other test or program uses, deleted from db of the
// machine's Redis when the test ends.
func uniqueKey(t testing.TB, addr string, db int) string {
	t.Helper()
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	key := "notify_push_go_test:" + hex.EncodeToString(b)
	t.Cleanup(func() {
		c := goredis.NewClient(&goredis.Options{Addr: addr, DB: db})
		defer c.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = c.Del(ctx, key).Err()
	})
	return key
}

// TestKeyValueContract runs the port's suite on a private server, where the
// suite's random keys disappear with it.
func TestKeyValueContract(t *testing.T) {
	srv := startRedis(t, serverConfig{})
	client := newClient(t, Options{URLs: []string{srv.url("", 0)}})
	contract.KeyValue(t, func(*testing.T) ports.KeyValue { return NewKeyValue(client) })
}

// TestKeyValueNeverExpiresAndPings runs against the machine's Redis, on a key
// of its own.
func TestKeyValueNeverExpiresAndPings(t *testing.T) {
	addr := testenv.RedisAddr(t)
	kv := NewKeyValue(newClient(t, Options{URLs: []string{"redis://" + addr}}))
	key := uniqueKey(t, addr, 0)
	ctx := bounded(t)
	if err := kv.Set(ctx, key, "1.4.0"); err != nil {
		t.Fatal(err)
	}
	raw := goredis.NewClient(&goredis.Options{Addr: addr})
	defer raw.Close()
	if ttl, err := raw.TTL(ctx, key).Result(); err != nil || ttl != -1 {
		t.Fatalf("TTL = %v %v, want no expiry", ttl, err)
	}
	if err := kv.Ping(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestKeyValueHonoursDB uses a database other than 0 of the machine's Redis.
func TestKeyValueHonoursDB(t *testing.T) {
	addr := testenv.RedisAddr(t)
	const db = 7
	kv := NewKeyValue(newClient(t, Options{URLs: []string{"redis://" + addr + "/7"}}))
	key := uniqueKey(t, addr, db)
	ctx := bounded(t)
	if err := kv.Set(ctx, key, "in seven"); err != nil {
		t.Fatal(err)
	}
	in7 := goredis.NewClient(&goredis.Options{Addr: addr, DB: db})
	defer in7.Close()
	in0 := goredis.NewClient(&goredis.Options{Addr: addr})
	defer in0.Close()
	if v, err := in7.Get(ctx, key).Result(); v != "in seven" || err != nil {
		t.Fatalf("db 7 holds %q %v", v, err)
	}
	if n, err := in0.Exists(ctx, key).Result(); n != 0 || err != nil {
		t.Fatalf("db 0 holds the key too: %d %v", n, err)
	}
}

// TestKeyValueProtocolKeys uses the real key names, on a private server.
func TestKeyValueProtocolKeys(t *testing.T) {
	srv := startRedis(t, serverConfig{})
	kv := NewKeyValue(newClient(t, Options{URLs: []string{srv.url("", 0)}}))
	raw := rawClient(t, srv)
	ctx := bounded(t)
	for _, key := range []string{"test-token", "notify_push_version", "notify_push_metrics", "notify_push_app_version"} {
		if _, ok, err := kv.Get(ctx, key); ok || err != nil {
			t.Fatalf("%s before set: %v %v", key, ok, err)
		}
		// The app writes these with plain SET; we read what it wrote.
		if err := raw.Set(ctx, key, key+"-value", 0).Err(); err != nil {
			t.Fatal(err)
		}
		if v, ok, err := kv.Get(ctx, key); v != key+"-value" || !ok || err != nil {
			t.Fatalf("%s: %q %v %v", key, v, ok, err)
		}
		if err := kv.Set(ctx, key, `{"a":1}`); err != nil {
			t.Fatal(err)
		}
		if v, err := raw.Get(ctx, key).Result(); v != `{"a":1}` || err != nil {
			t.Fatalf("%s as the app reads it: %q %v", key, v, err)
		}
	}
}

func TestKeyValueErrors(t *testing.T) {
	srv := startRedis(t, serverConfig{})
	srv.kill()
	kv := NewKeyValue(newClient(t, Options{URLs: []string{srv.url(":s3cret", 0)}}))
	check := func(op string, f func(ctx context.Context) error, prefix string) {
		t.Helper()
		// The caller's deadline bounds go-redis's own retries.
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		defer cancel()
		start := time.Now()
		err := f(ctx)
		if err == nil || !strings.HasPrefix(err.Error(), prefix) || strings.Contains(err.Error(), "s3cret") {
			t.Errorf("%s on a dead server: %v", op, err)
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("%s failed after %s, past its 500 ms deadline", op, d)
		}
	}
	check("Get", func(ctx context.Context) error { _, _, err := kv.Get(ctx, "test-token"); return err }, "get test-token: ")
	check("Set", func(ctx context.Context) error { return kv.Set(ctx, "k", "v") }, "set k: ")
	check("Ping", kv.Ping, "ping Redis ")
}
