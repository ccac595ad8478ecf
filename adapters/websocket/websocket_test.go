package websocket

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"go.uber.org/goleak"

	"github.com/notifypush/notify_push/domain"
	"github.com/notifypush/notify_push/ports"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// fakeGateway accepts password "pw" for any non-empty login and records
// what the transport hands it.
type fakeGateway struct {
	mu        sync.Mutex
	forwarded [][]string
	conns     []ports.ClientConn
	sessions  []*fakeSession
	limitFull bool
	delay     time.Duration
}

type fakeSession struct {
	listen atomic.Int32
	closed atomic.Int32
}

func (s *fakeSession) ListenFileIDs() { s.listen.Add(1) }
func (s *fakeSession) Close()         { s.closed.Add(1) }

func (g *fakeGateway) Check(ctx context.Context, login, password string, fwd []string) (domain.UserID, error) {
	g.mu.Lock()
	g.forwarded = append(g.forwarded, fwd)
	delay := g.delay
	g.mu.Unlock()
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}
	if login == "" || password != "pw" {
		return "", domain.ErrInvalidCredentials
	}
	return domain.UserID(login), nil
}

func (g *fakeGateway) Attach(user domain.UserID, c ports.ClientConn) (ports.Session, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.limitFull {
		return nil, domain.ErrConnectionLimit
	}
	// Messages sent right away must still arrive after "authenticated".
	c.Send(custom("early"))
	s := &fakeSession{}
	g.conns = append(g.conns, c)
	g.sessions = append(g.sessions, s)
	return s, nil
}

func (g *fakeGateway) last() (ports.ClientConn, *fakeSession) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.conns[len(g.conns)-1], g.sessions[len(g.sessions)-1]
}

type server struct {
	t   *testing.T
	gw  *fakeGateway
	h   *Handler
	url string
}

func start(t *testing.T, opts Options) *server {
	t.Helper()
	s := serve(t, opts)
	s.t = t
	return s
}

// serve runs a handler over a fake gateway on a loopback test server until
// the test or benchmark ends.
func serve(t testing.TB, opts Options) *server {
	gw := &fakeGateway{}
	h := New(gw, opts, domain.NewCounters(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	mux := http.NewServeMux()
	h.Register(mux)
	ts := httptest.NewServer(mux)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = h.Run(ctx); close(done) }()
	t.Cleanup(func() {
		cancel()
		<-done
		ts.CloseClientConnections()
		ts.Close()
	})
	return &server{gw: gw, h: h, url: "ws" + strings.TrimPrefix(ts.URL, "http")}
}

type client struct {
	t    *testing.T
	ws   *websocket.Conn
	msgs chan string
	err  chan error
}

func (s *server) dial(header http.Header) *client {
	s.t.Helper()
	ws, _, err := websocket.DefaultDialer.Dial(s.url+"/ws", header)
	if err != nil {
		s.t.Fatalf("dial: %v", err)
	}
	c := &client{t: s.t, ws: ws, msgs: make(chan string, 1024), err: make(chan error, 1)}
	s.t.Cleanup(func() { _ = ws.Close() })
	return c
}

// read starts the client's reader; call after setting handlers.
func (c *client) read() *client {
	go func() {
		for {
			_, msg, err := c.ws.ReadMessage()
			if err != nil {
				c.err <- err
				close(c.msgs)
				return
			}
			c.msgs <- string(msg)
		}
	}()
	return c
}

func (c *client) send(kind int, text string) {
	c.t.Helper()
	if err := c.ws.WriteMessage(kind, []byte(text)); err != nil {
		c.t.Fatalf("send: %v", err)
	}
}

func (c *client) expect(want string) {
	c.t.Helper()
	select {
	case got := <-c.msgs:
		if got != want {
			c.t.Fatalf("got %q, want %q", got, want)
		}
	case <-time.After(5 * time.Second):
		c.t.Fatalf("no message, want %q", want)
	}
}

// closed waits for the end of the connection and returns its error.
func (c *client) closed(within time.Duration) error {
	c.t.Helper()
	deadline := time.After(within)
	for {
		select {
		case _, ok := <-c.msgs:
			if !ok {
				return <-c.err
			}
		case <-deadline:
			c.t.Fatalf("still open after %v", within)
		}
	}
}

func (s *server) login(user string) *client {
	s.t.Helper()
	c := s.dial(nil).read()
	c.send(websocket.TextMessage, user)
	c.send(websocket.TextMessage, "pw")
	c.expect("authenticated")
	c.expect("early")
	return c
}

func TestLoginAndMessagesInOrder(t *testing.T) {
	s := start(t, Options{})
	c := s.dial(nil).read()
	c.send(websocket.TextMessage, "  alice\n")
	c.send(websocket.TextMessage, " pw ")
	c.expect("authenticated")
	c.expect("early")
	conn, session := s.gw.last()
	for _, m := range []string{"one", "two", "three"} {
		conn.Send(custom(m))
	}
	c.expect("one")
	c.expect("two")
	c.expect("three")
	c.send(websocket.TextMessage, "  listen notify_file_id \n")
	c.send(websocket.TextMessage, "something else")
	c.send(websocket.BinaryMessage, "\x00\x01")
	deadline := time.Now().Add(5 * time.Second)
	for session.listen.Load() != 1 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if session.listen.Load() != 1 {
		t.Fatalf("listen calls %d", session.listen.Load())
	}
	_ = c.ws.Close()
	for session.closed.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond)
	if n := session.closed.Load(); n != 1 {
		t.Fatalf("session closed %d times", n)
	}
}

