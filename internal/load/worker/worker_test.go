package worker

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"go.uber.org/goleak"

	"github.com/notifypush/notify_push/internal/load/events"
	"github.com/notifypush/notify_push/internal/load/protocol"
	"github.com/notifypush/notify_push/internal/load/world"
)

func TestSourceForSpreadsEvenly(t *testing.T) {
	addrs := []string{"a", "b", "c"}
	seen := map[string]int{}
	for i := range 10 {
		seen[sourceFor(addrs, i)]++
	}
	if seen["a"] != 4 || seen["b"] != 3 || seen["c"] != 3 {
		t.Fatalf("spread %v", seen)
	}
}

// fakePush is a WebSocket server speaking notify_push's login: userN/passN or
// a known pre-auth token. Tests push frames to its clients by user.
type fakePush struct {
	srv      *httptest.Server
	upgrader websocket.Upgrader

	mu      sync.Mutex
	tokens  map[string]string
	conns   map[string]*websocket.Conn
	remotes map[string]bool // source addresses seen
	listens int
	pongs   chan string
	wg      sync.WaitGroup
}

func newFakePush(t *testing.T) *fakePush {
	f := &fakePush{tokens: map[string]string{}, conns: map[string]*websocket.Conn{}, remotes: map[string]bool{},
		pongs: make(chan string, 10)}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(func() {
		f.srv.Close()
		f.mu.Lock()
		for _, c := range f.conns {
			c.Close()
		}
		f.mu.Unlock()
		f.wg.Wait()
	})
	return f
}

func (f *fakePush) url() string { return "ws" + strings.TrimPrefix(f.srv.URL, "http") + "/ws" }

func (f *fakePush) serve(w http.ResponseWriter, r *http.Request) {
	f.wg.Add(1)
	defer f.wg.Done()
	ws, err := f.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	defer ws.Close()
	host, _, _ := net.SplitHostPort(r.RemoteAddr)
	_, login, err1 := ws.ReadMessage()
	_, password, err2 := ws.ReadMessage()
	if err1 != nil || err2 != nil {
		return
	}
	f.mu.Lock()
	f.remotes[host] = true
	user, ok := f.tokens[string(password)]
	if len(login) > 0 {
		n := world.UserOf(string(login))
		user, ok = string(login), n >= 0 && string(password) == "pass"+strconv.Itoa(n)
	}
	if ok {
		f.conns[user] = ws
	}
	f.mu.Unlock()
	if !ok {
		_ = ws.WriteMessage(websocket.TextMessage, []byte("err: Invalid credentials"))
		return
	}
	ws.SetPongHandler(func(data string) error { f.pongs <- data; return nil })
	_ = ws.WriteMessage(websocket.TextMessage, []byte("authenticated"))
	for {
		_, msg, err := ws.ReadMessage()
		if err != nil {
			return
		}
		if string(msg) == "listen notify_file_id" {
			f.mu.Lock()
			f.listens++
			f.mu.Unlock()
		}
	}
}

func (f *fakePush) conn(t *testing.T, user string) *websocket.Conn {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.conns[user]
	if c == nil {
		t.Fatalf("%s is not connected", user)
	}
	return c
}

func (f *fakePush) send(t *testing.T, user, text string) {
	t.Helper()
	if err := f.conn(t, user).WriteMessage(websocket.TextMessage, []byte(text)); err != nil {
		t.Fatal(err)
	}
}

// startTestWorker runs a worker in-process, wired to a client by pipes.
func startTestWorker(t *testing.T) (*protocol.Worker, chan error) {
	cmdR, cmdW := io.Pipe()
	repR, repW := io.Pipe()
	done := make(chan error, 1)
	go func() {
		err := runWorker(cmdR, repW)
		repW.Close()
		done <- err
	}()
	return protocol.NewWorker(cmdW, repR), done
}

func call(t *testing.T, w *protocol.Worker, c protocol.Command) protocol.Reply {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r, err := w.Call(ctx, c)
	if err != nil {
		t.Fatalf("%s: %v", c.Op, err)
	}
	return r
}

