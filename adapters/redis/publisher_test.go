package redis

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/notifypush/notify_push/domain"
	"github.com/notifypush/notify_push/internal/contract"
)

// subscribeRaw subscribes a plain client to every channel and waits for
// Redis to confirm.
func subscribeRaw(t testing.TB, raw *goredis.Client) *goredis.PubSub {
	t.Helper()
	ps := raw.Subscribe(bounded(t), domain.Channels...)
	t.Cleanup(func() { _ = ps.Close() })
	for range domain.Channels {
		if _, err := ps.ReceiveTimeout(bounded(t), 5*time.Second); err != nil {
			t.Fatalf("subscribe: %v", err)
		}
	}
	return ps
}

func nextMessage(t testing.TB, ps *goredis.PubSub) *goredis.Message {
	t.Helper()
	for {
		m, err := ps.ReceiveTimeout(bounded(t), 2*time.Second)
		if err != nil {
			t.Fatalf("receive: %v", err)
		}
		if msg, ok := m.(*goredis.Message); ok {
			return msg
		}
	}
}

func TestPublisher(t *testing.T) {
	srv := startRedis(t, serverConfig{})
	ps := subscribeRaw(t, rawClient(t, srv))
	pub := NewPublisher(newClient(t, Options{URLs: []string{srv.url("", 0)}}))
	ctx := bounded(t)

	for _, g := range contract.SampleEvents() {
		for _, p := range malformed() {
			if _, err := domain.DecodeEvent(g.Channel, []byte(p)); err == nil {
				continue
			}
			err := pub.Publish(ctx, g.Channel, []byte(p))
			if err == nil || errors.Unwrap(err) == nil || !strings.HasPrefix(err.Error(), "publish on "+g.Channel+": ") {
				t.Fatalf("%s %.40q: got %v, want a wrapped decode error", g.Channel, p, err)
			}
		}
		if err := pub.Publish(ctx, g.Channel, []byte(g.Payload)); err != nil {
			t.Fatalf("%s: %v", g.Channel, err)
		}
		// Only the good payload went out: nothing bad was published first.
		if m := nextMessage(t, ps); m.Channel != g.Channel || m.Payload != g.Payload {
			t.Fatalf("received %s %.60q, want %s %q", m.Channel, m.Payload, g.Channel, g.Payload)
		}
	}
	if err := pub.Publish(ctx, "notify_bogus", []byte(`{"user":"a"}`)); !errors.Is(err, domain.ErrUnknownChannel) {
		t.Fatalf("unknown channel: %v", err)
	}

	srv.kill()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := pub.Publish(ctx, domain.ChannelActivity, []byte(`{"user":"a"}`)); err == nil {
		t.Fatal("publish to a dead server succeeded")
	}
}