func TestLoginFailures(t *testing.T) {
	s := start(t, Options{})
	tests := []struct {
		name   string
		frames [][2]any
		want   string
	}{
		{"wrong password", [][2]any{{websocket.TextMessage, "alice"}, {websocket.TextMessage, "nope"}}, "err: Invalid credentials"},
		{"empty login", [][2]any{{websocket.TextMessage, ""}, {websocket.TextMessage, "pw"}}, "err: Invalid credentials"},
		{"binary login", [][2]any{{websocket.BinaryMessage, "alice"}}, "err: Invalid authentication message"},
		{"invalid UTF-8 password", [][2]any{{websocket.TextMessage, "alice"}, {websocket.TextMessage, "p\xffw"}}, "err: Invalid authentication message"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := s.dial(nil).read()
			for _, f := range tt.frames {
				c.send(f[0].(int), f[1].(string))
			}
			c.expect(tt.want)
			if err := c.closed(5 * time.Second); !websocket.IsCloseError(err, websocket.CloseNormalClosure) {
				t.Fatalf("close: %v", err)
			}
		})
	}
}

func TestConnectionLimitRefusedBeforeAuthenticated(t *testing.T) {
	s := start(t, Options{})
	s.gw.limitFull = true
	c := s.dial(nil).read()
	c.send(websocket.TextMessage, "alice")
	c.send(websocket.TextMessage, "pw")
	c.expect("err: Connection limit exceeded for user")
	c.closed(5 * time.Second)
}

func TestAuthenticationTimeout(t *testing.T) {
	s := start(t, Options{AuthTimeout: 200 * time.Millisecond})
	c := s.dial(nil).read()
	c.send(websocket.TextMessage, "alice")
	c.expect("Authentication timeout")

	s.gw.delay = time.Second // a slow Nextcloud counts against the same 15 s
	c = s.dial(nil).read()
	c.send(websocket.TextMessage, "alice")
	c.send(websocket.TextMessage, "pw")
	c.expect("Authentication timeout")
}

func TestHugeFrameClosesOnlyThatClient(t *testing.T) {
	s := start(t, Options{})
	good := s.login("bob")
	bad := s.dial(nil).read()
	// The server may cut the connection while the frame is still being
	// written, so the write itself may fail.
	_ = bad.ws.WriteMessage(websocket.TextMessage, []byte(strings.Repeat("x", 100_000)))
	bad.closed(5 * time.Second)
	conn, _ := s.gw.last()
	conn.Send(custom("still here"))
	good.expect("still here")
}