// waitStats polls until ok holds.
func waitStats(t *testing.T, w *protocol.Worker, ok func(protocol.Stats) bool) protocol.Stats {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		s := *call(t, w, protocol.Command{Op: protocol.OpStats}).Stats
		if ok(s) {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("stats never got there: %+v", s)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestWorkerProtocol(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) }) // last: after the fake server's cleanup
	push := newFakePush(t)
	w, done := startTestWorker(t)

	// Ten Basic logins, dialing from two source addresses in turn.
	r := call(t, w, protocol.Command{Op: protocol.OpConnect, Connect: &protocol.ConnectSpec{Group: "a", URL: push.url(),
		Sources: []string{"127.0.0.2", "127.0.0.3"}, FirstUser: 0, Count: 10, Listen: true, Concurrency: 4}})
	c := r.Connect
	if c.OK != 10 || c.Failed != 0 || c.Latency.Count != 10 || c.End < c.Start || c.Start == 0 {
		t.Fatalf("connect: %+v", c)
	}
	push.mu.Lock()
	remotes, listens := push.remotes, push.listens
	push.mu.Unlock()
	if !remotes["127.0.0.2"] || !remotes["127.0.0.3"] || len(remotes) != 2 {
		t.Errorf("source addresses seen by the server: %v", remotes)
	}

	// Pre-auth logins: two known tokens, one unknown.
	push.mu.Lock()
	push.tokens[events.PreAuthToken("0123456789abcdef", 10)] = "user10"
	push.tokens[events.PreAuthToken("0123456789abcdef", 11)] = "user11"
	push.mu.Unlock()
	r = call(t, w, protocol.Command{Op: protocol.OpConnect, Connect: &protocol.ConnectSpec{Group: "b", URL: push.url(), Sources: []string{"127.0.0.4"},
		FirstUser: 10, Count: 3, PreAuthPrefix: "0123456789abcdef", Listen: true, Concurrency: 3}})
	c = r.Connect
	if c.OK != 2 || c.Failed != 1 || len(c.FailedUsers) != 1 || c.FailedUsers[0] != 12 ||
		c.Errors[`server answered "err: Invalid credentials"`] != 1 {
		t.Fatalf("pre-auth connect: %+v", c)
	}
	if len(events.PreAuthToken("0123456789abcdef", 12)) != 32 {
		t.Error("pre-auth tokens must be 32 characters")
	}
	waitStats(t, w, func(protocol.Stats) bool {
		push.mu.Lock()
		defer push.mu.Unlock()
		listens = push.listens
		return listens == 12
	})

	// Frames of every kind, two of them timed.
	now := strconv.FormatInt(time.Now().UnixMicro(), 10)
	push.send(t, "user0", "notify_file_id ["+now+"]")
	push.send(t, "user1", "notify_activity")
	push.send(t, "user2", "notify_notification")
	push.send(t, "user3", `loadgen {"t":`+now+`}`)
	push.send(t, "user4", "notify_file")
	push.send(t, "user5", "something else")
	push.send(t, "user6", "notify_file_id [1,2]") // not publish times
	s := waitStats(t, w, func(s protocol.Stats) bool {
		return s.Received.Other == 1 && s.Received.FileIDs == 3 && s.Received.Custom == 1
	})
	want := protocol.Received{File: 3, FileIDs: 3, Activity: 1, Notification: 1, Custom: 1, Other: 1}
	if s.Received != want || s.Unmatched != 2 || s.Latency == nil || s.Latency.Count != 2 || s.LastReceive == 0 {
		t.Fatalf("received %+v, unmatched %d, latency %+v", s.Received, s.Unmatched, s.Latency)
	}
	if s.Latency.Max > uint64(10*time.Second/time.Microsecond) {
		t.Errorf("latency of a frame sent just now: %d µs", s.Latency.Max)
	}
	if s.Received.Deliveries() != 6 {
		t.Errorf("deliveries %d", s.Received.Deliveries())
	}

	// Pings are answered with their payload, and counted.
	if err := push.conn(t, "user7").WriteControl(websocket.PingMessage, []byte{1, 2, 3, 4}, time.Now().Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	select {
	case p := <-push.pongs:
		if p != "\x01\x02\x03\x04" {
			t.Errorf("pong payload %q", p)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no pong")
	}
	waitStats(t, w, func(s protocol.Stats) bool { return s.Pings == 1 })

	// A connection the server ends is a drop, with its reason.
	msg := websocket.FormatCloseMessage(websocket.CloseGoingAway, "bye")
	if err := push.conn(t, "user8").WriteControl(websocket.CloseMessage, msg, time.Now().Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	s = waitStats(t, w, func(s protocol.Stats) bool { return s.Dropped == 1 })
	if s.DropReasons["close 1001 bye"] != 1 || s.Open != 11 {
		t.Fatalf("drop: %+v", s)
	}

	// count is stats without latencies; reset zeroes what was received.
	if r := call(t, w, protocol.Command{Op: protocol.OpCount}); r.Stats.Latency != nil || r.Stats.Received.Custom != 1 {
		t.Errorf("count: %+v", r.Stats)
	}
	call(t, w, protocol.Command{Op: protocol.OpReset})
	if s := *call(t, w, protocol.Command{Op: protocol.OpStats}).Stats; s.Received != (protocol.Received{}) || s.Dropped != 0 || s.Pings != 0 ||
		s.Latency.Count != 0 || s.Open != 11 {
		t.Fatalf("after reset: %+v", s)
	}

	// Closing a group is no drop.
	call(t, w, protocol.Command{Op: protocol.OpClose, Group: "a"})
	if s := *call(t, w, protocol.Command{Op: protocol.OpStats}).Stats; s.Open != 2 || s.Dropped != 0 {
		t.Fatalf("after closing group a: %+v", s)
	}

	// Bad commands get an error reply, and the worker goes on.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := w.Call(ctx, protocol.Command{Op: "dance"}); err == nil || !strings.Contains(err.Error(), `unknown operation "dance"`) {
		t.Errorf("unknown op: %v", err)
	}
	if _, err := w.Call(ctx, protocol.Command{Op: protocol.OpConnect, Connect: &protocol.ConnectSpec{URL: push.url(), Count: 1,
		Sources: []string{"nowhere"}}}); err == nil || !strings.Contains(err.Error(), "not an IP address") {
		t.Errorf("bad source: %v", err)
	}
	call(t, w, protocol.Command{Op: protocol.OpQuit})
	if err := <-done; err != nil {
		t.Fatalf("worker: %v", err)
	}
}

// With a stride, a connect command logs in every Stride-th user: the
// users one of several servers holds.
func TestWorkerConnectStride(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) })
	push := newFakePush(t)
	w, done := startTestWorker(t)
	r := call(t, w, protocol.Command{Op: protocol.OpConnect, Connect: &protocol.ConnectSpec{Group: "s", URL: push.url(),
		Sources: []string{"127.0.0.2"}, FirstUser: 20, Count: 3, Stride: 3, Concurrency: 2}})
	if r.Connect.OK != 3 || r.Connect.Failed != 0 {
		t.Fatalf("connect: %+v", r.Connect)
	}
	push.mu.Lock()
	var users []string
	for u := range push.conns {
		users = append(users, u)
	}
	push.mu.Unlock()
	sort.Strings(users)
	if !reflect.DeepEqual(users, []string{"user20", "user23", "user26"}) {
		t.Errorf("logged in %v, want user20, user23, user26", users)
	}
	call(t, w, protocol.Command{Op: protocol.OpQuit})
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestWorkerConnectFailures(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) })
	w, done := startTestWorker(t)
	// Nobody listens on this port: every dial fails, each reason counted once.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	r := call(t, w, protocol.Command{Op: protocol.OpConnect, Connect: &protocol.ConnectSpec{Group: "x", URL: "ws://" + addr + "/ws",
		Sources: []string{"127.0.0.2"}, Count: 5, Concurrency: 2, TimeoutMS: 5000}})
	if r.Connect.OK != 0 || r.Connect.Failed != 5 || len(r.Connect.Errors) != 1 {
		t.Fatalf("%+v", r.Connect)
	}
	for e := range r.Connect.Errors {
		if strings.Contains(e, "127.0.0.") || !strings.Contains(e, "<addr>") {
			t.Errorf("reason %q should have its addresses masked", e)
		}
	}
	call(t, w, protocol.Command{Op: protocol.OpQuit})
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// count parses frames in place: ids and publish times are read from the
// bytes, and anything unparsable is counted as unmatched, not lost.
func TestCountParsesInPlace(t *testing.T) {
	w := newWorker()
	now := time.UnixMicro(2_000_000)
	w.count([]byte("notify_file_id [1000000,1500000]"), now)
	w.count([]byte("notify_file_id [12x]"), now)
	w.count([]byte(`loadgen {"t":1999000}`), now)
	w.count([]byte(`loadgen {"t":-}`), now)
	w.count([]byte("notify_file"), now)
	w.count([]byte("notify_activity"), now)
	w.count([]byte("something else"), now)
	s := w.stats(true)
	r := s.Received
	if r.File != 3 || r.FileIDs != 3 || r.Custom != 2 || r.Activity != 1 || r.Other != 1 {
		t.Fatalf("received %+v", r)
	}
	if s.Unmatched != 2 {
		t.Fatalf("unmatched %d, want 2 (the bad id and the bad time)", s.Unmatched)
	}
	if s.Latency.Count != 3 || s.Latency.Max != 1_000_000 {
		t.Fatalf("latencies: %d recorded, max %d µs; want 3, max 1000000", s.Latency.Count, s.Latency.Max)
	}
	for in, want := range map[string]int64{"0": 0, "-12": -12, "1764656000000000": 1764656000000000} {
		if got, err := events.ParseInt([]byte(in)); err != nil || got != want {
			t.Errorf("parseInt(%q) = %d, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "-", "1a", "1234567890123456789"} {
		if _, err := events.ParseInt([]byte(in)); err == nil {
			t.Errorf("parseInt(%q) did not fail", in)
		}
	}
}
