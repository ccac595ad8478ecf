package refserver

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	goredis "github.com/redis/go-redis/v9"
	"go.uber.org/goleak"

	"github.com/notifypush/notify_push/internal/load/harness"
	"github.com/notifypush/notify_push/internal/load/world"
	"github.com/notifypush/notify_push/internal/testenv"
)

func TestRefServer(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) })
	ctx, cancel := context.WithCancel(context.Background())
	out, outW := io.Pipe()
	done := make(chan error, 1)
	go func() { done <- runRefServer(ctx, []string{"--ping-interval", "1s"}, outW); outW.Close() }()
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	go func() { _, _ = io.Copy(io.Discard, out) }()
	var addrs harness.RefAddresses
	if err := json.Unmarshal([]byte(line), &addrs); err != nil || addrs.WS == "" || addrs.Debug == "" {
		t.Fatalf("first line %q: %v", line, err)
	}

	login := func(answerPings bool) (*websocket.Conn, *atomic.Int32, chan error) {
		ws, _, err := websocket.DefaultDialer.Dial("ws://"+addrs.WS+"/ws", nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, frame := range []string{"anyone", "anything"} {
			if err := ws.WriteMessage(websocket.TextMessage, []byte(frame)); err != nil {
				t.Fatal(err)
			}
		}
		if _, msg, err := ws.ReadMessage(); err != nil || string(msg) != "authenticated" {
			t.Fatalf("login answer %q: %v", msg, err)
		}
		var pings atomic.Int32
		ws.SetPingHandler(func(data string) error {
			pings.Add(1)
			if !answerPings {
				return nil
			}
			return ws.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(time.Second))
		})
		ended := make(chan error, 1)
		go func() {
			for {
				if _, _, err := ws.ReadMessage(); err != nil {
					ended <- err
					return
				}
			}
		}()
		return ws, &pings, ended
	}
	good, goodPings, goodEnded := login(true)
	defer good.Close()
	deaf, deafPings, deafEnded := login(false)
	defer deaf.Close()

	// A client that ignores pings is dropped when the next one is due.
	select {
	case <-deafEnded:
		if deafPings.Load() < 1 {
			t.Error("dropped without a ping")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a client that never answers pings is still connected")
	}
	// One that answers stays, pinged every interval.
	deadline := time.Now().Add(10 * time.Second)
	for goodPings.Load() < 2 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	select {
	case err := <-goodEnded:
		t.Fatalf("a client answering pings was dropped: %v", err)
	default:
	}
	if goodPings.Load() < 2 {
		t.Fatalf("%d pings in 10 s at a 1 s interval", goodPings.Load())
	}

	resp, err := http.Get("http://" + addrs.Debug + "/debug/runtime")
	if err != nil {
		t.Fatal(err)
	}
	var stats harness.RuntimeStats
	err = json.NewDecoder(resp.Body).Decode(&stats)
	resp.Body.Close()
	if err != nil || stats.Goroutines == 0 {
		t.Fatalf("debug route: %+v %v", stats, err)
	}
	http.DefaultClient.CloseIdleConnections()

	cancel()
	if err := <-done; err != nil {
		t.Fatalf("refserver: %v", err)
	}
	select {
	case <-goodEnded:
	case <-time.After(5 * time.Second):
		t.Fatal("connection still open after the server stopped")
	}
}

// Given a Redis, the reference writes each update of the shared storage to
// the fan-out users connected, with the file id the update carries, and
// nothing to anyone else.
func TestRefServerFanOut(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) })
	redis := testenv.StartRedis(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel() // a failure below still stops the server before the leak check
	out, outW := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- runRefServer(ctx, []string{"--redis", redis.Addr, "--fanout-users", "3"}, outW)
		outW.Close()
	}()
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	go func() { _, _ = io.Copy(io.Discard, out) }()
	var addrs harness.RefAddresses
	if err := json.Unmarshal([]byte(line), &addrs); err != nil {
		t.Fatalf("first line %q: %v", line, err)
	}
	login := func(user string) *websocket.Conn {
		ws, _, err := websocket.DefaultDialer.Dial("ws://"+addrs.WS+"/ws", nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, frame := range []string{user, "secret"} {
			if err := ws.WriteMessage(websocket.TextMessage, []byte(frame)); err != nil {
				t.Fatal(err)
			}
		}
		if _, msg, err := ws.ReadMessage(); err != nil || string(msg) != "authenticated" {
			t.Fatalf("login answer %q: %v", msg, err)
		}
		return ws
	}
	sharer, other := login("user2"), login("user3")
	defer sharer.Close()
	defer other.Close()

	rdb := goredis.NewClient(&goredis.Options{Addr: redis.Addr})
	defer rdb.Close()
	for storage, id := range map[int]int{world.HomeStorage(2): 7, world.SharedStorage: 42} {
		payload := fmt.Sprintf(`{"storage":%d,"path":"files/a.txt","file_id":%d}`, storage, id)
		if err := rdb.Publish(ctx, "notify_storage_update", payload).Err(); err != nil {
			t.Fatal(err)
		}
	}
	_ = sharer.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, msg, err := sharer.ReadMessage(); err != nil || string(msg) != "notify_file_id [42]" {
		t.Fatalf("the fan-out user got %q, %v; want the shared storage's update alone", msg, err)
	}
	_ = other.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	if _, msg, err := other.ReadMessage(); err == nil {
		t.Fatalf("a user who does not mount the shared storage got %q", msg)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("refserver: %v", err)
	}
}