func TestForwardedForChain(t *testing.T) {
	s := start(t, Options{})
	h := http.Header{}
	h.Add("X-Forwarded-For", "203.0.113.9, not-an-ip, 2001:db8::1")
	h.Add("X-Forwarded-For", " 198.51.100.2 ")
	c := s.dial(h).read()
	c.send(websocket.TextMessage, "alice")
	c.send(websocket.TextMessage, "pw")
	c.expect("authenticated")
	want := []string{"203.0.113.9", "2001:db8::1", "198.51.100.2", "127.0.0.1"}
	s.gw.mu.Lock()
	got := s.gw.forwarded[len(s.gw.forwarded)-1]
	s.gw.mu.Unlock()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("forwarded %v, want %v", got, want)
	}

	// Behind a proxy that sets only X-Real-IP, Nextcloud's brute-force
	// protection must still see the client, not the proxy (as upstream).
	c = s.dial(http.Header{"X-Real-Ip": {"203.0.113.10"}}).read()
	c.send(websocket.TextMessage, "alice")
	c.send(websocket.TextMessage, "pw")
	c.expect("authenticated")
	s.gw.mu.Lock()
	got = s.gw.forwarded[len(s.gw.forwarded)-1]
	s.gw.mu.Unlock()
	if want := []string{"203.0.113.10", "127.0.0.1"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("forwarded %v, want %v", got, want)
	}
}

func TestPingsKeepAnsweringClientsAndDropSilentOnes(t *testing.T) {
	s := start(t, Options{PingInterval: 100 * time.Millisecond})

	alive := s.dial(nil)
	var payloads sync.Map
	var pings atomic.Int32
	alive.ws.SetPingHandler(func(data string) error {
		if len(data) != 4 || data == "\x00\x00\x00\x00" {
			t.Errorf("ping payload %q", data)
		}
		payloads.Store(data, true)
		pings.Add(1)
		return alive.ws.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(time.Second))
	})
	alive.read()
	alive.send(websocket.TextMessage, "alice")
	alive.send(websocket.TextMessage, "pw")
	alive.expect("authenticated")

	silent := s.dial(nil)
	silent.ws.SetPingHandler(func(string) error { return nil })
	silent.read()
	silent.send(websocket.TextMessage, "bob")
	silent.send(websocket.TextMessage, "pw")
	silent.expect("authenticated")

	wrong := s.dial(nil)
	wrong.ws.SetPingHandler(func(string) error {
		return wrong.ws.WriteControl(websocket.PongMessage, []byte("nope"), time.Now().Add(time.Second))
	})
	wrong.read()
	wrong.send(websocket.TextMessage, "carol")
	wrong.send(websocket.TextMessage, "pw")
	wrong.expect("authenticated")

	if err := silent.closed(5 * time.Second); !websocket.IsCloseError(err, websocket.CloseGoingAway) {
		t.Fatalf("silent client: %v", err)
	}
	wrong.closed(5 * time.Second)
	waitFor(t, func() bool { return pings.Load() >= 3 })
	if pings.Load() < 3 {
		t.Fatalf("answering client got %d pings", pings.Load())
	}
	n := 0
	payloads.Range(func(any, any) bool { n++; return true })
	if n < 2 {
		t.Fatalf("ping payloads are not random: %d distinct", n)
	}
	conn, _ := s.gw.conns[0], 0
	conn.Send(custom("alive"))
	alive.expect("early")
	alive.expect("alive")
}

func TestMaxConnectionTime(t *testing.T) {
	s := start(t, Options{MaxConnectionTime: 200 * time.Millisecond})
	c := s.login("alice")
	if err := c.closed(5 * time.Second); !websocket.IsCloseError(err, websocket.CloseNormalClosure) {
		t.Fatalf("max connection time: %v", err)
	}
}

