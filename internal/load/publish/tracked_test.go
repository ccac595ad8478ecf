package publish

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/notifypush/notify_push/internal/testenv"
)

// The publisher learns each event's fate from a real Redis: answered with
// the subscriber count, refused while Redis is down, answered again once
// it is back.
func TestTrackedPublisherReportsEveryFate(t *testing.T) {
	srv := testenv.StartRedis(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var mu sync.Mutex
	fates := map[int64]string{}
	receivers := map[int64]int64{}
	pub := NewTracked(srv.Addr,
		func(id, n, _ int64) { mu.Lock(); fates[id], receivers[id] = "answered", n; mu.Unlock() },
		func(id, _ int64) { mu.Lock(); fates[id] = "unconfirmed"; mu.Unlock() },
		func(id, _ int64) { mu.Lock(); fates[id] = "refused"; mu.Unlock() })
	defer pub.Close()

	rdb := goredis.NewClient(&goredis.Options{Addr: srv.Addr})
	defer rdb.Close()
	sub := rdb.Subscribe(ctx, "soak_test")
	if _, err := sub.Receive(ctx); err != nil {
		t.Fatal(err)
	}
	for id := int64(1); id <= 50; id++ {
		pub.Publish(id, "soak_test", []byte(strconv.FormatInt(id, 10)))
	}
	pub.Publish(51, "nobody_listens", []byte("x"))
	if !pub.WaitIdle(ctx) {
		t.Fatal("no answer to every PUBLISH")
	}
	for i := range 50 {
		msg, err := sub.ReceiveMessage(ctx)
		if err != nil || msg.Payload != strconv.Itoa(i+1) {
			t.Fatalf("message %d: %v %v", i, msg, err)
		}
	}
	sub.Close()
	mu.Lock()
	for id := int64(1); id <= 50; id++ {
		if fates[id] != "answered" || receivers[id] != 1 {
			t.Fatalf("event %d: %s, %d receivers", id, fates[id], receivers[id])
		}
	}
	if fates[51] != "answered" || receivers[51] != 0 {
		t.Fatalf("event 51: %s, %d receivers", fates[51], receivers[51])
	}
	mu.Unlock()

	srv.Kill()
	// The first publish after the kill may still be written to the dead
	// connection (unconfirmed); once the publisher knows, it is refused.
	deadline := time.Now().Add(10 * time.Second)
	id := int64(100)
	for {
		id++
		pub.Publish(id, "soak_test", []byte("down"))
		pub.WaitIdle(ctx)
		mu.Lock()
		f := fates[id]
		mu.Unlock()
		if f == "refused" {
			break
		}
		if f != "unconfirmed" || time.Now().After(deadline) {
			t.Fatalf("event %d while Redis is down: %q", id, f)
		}
	}
	srv.Start()
	pub.Publish(1000, "soak_test", []byte("back"))
	if !pub.WaitIdle(ctx) {
		t.Fatal("no answer after the restart")
	}
	mu.Lock()
	defer mu.Unlock()
	if fates[1000] != "answered" || receivers[1000] != 0 {
		t.Fatalf("event after the restart: %s, %d receivers", fates[1000], receivers[1000])
	}
}
