package contract

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/notifypush/notify_push/ports"
)

// TokenClaims checks a ports.TokenClaims: a key is won once until its
// claim expires, whoever asks, and a cancelled context is an error. newClaims
// may return claims shared with other tests: every key is random.
func TokenClaims(t *testing.T, newClaims func(t *testing.T) ports.TokenClaims) {
	t.Run("a key is won once", func(t *testing.T) {
		c := newClaims(t)
		key := randomKey()
		if won, err := c.Claim(bounded(t), key, time.Minute); !won || err != nil {
			t.Fatalf("first claim = %v, %v; want true, nil", won, err)
		}
		if won, err := c.Claim(bounded(t), key, time.Minute); won || err != nil {
			t.Fatalf("second claim = %v, %v; want false, nil", won, err)
		}
		if won, err := c.Claim(bounded(t), randomKey(), time.Minute); !won || err != nil {
			t.Fatalf("another key = %v, %v; want true, nil", won, err)
		}
	})

	t.Run("of many claiming at once, one wins", func(t *testing.T) {
		c := newClaims(t)
		key := randomKey()
		var wins atomic.Int32
		var wg sync.WaitGroup
		for range 20 {
			wg.Go(func() {
				if won, err := c.Claim(bounded(t), key, time.Minute); err != nil {
					t.Error(err)
				} else if won {
					wins.Add(1)
				}
			})
		}
		wg.Wait()
		if n := wins.Load(); n != 1 {
			t.Fatalf("%d winners, want 1", n)
		}
	})

	t.Run("a claim expires", func(t *testing.T) {
		c := newClaims(t)
		key := randomKey()
		if won, err := c.Claim(bounded(t), key, 100*time.Millisecond); !won || err != nil {
			t.Fatalf("claim = %v, %v", won, err)
		}
		eventually(t, "the claim to expire", func() bool {
			won, err := c.Claim(bounded(t), key, time.Minute)
			return won && err == nil
		})
	})

	t.Run("a cancelled context is an error", func(t *testing.T) {
		c := newClaims(t)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if won, err := c.Claim(ctx, randomKey(), time.Minute); won || err == nil {
			t.Fatalf("claim with a cancelled context = %v, %v; want false and an error", won, err)
		}
	})
}

// Instances checks a ports.Instances: reports are read back by instance,
// replaced by a newer announce, gone when they expire or their instance
// leaves. newInstances is called once per subtest and must return a registry
// no other test writes to.
func Instances(t *testing.T, newInstances func(t *testing.T) ports.Instances) {
	t.Run("reports are read back by instance", func(t *testing.T) {
		s := newInstances(t)
		if r, err := s.Reports(bounded(t)); err != nil || len(r) != 0 {
			t.Fatalf("empty registry: %v, %v", r, err)
		}
		announce(t, s, "a", `{"n":1}`, time.Minute)
		announce(t, s, "b", `{"n":2}`, time.Minute)
		announce(t, s, "a", `{"n":3}`, time.Minute)
		wantReports(t, s, map[string]string{"a": `{"n":3}`, "b": `{"n":2}`})
	})

	t.Run("a report expires unless renewed", func(t *testing.T) {
		s := newInstances(t)
		announce(t, s, "gone", "x", 100*time.Millisecond)
		announce(t, s, "stays", "y", time.Minute)
		eventually(t, "the report to expire", func() bool {
			r, err := s.Reports(bounded(t))
			return err == nil && len(r) == 1
		})
		wantReports(t, s, map[string]string{"stays": "y"})
	})

	t.Run("an instance that leaves is gone", func(t *testing.T) {
		s := newInstances(t)
		announce(t, s, "a", "x", time.Minute)
		announce(t, s, "b", "y", time.Minute)
		if err := s.Leave(bounded(t), "a"); err != nil {
			t.Fatal(err)
		}
		wantReports(t, s, map[string]string{"b": "y"})
	})

	t.Run("a cancelled context is an error", func(t *testing.T) {
		s := newInstances(t)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := s.Announce(ctx, "a", "x", time.Minute); err == nil {
			t.Fatal("Announce with a cancelled context succeeded")
		}
		if _, err := s.Reports(ctx); err == nil {
			t.Fatal("Reports with a cancelled context succeeded")
		}
	})
}

func announce(t *testing.T, s ports.Instances, id, report string, ttl time.Duration) {
	t.Helper()
	if err := s.Announce(bounded(t), id, report, ttl); err != nil {
		t.Fatalf("Announce %s: %v", id, err)
	}
}

func wantReports(t *testing.T, s ports.Instances, want map[string]string) {
	t.Helper()
	got, err := s.Reports(bounded(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("reports %v, want %v", got, want)
	}
	for id, r := range want {
		if got[id] != r {
			t.Fatalf("reports %v, want %v", got, want)
		}
	}
}

// eventually polls cond until it holds, for at most Wait.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(Wait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, Wait)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