func TestSlowConsumerIsClosedWithoutDelayingOthers(t *testing.T) {
	s := start(t, Options{QueueLimit: 8, WriteTimeout: time.Second})
	fast := s.login("fast")
	fastConn, _ := s.gw.last()
	slow := s.dial(nil) // never reads after login
	slow.send(websocket.TextMessage, "slow")
	slow.send(websocket.TextMessage, "pw")
	waitFor(t, func() bool { s.gw.mu.Lock(); defer s.gw.mu.Unlock(); return len(s.gw.conns) == 2 })
	slowConn, _ := s.gw.last()
	big := strings.Repeat("x", 64<<10)
	start := time.Now()
	for range 2000 {
		slowConn.Send(custom(big))
	}
	fastConn.Send(custom("prompt"))
	fast.expect("prompt")
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("sending to a slow client blocked for %v", d)
	}
	deadline := time.Now().Add(10 * time.Second)
	for s.h.Connections() > 1 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if s.h.Connections() != 1 {
		t.Fatalf("slow client not disconnected: %d connections", s.h.Connections())
	}
	if n := s.h.counters.SlowClientCloses.Load(); n != 1 {
		t.Fatalf("slow client closes counted %d, want 1", n)
	}
}

func TestCloseAllAndShutdownSendGoingAway(t *testing.T) {
	s := start(t, Options{})
	a := s.login("alice")
	s.h.CloseAll(domain.CloseShutdown)
	if err := a.closed(5 * time.Second); !websocket.IsCloseError(err, websocket.CloseGoingAway) {
		t.Fatalf("close all: %v", err)
	}
}

// Connections that end in any order leave the others known: CloseAll still
// reaches every one that remains.
func TestCloseAllAfterOthersLeft(t *testing.T) {
	s := start(t, Options{})
	var clients []*client
	for range 5 {
		clients = append(clients, s.login("alice"))
	}
	for _, i := range []int{4, 0, 2} {
		_ = clients[i].ws.Close()
	}
	waitFor(t, func() bool { return s.h.Connections() == 2 })
	s.h.CloseAll(domain.CloseShutdown)
	for _, i := range []int{1, 3} {
		if err := clients[i].closed(5 * time.Second); !websocket.IsCloseError(err, websocket.CloseGoingAway) {
			t.Fatalf("client %d: %v", i, err)
		}
	}
	waitFor(t, func() bool { return s.h.Connections() == 0 })
}

func TestPlainGETNamesTheMissingHeader(t *testing.T) {
	s := start(t, Options{})
	resp, err := http.Get("http" + strings.TrimPrefix(s.url, "ws") + "/push/ws")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), `missing header "Upgrade: websocket"`) {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	req, _ := http.NewRequest("GET", "http"+strings.TrimPrefix(s.url, "ws")+"/ws", nil)
	req.Header.Set("Upgrade", "websocket")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `"Connection: Upgrade"`) {
		t.Fatalf("%s", body)
	}
}

func custom(text string) domain.Outgoing { return domain.Outgoing{Kind: domain.KindCustom, Text: text} }

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5 s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func BenchmarkSend(b *testing.B) {
	gw := &fakeGateway{}
	h := New(gw, Options{}, domain.NewCounters(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	mux := http.NewServeMux()
	h.Register(mux)
	ts := httptest.NewServer(mux)
	defer ts.Close()
	ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(ts.URL, "http")+"/ws", nil)
	if err != nil {
		b.Fatal(err)
	}
	defer ws.Close()
	ws.WriteMessage(websocket.TextMessage, []byte("alice"))
	ws.WriteMessage(websocket.TextMessage, []byte("pw"))
	ws.ReadMessage()
	ws.ReadMessage()
	conn, _ := gw.last()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		conn.Send(custom("notify_activity"))
		if _, _, err := ws.ReadMessage(); err != nil {
			b.Fatal(err)
		}
	}
}

