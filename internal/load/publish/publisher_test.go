package publish

import (
	"context"
	"strconv"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/notifypush/notify_push/internal/testenv"
)

func TestPublisherPacesAndIsCounted(t *testing.T) {
	srv := testenv.StartRedis(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rdb := goredis.NewClient(&goredis.Options{Addr: srv.Addr})
	defer rdb.Close()
	sub := rdb.Subscribe(ctx, "loadgen_test")
	defer sub.Close()
	if _, err := sub.Receive(ctx); err != nil {
		t.Fatal(err)
	}
	msgs := sub.Channel()

	p, err := DialPublisher(ctx, srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	// 300 events at 1000/s take about 0.3 s and arrive in order.
	paced, err := Pace(ctx, p, 1000, 300, func(i int, nowUS int64, b []byte) (string, []byte) {
		b = strconv.AppendInt(b, int64(i), 10)
		b = append(b, ' ')
		return "loadgen_test", strconv.AppendInt(b, nowUS, 10)
	})
	if err != nil {
		t.Fatal(err)
	}
	if paced.Sent != 300 || p.Sent() != 300 {
		t.Fatalf("sent %d (%d)", paced.Sent, p.Sent())
	}
	if d := paced.End.Sub(paced.Start); d < 250*time.Millisecond {
		t.Errorf("300 events at 1000/s took %v: not paced", d)
	}
	if paced.Rate() > 1200 {
		t.Errorf("rate %.0f/s, asked 1000/s", paced.Rate())
	}
	if err := p.WaitAcked(ctx); err != nil || p.Acked() != 300 || p.ZeroReceivers() != 0 {
		t.Fatalf("acked %d, unreceived %d: %v", p.Acked(), p.ZeroReceivers(), err)
	}
	for i := range 300 {
		select {
		case m := <-msgs:
			if want := strconv.Itoa(i) + " "; len(m.Payload) < len(want) || m.Payload[:len(want)] != want {
				t.Fatalf("message %d: %q", i, m.Payload)
			}
		case <-ctx.Done():
			t.Fatalf("only %d messages arrived", i)
		}
	}

	// Unpaced, to a channel nobody listens on: Redis says so.
	if _, err := Pace(ctx, p, 0, 50, func(int, int64, []byte) (string, []byte) { return "nobody", []byte("x") }); err != nil {
		t.Fatal(err)
	}
	if err := p.WaitAcked(ctx); err != nil || p.ZeroReceivers() != 50 {
		t.Fatalf("unreceived %d: %v", p.ZeroReceivers(), err)
	}

	// A dead Redis fails the publisher instead of hanging it.
	srv.Kill()
	_, err = Pace(ctx, p, 0, 10_000, func(int, int64, []byte) (string, []byte) { return "x", make([]byte, 1000) })
	if err == nil {
		err = p.WaitAcked(ctx)
	}
	if err == nil {
		t.Fatal("publishing into a dead Redis succeeded")
	}
}
