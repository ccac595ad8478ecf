package memory

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/notifypush/notify_push/domain"
	"github.com/notifypush/notify_push/internal/contract"
	"github.com/notifypush/notify_push/ports"
)

func discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func TestBusContract(t *testing.T) {
	contract.EventSource(t, func(*testing.T) contract.Events {
		bus := NewBus(discard())
		return contract.Events{
			Source: bus,
			Publish: func(ctx context.Context, channel, payload string) error {
				return bus.Publish(ctx, channel, []byte(payload))
			},
		}
	})
}

// What Redis would deliver and the EventSource drop, the bus refuses on
// Publish: nothing undecodable is ever queued.
func TestBusPublishRefusesWhatDoesNotDecode(t *testing.T) {
	bus := NewBus(discard())
	ctx := context.Background()
	if err := bus.Publish(ctx, domain.ChannelActivity, []byte(`{"user":5}`)); err == nil {
		t.Fatal("malformed payload accepted")
	}
	if err := bus.Publish(ctx, "nope", []byte(`{}`)); !errors.Is(err, domain.ErrUnknownChannel) {
		t.Fatalf("unknown channel: %v", err)
	}
	if err := bus.Publish(ctx, domain.ChannelNotification, []byte(`{"user":"bob"}`)); err != nil {
		t.Fatal(err)
	}
	if n := len(bus.events); n != 1 {
		t.Fatalf("%d events queued, want only the good one", n)
	}
}

func TestPublishBeforeListenIsKept(t *testing.T) {
	bus := NewBus(discard())
	if err := bus.Publish(context.Background(), domain.ChannelActivity, []byte(`{"user":"a"}`)); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	got := make(chan domain.Event, 1)
	done := make(chan struct{})
	go func() {
		_ = bus.Listen(ctx, func(_ context.Context, ev domain.Event) { got <- ev })
		close(done)
	}()
	select {
	case ev := <-got:
		if ev != (domain.Activity{User: "a"}) {
			t.Fatalf("got %#v", ev)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("event published before Listen was lost")
	}
	cancel()
	<-done
}

func TestPublishWaitsForRoomOrContext(t *testing.T) {
	bus := NewBus(discard())
	for range busBuffer {
		if err := bus.Publish(context.Background(), domain.ChannelActivity, []byte(`{"user":"a"}`)); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := bus.Publish(ctx, domain.ChannelActivity, []byte(`{"user":"a"}`)); err == nil {
		t.Fatal("publish into a full bus returned without its context ending")
	}
}

func TestKeyValueContract(t *testing.T) {
	contract.KeyValue(t, func(*testing.T) ports.KeyValue { return NewKeyValue() })
}

func TestAuthenticatorContract(t *testing.T) {
	contract.Authenticator(t, func(t *testing.T, accounts []contract.Account) ports.Authenticator {
		users := make([]User, 0, len(accounts))
		for _, a := range accounts {
			users = append(users, User{Login: a.Login, UID: a.UID, Password: a.Password})
		}
		auth, err := NewAuthenticator(users)
		if err != nil {
			t.Fatal(err)
		}
		return auth
	})
}

func TestNewAuthenticatorRejects(t *testing.T) {
	if _, err := NewAuthenticator([]User{{Login: "x"}, {Login: "x"}}); err == nil {
		t.Fatal("duplicate login accepted")
	}
	if _, err := NewAuthenticator([]User{{Login: ""}}); err == nil {
		t.Fatal("empty login accepted")
	}
	// Without a UID, the login is the user id.
	a, err := NewAuthenticator([]User{{Login: "carol", Password: "pw"}})
	if err != nil {
		t.Fatal(err)
	}
	if uid, err := a.Authenticate(context.Background(), "carol", "pw", nil); uid != "carol" || err != nil {
		t.Fatalf("carol: %q %v", uid, err)
	}
}

func TestTokenClaimsContract(t *testing.T) {
	contract.TokenClaims(t, func(*testing.T) ports.TokenClaims { return NewTokenClaims() })
}

func TestInstancesContract(t *testing.T) {
	contract.Instances(t, func(*testing.T) ports.Instances { return NewInstances() })
}