// A failed login is logged with its name, but one longer than any user id,
// most likely a password typed in the wrong field, only by its length.
func TestFailedLoginLogShowsNoPasswordSentAsLogin(t *testing.T) {
	var logs bytes.Buffer
	h := New(&fakeGateway{}, Options{}, domain.NewCounters(), slog.New(slog.NewTextHandler(&logs, nil)))
	appPassword := strings.Repeat("Ab3dE", 14) + "xy" // 72 characters, as Nextcloud makes them
	h.logAuthFailure("login failed", appPassword, originFrom("192.0.2.1"), domain.ErrInvalidCredentials)
	h.logAuthFailure("login failed", "alice", originFrom("192.0.2.2"), domain.ErrInvalidCredentials)
	out := logs.String()
	if strings.Contains(out, appPassword[:16]) || !strings.Contains(out, "(72 bytes, not shown)") {
		t.Fatalf("a 72-character login must be logged by its length only:\n%s", out)
	}
	if !strings.Contains(out, "login=alice") {
		t.Fatalf("an ordinary login name is not logged:\n%s", out)
	}
}

func originFrom(addr string) origin {
	a := netip.MustParseAddr(addr)
	return origin{client: a, key: domain.AddressKey(a), chain: []string{addr}}
}

// Connections that fell idle together are pinged a tick's budget at a time,
// and every one of them in the ticks that follow.
func TestPingsDueTogetherAreSpreadOverTicks(t *testing.T) {
	// The pollers without the pinger: the test makes the ticks.
	gw := &fakeGateway{}
	h := New(gw, Options{PingInterval: time.Hour}, domain.NewCounters(), slog.New(slog.DiscardHandler))
	mux := http.NewServeMux()
	h.Register(mux)
	ts := httptest.NewServer(mux)
	stopPollers := h.runPollers()
	t.Cleanup(func() {
		h.drain()
		stopPollers()
		ts.CloseClientConnections()
		ts.Close()
	})
	s := &server{t: t, gw: gw, h: h, url: "ws" + strings.TrimPrefix(ts.URL, "http")}
	const clients, budget = 150, 64
	var pings atomic.Int32
	for i := range clients {
		c := s.dial(nil)
		c.ws.SetPingHandler(func(data string) error {
			pings.Add(1)
			return c.ws.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(time.Second))
		})
		c.read()
		c.send(websocket.TextMessage, "user"+strconv.Itoa(i))
		c.send(websocket.TextMessage, "pw")
		c.expect("authenticated")
		c.expect("early") // the last frame sent before the test's ticks
	}
	waitFor(t, func() bool { return h.Connections() == clients })
	// A login's last write is recorded just after the client has read it.
	time.Sleep(100 * time.Millisecond)
	conns := h.snapshot(nil)
	for _, c := range conns { // nothing sent for two ping intervals
		c.lastSent.Store(time.Now().Add(-2 * time.Hour).UnixNano())
	}
	for tick, want := range []int32{budget, 2 * budget, clients, clients} {
		h.keepAliveTick(conns, time.Now().UnixNano(), budget)
		waitFor(t, func() bool { return pings.Load() >= want })
		time.Sleep(20 * time.Millisecond) // room for a ping too many to arrive
		if got := pings.Load(); got != want {
			t.Fatalf("after tick %d: %d clients pinged, want %d", tick+1, got, want)
		}
	}
}

func TestPingBudgetIsTwiceTheSteadyRate(t *testing.T) {
	for _, tt := range []struct {
		conns          int
		tick, interval time.Duration
		want           int
	}{
		{19_000, time.Second, 30 * time.Second, 1_268}, // 633.3 a second, rounded up, twice
		{100_000, time.Second, 30 * time.Second, 6_668},
		{10, time.Second, 30 * time.Second, minPingsPerTick},
		{0, time.Second, 30 * time.Second, minPingsPerTick},
		{500, 10 * time.Millisecond, 100 * time.Millisecond, 100},
		{500, time.Second, 0, 500},
	} {
		if got := pingBudget(tt.conns, tt.tick, tt.interval); got != tt.want {
			t.Errorf("pingBudget(%d, %v, %v) = %d, want %d", tt.conns, tt.tick, tt.interval, got, tt.want)
		}
	}
}
