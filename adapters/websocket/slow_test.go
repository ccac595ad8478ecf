package websocket

import (
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/notifypush/notify_push/domain"
)

// A writer that cannot run (the client is still logging in, or stuck) lets
// debounced messages merge in the queue instead of piling up.
func TestQueuedDebouncedMessagesMerge(t *testing.T) {
	h := New(&fakeGateway{}, Options{QueueLimit: 4, NoPoller: true}, domain.NewCounters(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	c := &conn{h: h}
	for i := range 1000 {
		c.Send(domain.Outgoing{Kind: domain.KindActivity, Text: domain.TextNotifyActivity})
		c.Send(domain.Outgoing{Kind: domain.KindFile, Text: domain.EncodeFile([]domain.FileID{domain.FileID(i % 3)}, false, true)})
		c.Send(domain.Outgoing{Kind: domain.KindNotification, Text: domain.TextNotifyNotification})
	}
	c.Send(custom("one"))
	c.Send(domain.Outgoing{Kind: domain.KindFile, Text: domain.TextNotifyFile})
	var got []string
	for _, m := range c.queue {
		got = append(got, m.Text)
	}
	want := []string{"notify_activity", "notify_file", "notify_notification", "one"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("queue %q, want %q", got, want)
	}
	c.queue, c.queued = nil, [domain.KindCustom]int32{}
	c.Send(domain.Outgoing{Kind: domain.KindFile, Text: "notify_file_id [1]"})
	c.Send(domain.Outgoing{Kind: domain.KindFile, Text: "notify_file_id [2,1]"})
	if len(c.queue) != 1 || c.queue[0].Text != "notify_file_id [1,2]" {
		t.Fatalf("file ids not merged: %q", c.queue)
	}
}

// A client that stops reading keeps its connection while only debounced
// messages wait, and gets them merged once it reads again.
func TestStuckClientGetsMergedMessagesLater(t *testing.T) {
	modes(t, func(t *testing.T, opts Options) {
		opts.QueueLimit, opts.WriteTimeout = 100, 30*time.Second
		s := start(t, opts)
		ws, _, err := websocket.DefaultDialer.Dial(s.url+"/ws", nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = ws.Close() })
		c := &client{t: t, ws: ws, msgs: make(chan string, 1<<14), err: make(chan error, 1)}
		c.send(websocket.TextMessage, "stuck")
		c.send(websocket.TextMessage, "pw")
		for _, want := range []string{"authenticated", "early"} {
			if _, m, err := ws.ReadMessage(); err != nil || string(m) != want {
				t.Fatalf("got %q %v, want %q", m, err, want)
			}
		}
		conn, _ := s.gw.last()
		big := strings.Repeat("x", 256<<10)
		for range 64 { // 16 MiB: more than loopback socket buffers hold
			conn.Send(custom(big))
		}
		for range 10_000 {
			conn.Send(domain.Outgoing{Kind: domain.KindActivity, Text: domain.TextNotifyActivity})
		}
		conn.Send(custom("last"))
		if s.h.Connections() != 1 {
			t.Fatal("a stuck client with few custom messages was disconnected")
		}
		c.read()
		activities := 0
		for {
			m, ok := <-c.msgs
			if !ok {
				t.Fatalf("connection ended: %v", <-c.err)
			}
			if m == domain.TextNotifyActivity {
				activities++
			}
			if m == "last" {
				break
			}
		}
		if activities < 1 || activities > 2 {
			// One merged message, or two when the writer took the first
			// before the socket filled.
			t.Fatalf("got %d notify_activity for 10000 sent while stuck", activities)
		}
		if n := s.h.counters.SlowClientCloses.Load(); n != 0 {
			t.Fatalf("slow client closes = %d", n)
		}
	})
}

// Writes made at once on the caller's goroutine must not trip over the
// deadline an earlier, queued write left on the socket.
func TestInlineWriteAfterAnOldDeadline(t *testing.T) {
	modes(t, func(t *testing.T, opts Options) {
		opts.WriteTimeout = 50 * time.Millisecond
		s := start(t, opts)
		c := s.login("alice") // "early" went through the writer, with a deadline
		conn, _ := s.gw.last()
		time.Sleep(150 * time.Millisecond)
		conn.Send(custom("later"))
		c.expect("later")
		time.Sleep(150 * time.Millisecond)
		conn.Send(domain.Outgoing{Kind: domain.KindActivity, Text: domain.TextNotifyActivity})
		c.expect(domain.TextNotifyActivity)
	})
}

// A client that stops reading is dropped once a write has waited
// WriteTimeout, even while its queue is far from full.
func TestStuckWriteTimesOut(t *testing.T) {
	modes(t, func(t *testing.T, opts Options) {
		opts.QueueLimit, opts.WriteTimeout = 100_000, 200*time.Millisecond
		s := start(t, opts)
		fast := s.login("fast")
		fastConn, _ := s.gw.last()
		ws, _, err := websocket.DefaultDialer.Dial(s.url+"/ws", nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = ws.Close() })
		_ = ws.WriteMessage(websocket.TextMessage, []byte("stuck"))
		_ = ws.WriteMessage(websocket.TextMessage, []byte("pw"))
		waitFor(t, func() bool { return s.h.Connections() == 2 })
		stuck, _ := s.gw.last()
		big := strings.Repeat("x", 256<<10)
		for range 64 { // 16 MiB: more than loopback socket buffers hold
			stuck.Send(custom(big))
		}
		waitFor(t, func() bool { return s.h.Connections() == 1 })
		fastConn.Send(custom("still served"))
		fast.expect("still served")
	})
}

// Sockets that upgrade and never log in are bounded: past the bound an
// upgrade gets 503 before any work is done, and room frees as logins end.
func TestPendingLoginsAreBounded(t *testing.T) {
	s := start(t, Options{MaxPendingLogins: 2})
	idle1, idle2 := s.dial(nil), s.dial(nil) // upgraded, silent
	waitFor(t, func() bool { return s.h.logins.Load() == 2 })
	_, resp, err := websocket.DefaultDialer.Dial(s.url+"/ws", nil)
	if err == nil || resp == nil || resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("third pending login: %v %+v", err, resp)
	}
	idle1.send(websocket.TextMessage, "alice")
	idle1.send(websocket.TextMessage, "pw")
	waitFor(t, func() bool { return s.h.logins.Load() == 1 })
	c := s.login("bob") // room again
	_ = c
	_ = idle2
}
