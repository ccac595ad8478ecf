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

func TestBusDeliversDecodedEvents(t *testing.T) {
	bus := NewBus(slog.New(slog.NewTextHandler(io.Discard, nil)))
	ctx, cancel := context.WithCancel(context.Background())
	got := make(chan domain.Event, 4)
	done := make(chan error, 1)
	go func() {
		done <- bus.Listen(ctx, func(_ context.Context, ev domain.Event) { got <- ev })
	}()
	if err := bus.Publish(ctx, domain.ChannelActivity, []byte(`{"user":"alice"}`)); err != nil {
		t.Fatal(err)
	}
	if err := bus.Publish(ctx, domain.ChannelActivity, []byte(`{"user":5}`)); err == nil {
		t.Fatal("malformed payload accepted")
	}
	if err := bus.Publish(ctx, "nope", []byte(`{}`)); !errors.Is(err, domain.ErrUnknownChannel) {
		t.Fatalf("unknown channel: %v", err)
	}
	if err := bus.Publish(ctx, domain.ChannelNotification, []byte(`{"user":"bob"}`)); err != nil {
		t.Fatal(err)
	}
	if ev := <-got; ev != (domain.Activity{User: "alice"}) {
		t.Fatalf("first event %#v", ev)
	}
	if ev := <-got; ev != (domain.Notification{User: "bob"}) {
		t.Fatalf("second event %#v", ev)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Listen returned %v on cancel", err)
	}
}

func TestPublishBeforeListenIsKept(t *testing.T) {
	bus := NewBus(slog.New(slog.NewTextHandler(io.Discard, nil)))
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
	bus := NewBus(slog.New(slog.NewTextHandler(io.Discard, nil)))
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

func TestAuthenticator(t *testing.T) {
	a, err := NewAuthenticator([]User{
		{Login: "alice", Password: "pw"},
		{Login: "alice@example.com", UID: "alice", Password: "pw"},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, login := range []string{"alice", "alice@example.com"} {
		if uid, err := a.Authenticate(ctx, login, "pw", nil); err != nil || uid != "alice" {
			t.Fatalf("%s: %q %v", login, uid, err)
		}
	}
	for _, c := range [][2]string{{"alice", "wrong"}, {"bob", "pw"}, {"", ""}} {
		if _, err := a.Authenticate(ctx, c[0], c[1], nil); !errors.Is(err, domain.ErrInvalidCredentials) {
			t.Fatalf("%v: got %v", c, err)
		}
	}
	if _, err := NewAuthenticator([]User{{Login: "x"}, {Login: "x"}}); err == nil {
		t.Fatal("duplicate login accepted")
	}
	if _, err := NewAuthenticator([]User{{Login: ""}}); err == nil {
		t.Fatal("empty login accepted")
	}
}
