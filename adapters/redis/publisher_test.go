package redis

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/notifypush/notify_push/domain"
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

	for _, g := range goodEvents {
		for _, p := range malformed() {
			if _, err := domain.DecodeEvent(g.channel, []byte(p)); err == nil {
				continue
			}
			err := pub.Publish(ctx, g.channel, []byte(p))
			if err == nil || errors.Unwrap(err) == nil || !strings.HasPrefix(err.Error(), "publish on "+g.channel+": ") {
				t.Fatalf("%s %.40q: got %v, want a wrapped decode error", g.channel, p, err)
			}
		}
		if err := pub.Publish(ctx, g.channel, []byte(g.payload)); err != nil {
			t.Fatalf("%s: %v", g.channel, err)
		}
		// Only the good payload went out: nothing bad was published first.
		if m := nextMessage(t, ps); m.Channel != g.channel || m.Payload != g.payload {
			t.Fatalf("received %s %.60q, want %s %q", m.Channel, m.Payload, g.channel, g.payload)
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
