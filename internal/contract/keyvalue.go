package contract

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/notifypush/notify_push/ports"
)

// KeyValue checks a ports.KeyValue. newStore is called once per subtest and
// may return a store shared with other tests: every key the suite uses is
// random, so none was set before.
func KeyValue(t *testing.T, newStore func(t *testing.T) ports.KeyValue) {
	t.Run("a missing key is not set", func(t *testing.T) {
		kv := newStore(t)
		if v, ok, err := kv.Get(bounded(t), randomKey()); v != "" || ok || err != nil {
			t.Fatalf("Get of a missing key = %q, %v, %v; want \"\", false, nil", v, ok, err)
		}
	})

	t.Run("a value set is read back", func(t *testing.T) {
		kv := newStore(t)
		key := randomKey()
		set(t, kv, key, "1.4.0")
		wantValue(t, kv, key, "1.4.0")
	})

	t.Run("set overwrites", func(t *testing.T) {
		kv := newStore(t)
		key := randomKey()
		set(t, kv, key, "first")
		set(t, kv, key, "second")
		wantValue(t, kv, key, "second")
	})

	t.Run("the empty string is a value", func(t *testing.T) {
		kv := newStore(t)
		key := randomKey()
		set(t, kv, key, "")
		wantValue(t, kv, key, "")
		if _, ok, err := kv.Get(bounded(t), randomKey()); ok || err != nil {
			t.Fatalf("a missing key reads as set (%v, %v) once another holds \"\"", ok, err)
		}
	})

	t.Run("keys are independent", func(t *testing.T) {
		kv := newStore(t)
		a, b := randomKey(), randomKey()+":ünï"
		set(t, kv, a, "a")
		set(t, kv, b, "b")
		wantValue(t, kv, a, "a")
		wantValue(t, kv, b, "b")
	})

	t.Run("any bytes round-trip", func(t *testing.T) {
		kv := newStore(t)
		for _, v := range []string{
			"ünï cödé 📁", "\x00\xff\xfe\x01", " padded \n", `{"active_user_count":3,"messages":{"a":1}}`,
			strings.Repeat("0123456789abcdef", 4096),
		} {
			key := randomKey()
			set(t, kv, key, v)
			wantValue(t, kv, key, v)
		}
	})

	t.Run("an ended context is an error", func(t *testing.T) {
		kv := newStore(t)
		key := randomKey()
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := kv.Set(ctx, key, "v"); !errors.Is(err, context.Canceled) {
			t.Errorf("Set with a cancelled context: %v, want context.Canceled", err)
		}
		if _, ok, err := kv.Get(bounded(t), key); ok || err != nil {
			t.Errorf("a Set whose context had ended stored its value (%v, %v)", ok, err)
		}
		set(t, kv, key, "v")
		if v, ok, err := kv.Get(ctx, key); !errors.Is(err, context.Canceled) {
			t.Errorf("Get with a cancelled context = %q, %v, %v; want context.Canceled", v, ok, err)
		}
	})
}

func set(t *testing.T, kv ports.KeyValue, key, value string) {
	t.Helper()
	if err := kv.Set(bounded(t), key, value); err != nil {
		t.Fatalf("Set(%q): %v", key, err)
	}
}

func wantValue(t *testing.T, kv ports.KeyValue, key, want string) {
	t.Helper()
	got, ok, err := kv.Get(bounded(t), key)
	if got != want || !ok || err != nil {
		t.Fatalf("Get(%q) = %.40q, %v, %v; want %.40q, true, nil", key, got, ok, err, want)
	}
}

// randomKey is a key no other test or program uses.
func randomKey() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return "notify_push_contract:" + hex.EncodeToString(b)
}

// bounded is a context for one call of the suite, ended with the test.
func bounded(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), Wait)
	t.Cleanup(cancel)
	return ctx
}
