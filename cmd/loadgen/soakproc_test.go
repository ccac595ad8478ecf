package main

import (
	"context"
	"net"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/notifypush/notify_push/internal/testenv"
)

func TestParseProcNetTCP(t *testing.T) {
	text := `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 111 1 0000000000000000 100 0 0 10 0
   1: 0100007F:1F90 0200007F:C350 01 00000000:00000000 00:00000000 00000000     0        0 222 1 0000000000000000 20 4 30 10 -1
   2: 0100007F:C351 0100007F:18EB 01 00000000:00000000 00:00000000 00000000     0        0 333 1 0000000000000000 20 4 30 10 -1
   3: 0100007F:C352 0100007F:0050 08 00000000:00000000 00:00000000 00000000     0        0 444 1 0000000000000000 20 4 30 10 -1
   4: 0100007F:1F91 0100007F:C353 01 00000000:00000000 00:00000000 00000000     0        0 555 1 0000000000000000 20 4 30 10 -1
`
	m := map[string]tcpSocket{}
	parseProcNetTCP(text, m)
	ports := serverPorts{ws: 0x1F90, metrics: 0x1F91, redis: 0x18EB, nextcloud: 0x50}
	for inode, want := range map[string]string{"111": sockListen, "222": sockClients, "333": sockRedis, "444": sockNextcloud,
		"555": sockMetrics, "999": sockOther} {
		if got := socketKind(m, inode, ports); got != want {
			t.Errorf("inode %s: %s, want %s", inode, got, want)
		}
	}
}

// This process's own sockets are classified like the server's.
func TestClassifySocketsOfThisProcess(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err == nil {
			accepted <- c
		}
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	s := <-accepted
	defer s.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	fds, kinds, err := classifySockets(os.Getpid(), serverPorts{ws: port, redis: port})
	if err != nil {
		t.Fatal(err)
	}
	// The dialled end's peer is the port (Redis, by the rule's order), the
	// accepted end's local port is it (clients).
	if kinds[sockListen] < 1 || kinds[sockRedis] != 1 || kinds[sockClients] != 1 || fds < 3 {
		t.Fatalf("%d files, %v", fds, kinds)
	}
}

func TestParseServerLog(t *testing.T) {
	l := parseServerLog(`time=2026-01-01T00:00:00Z level=INFO msg="subscribed to Redis" channels=11
time=2026-01-01T00:00:01Z level=WARN msg="Redis subscription lost; retrying every second" err=EOF
time=2026-01-01T00:00:05Z level=WARN msg="Redis subscription lost; retrying every second" err=EOF
time=2026-01-01T00:00:06Z level=ERROR msg=boom
panic: runtime error: index out of range
`)
	if l.Warnings != 2 || l.Errors != 1 || l.Panics != 1 || l.Messages["Redis subscription lost; retrying every second"] != 2 ||
		l.Messages["boom"] != 1 {
		t.Fatalf("%+v", l)
	}
	if top := l.topMessages(1); len(top) != 1 || top[0] != "2× Redis subscription lost; retrying every second" {
		t.Fatalf("top %q", top)
	}
}

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
	pub := newTrackedPublisher(srv.Addr,
		func(id, n, _ int64) { mu.Lock(); fates[id], receivers[id] = "answered", n; mu.Unlock() },
		func(id, _ int64) { mu.Lock(); fates[id] = "unconfirmed"; mu.Unlock() },
		func(id, _ int64) { mu.Lock(); fates[id] = "refused"; mu.Unlock() })
	defer pub.close()

	rdb := goredis.NewClient(&goredis.Options{Addr: srv.Addr})
	defer rdb.Close()
	sub := rdb.Subscribe(ctx, "soak_test")
	if _, err := sub.Receive(ctx); err != nil {
		t.Fatal(err)
	}
	for id := int64(1); id <= 50; id++ {
		pub.publish(id, "soak_test", []byte(strconv.FormatInt(id, 10)))
	}
	pub.publish(51, "nobody_listens", []byte("x"))
	if !pub.waitIdle(ctx) {
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
		pub.publish(id, "soak_test", []byte("down"))
		pub.waitIdle(ctx)
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
	pub.publish(1000, "soak_test", []byte("back"))
	if !pub.waitIdle(ctx) {
		t.Fatal("no answer after the restart")
	}
	mu.Lock()
	defer mu.Unlock()
	if fates[1000] != "answered" || receivers[1000] != 0 {
		t.Fatalf("event after the restart: %s, %d receivers", fates[1000], receivers[1000])
	}
}
