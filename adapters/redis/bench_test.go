package redis

import (
	"context"
	"testing"
	"time"

	"github.com/notifypush/notify_push/domain"
	"github.com/notifypush/notify_push/internal/contract"
)

// BenchmarkDecodeAndDispatch measures the work the subscription goroutine
// does per message, Redis aside.
func BenchmarkDecodeAndDispatch(b *testing.B) {
	es, _ := newSource(nil)
	ctx := context.Background()
	n := 0
	handle := func(context.Context, domain.Event) { n++ }
	good := contract.SampleEvents()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		g := good[i%len(good)]
		es.deliver(ctx, handle, g.Channel, g.Payload)
	}
	if n == 0 {
		b.Fatal("nothing dispatched")
	}
}

// BenchmarkRedisEvents measures events per second through a private Redis:
// PUBLISH in pipelines of 100, received and decoded by the EventSource.
func BenchmarkRedisEvents(b *testing.B) {
	srv := startRedis(b, serverConfig{})
	raw := rawClient(b, srv)
	es, logs := newSource(newClient(b, Options{URLs: []string{srv.url("", 0)}}))
	l := listen(b, es, logs)
	waitSubscribed(b, raw)
	ctx := context.Background()
	payload := `{"storage": 12, "path": "files/a/b.txt", "file_id": 345}`
	b.ResetTimer()
	for sent := 0; sent < b.N; {
		pipe := raw.Pipeline()
		batch := min(100, b.N-sent)
		for range batch {
			pipe.Publish(ctx, domain.ChannelStorageUpdate, payload)
		}
		if _, err := pipe.Exec(ctx); err != nil {
			b.Fatal(err)
		}
		for range batch {
			l.next(b, 5*time.Second)
		}
		sent += batch
	}
}
