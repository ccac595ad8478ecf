package app

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/golang/mock/gomock"

	"github.com/notifypush/notify_push/domain"
	"github.com/notifypush/notify_push/mocks"
)

// TestInstanceAnnouncesAndLeaves: the report goes out at start and every
// 10 s, lives three rounds, and is withdrawn at shutdown.
func TestInstanceAnnouncesAndLeaves(t *testing.T) {
	f := newFixture(t, HubOptions{})
	instances := mocks.NewMockInstances(f.ctrl)
	announced := make(chan string, 10)
	instances.EXPECT().Announce(gomock.Any(), "push-a", gomock.Any(), 30*time.Second).DoAndReturn(
		func(_ context.Context, _, report string, _ time.Duration) error {
			announced <- report
			return nil
		}).Times(3)
	left := make(chan struct{})
	instances.EXPECT().Leave(gomock.Any(), "push-a").DoAndReturn(func(context.Context, string) error {
		close(left)
		return nil
	})
	i := NewInstance(InstanceOptions{ID: "push-a"}, instances, f.counters, f.clock, discard())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- i.Run(ctx) }()
	for round := range 3 {
		select {
		case r := <-announced:
			if r[0] != '{' {
				t.Fatalf("round %d announced %q, want the metrics JSON", round, r)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("no announce in round %d", round)
		}
		if round < 2 {
			f.clock.AwaitTimers(t, 1)
			f.clock.Advance(InstanceAnnounceEvery)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	<-left
}

func TestInstanceGeneratesAnID(t *testing.T) {
	f := newFixture(t, HubOptions{})
	a := NewInstance(InstanceOptions{}, f.instances, f.counters, f.clock, discard())
	b := NewInstance(InstanceOptions{}, f.instances, f.counters, f.clock, discard())
	if a.ID() == "" || a.ID() == b.ID() {
		t.Fatalf("generated ids %q and %q, want two distinct names", a.ID(), b.ID())
	}
}

// TestPreAuthTokenLogsInOnceAcrossInstances: every server on the Redis
// received the token; the one whose claim loses refuses it, and a claim
// that cannot be made falls back to this server's own once.
func TestPreAuthTokenLogsInOnceAcrossInstances(t *testing.T) {
	f := newFixture(t, HubOptions{})
	claims := mocks.NewMockTokenClaims(f.ctrl)
	f.logins.claims = claims
	ctx := context.Background()
	token := "abcdefabcdefabcdefabcdefabcdef12"

	var claimed string
	claims.EXPECT().Claim(gomock.Any(), gomock.Any(), domain.PreAuthLifetime).DoAndReturn(
		func(_ context.Context, key string, _ time.Duration) (bool, error) {
			claimed = key
			return false, nil
		})
	f.preAuth.Add(token, "alice", f.clock.Now())
	if _, err := f.logins.Check(ctx, "", token, nil); !errors.Is(err, domain.ErrInvalidCredentials) {
		t.Fatalf("a token used on another server: %v", err)
	}
	if claimed == "" || claimed == token || len(claimed) != 64 {
		t.Fatalf("claimed key %q: want a digest, never the token", claimed)
	}

	claims.EXPECT().Claim(gomock.Any(), gomock.Any(), domain.PreAuthLifetime).Return(true, nil)
	f.preAuth.Add(token, "alice", f.clock.Now())
	if u, err := f.logins.Check(ctx, "", token, nil); u != "alice" || err != nil {
		t.Fatalf("a token won here: %q %v", u, err)
	}

	claims.EXPECT().Claim(gomock.Any(), gomock.Any(), domain.PreAuthLifetime).Return(false, errors.New("redis down"))
	f.preAuth.Add(token, "bob", f.clock.Now())
	if u, err := f.logins.Check(ctx, "", token, nil); u != "bob" || err != nil {
		t.Fatalf("claims unreachable: %q %v, want the token to work here", u, err)
	}
	// A token taken already is waited for (it might come through Redis
	// late): give up the wait at once.
	gone, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if _, err := f.logins.Check(gone, "", token, nil); !errors.Is(err, domain.ErrInvalidCredentials) {
		t.Fatalf("claims unreachable, second use: %v, want it refused (used here once)", err)
	}
}
