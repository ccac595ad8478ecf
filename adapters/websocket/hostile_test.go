package websocket

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/notifypush/notify_push/domain"
	"github.com/notifypush/notify_push/internal/process"
)

// Clients that attack the server over real sockets, each against what it
// took from everybody else before (issue 16).

// trustLoopback is the rule of a server behind a reverse proxy on this
// machine: the tests' clients name their addresses in X-Forwarded-For.
func trustLoopback(t testing.TB) domain.ClientAddressRule {
	rule, err := domain.NewClientAddressRule(domain.LoopbackProxies, nil)
	if err != nil {
		t.Fatal(err)
	}
	return rule
}

func forwardedFor(addr string) http.Header {
	return http.Header{"X-Forwarded-For": {addr}}
}

// A logged-in client flooding empty pings kept the one poller busy until its
// socket ran dry, which it never did: every other client missed its pongs
// and was closed as a ping timeout. Now the flood costs the flooder its
// connection (1008), and the others keep theirs.
func TestFloodingClientIsClosedAndOthersStay(t *testing.T) {
	modes(t, func(t *testing.T, opts Options) {
		opts.PingInterval = 200 * time.Millisecond
		s := start(t, opts)
		var victims []*client
		for range 3 {
			victims = append(victims, s.login("victim"))
		}
		flooder := s.dial(nil)
		flooder.ws.SetPingHandler(func(string) error { return nil }) // only the flood writes
		flooder.read()
		flooder.send(websocket.TextMessage, "mallory")
		flooder.send(websocket.TextMessage, "pw")
		flooder.expect("authenticated")

		ping := clientFrame(0x80|opPing, nil)
		burst := []byte(strings.Repeat(string(ping), 1024))
		flooding := make(chan struct{})
		go func() {
			defer close(flooding)
			deadline := time.Now().Add(10 * time.Second)
			for time.Now().Before(deadline) {
				if _, err := flooder.ws.NetConn().Write(burst); err != nil {
					return // closed by the server
				}
			}
		}()
		err := flooder.closed(10 * time.Second)
		<-flooding
		if !websocket.IsCloseError(err, websocket.ClosePolicyViolation) {
			t.Fatalf("flooder: %v, want a 1008 close", err)
		}
		if n := s.h.counters.FloodingClientCloses.Load(); n != 1 {
			t.Fatalf("flooding closes counted %d, want 1", n)
		}
		// Ten ping intervals on, every victim is still connected and served.
		time.Sleep(10 * opts.PingInterval)
		s.gw.mu.Lock()
		conns := s.gw.conns[:len(victims)]
		s.gw.mu.Unlock()
		for i, c := range conns {
			c.Send(custom("still here"))
			victims[i].expect("still here")
		}
		if n := s.h.Connections(); n != len(victims) {
			t.Fatalf("%d connections, want the %d victims", n, len(victims))
		}
	})
}

// 4,096 silent upgraded sockets from one address filled MAX_PENDING_LOGINS
// and every real login got 503. Now one address holds at most its share.
func TestOneAddressCannotHoldEveryPendingLogin(t *testing.T) {
	s := start(t, Options{MaxPendingLogins: 8, MaxPendingPerAddress: 4, ClientAddress: trustLoopback(t)})
	refused := 0
	for range 8 {
		ws, resp, err := websocket.DefaultDialer.Dial(s.url+"/ws", forwardedFor("203.0.113.66"))
		if err != nil {
			if resp == nil || resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
				t.Fatalf("refused upgrade: %v %+v", err, resp)
			}
			refused++
			continue
		}
		t.Cleanup(func() { _ = ws.Close() })
	}
	if refused != 4 {
		t.Fatalf("%d of 8 silent sockets from one address refused, want 4", refused)
	}
	c := s.dial(forwardedFor("198.51.100.1")).read()
	c.send(websocket.TextMessage, "alice")
	c.send(websocket.TextMessage, "pw")
	c.expect("authenticated")
	// Another address of the same IPv6 /64 shares the quota; another /64 does not.
	for range 4 {
		ws, _, err := websocket.DefaultDialer.Dial(s.url+"/ws", forwardedFor("2001:db8:0:1::1"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = ws.Close() })
	}
	if _, _, err := websocket.DefaultDialer.Dial(s.url+"/ws", forwardedFor("2001:db8:0:1::2")); err == nil {
		t.Fatal("a fifth pending login from one /64 accepted")
	}
}

// A socket that says nothing is dropped at the first frame's deadline, long
// before the login's; one that starts at once has the whole login time.
func TestFirstFrameHasAShorterDeadline(t *testing.T) {
	s := start(t, Options{AuthTimeout: 30 * time.Second, FirstFrameTimeout: 300 * time.Millisecond})
	silent := s.dial(nil).read()
	begun := time.Now()
	silent.expect(domain.TextAuthenticationTimeout)
	if d := time.Since(begun); d > 10*time.Second {
		t.Fatalf("a silent socket was held %v", d)
	}
	slow := s.dial(nil).read()
	slow.send(websocket.TextMessage, "alice")
	time.Sleep(600 * time.Millisecond) // past the first frame's deadline
	slow.send(websocket.TextMessage, "pw")
	slow.expect("authenticated")
}

// slotGateway stands for Nextcloud behind the AuthGuard: two credential
// checks at a time, none waiting, and wrong passwords answered slowly, as
// Nextcloud's brute-force throttle does on purpose.
type slotGateway struct {
	*fakeGateway
	slots chan struct{}
	wrong time.Duration
	mu    sync.Mutex
	held  int
	// checks lets the test wait for slow checks to end, which outlive
	// their clients.
	checks sync.WaitGroup
}

func (g *slotGateway) Check(ctx context.Context, login, password string, fwd []string) (domain.UserID, error) {
	g.checks.Add(1)
	defer g.checks.Done()
	select {
	case g.slots <- struct{}{}:
	default:
		return "", domain.ErrTooManyLogins
	}
	defer func() { <-g.slots }()
	if password != "pw" {
		g.mu.Lock()
		g.held++
		g.mu.Unlock()
		select {
		case <-time.After(g.wrong):
		case <-ctx.Done():
		}
	}
	return g.fakeGateway.Check(ctx, login, password, fwd)
}

func (g *slotGateway) heldBack() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.held
}

// Slow wrong-password checks from one address held every check slot, and a
// legitimate user got "Too many concurrent logins". Now that address gets
// the refusal, and the user logs in.
func TestSlowWrongPasswordsFromOneAddressLeaveChecksToOthers(t *testing.T) {
	gw := &slotGateway{fakeGateway: &fakeGateway{}, slots: make(chan struct{}, 2), wrong: 2 * time.Second}
	t.Cleanup(gw.checks.Wait)
	h := New(gw, Options{MaxChecksPerAddress: 1, ClientAddress: trustLoopback(t)}, domain.NewCounters(),
		slog.New(slog.NewTextHandler(io.Discard, nil)))
	s := serveHandler(t, h)

	guesser := s.dial(forwardedFor("203.0.113.66")).read()
	guesser.send(websocket.TextMessage, "alice")
	guesser.send(websocket.TextMessage, "guess")
	waitFor(t, func() bool { return gw.heldBack() == 1 })
	second := s.dial(forwardedFor("203.0.113.66")).read()
	second.send(websocket.TextMessage, "alice")
	second.send(websocket.TextMessage, "guess2")
	second.expect(domain.ErrPrefix + domain.ErrTooManyLogins.Error())

	user := s.dial(forwardedFor("198.51.100.1")).read()
	user.send(websocket.TextMessage, "bob")
	user.send(websocket.TextMessage, "pw")
	user.expect("authenticated")
	// Counted after the refusal is written: wait for it.
	waitFor(t, func() bool { return h.counters.AuthFailuresOf(domain.AuthFailureTooManyLogins) == 1 })
}

// serveHandler runs h on a loopback test server until the test ends.
func serveHandler(t *testing.T, h *Handler) *server {
	mux := http.NewServeMux()
	h.Register(mux)
	ts := httptest.NewServer(mux)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = h.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done; ts.CloseClientConnections(); ts.Close() })
	return &server{t: t, h: h, url: "ws" + strings.TrimPrefix(ts.URL, "http")}
}

// A failed login was logged with the left-most X-Forwarded-For entry, which
// the client writes itself: it chose the address fail2ban would ban, and by
// changing it escaped the limit of one line per address. Now the address is
// the right-most one a trusted proxy vouches for, or the peer.
func TestLoggedClientIsNotTheClientsChoice(t *testing.T) {
	for _, tt := range []struct {
		name string
		rule domain.ClientAddressRule
		want string
	}{
		{"behind a trusted proxy", trustLoopback(t), "client=198.51.100.7"},
		{"no proxy trusted", domain.ClientAddressRule{}, "client=127.0.0.1"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var logs process.Buffer
			h := New(&fakeGateway{}, Options{ClientAddress: tt.rule}, domain.NewCounters(),
				slog.New(slog.NewTextHandler(&logs, nil)))
			s := serveHandler(t, h)
			for _, forged := range []string{"6.6.6.1", "6.6.6.2", "6.6.6.3"} {
				c := s.dial(forwardedFor(forged + ", 198.51.100.7")).read()
				c.send(websocket.TextMessage, "mallory")
				c.send(websocket.TextMessage, "guess")
				c.expect("err: Invalid credentials")
			}
			out := logs.String()
			if strings.Count(out, "login failed") != 1 || !strings.Contains(out, tt.want) || strings.Contains(out, "6.6.6.") {
				t.Fatalf("want one line naming %s and no forged address:\n%s", tt.want, out)
			}
		})
	}
}

// Pongs that answer the server's pings are the server's doing, not the
// client's: however often it pings, answering never costs the allowance.
func TestAnsweringPingsIsNotFlooding(t *testing.T) {
	modes(t, func(t *testing.T, opts Options) {
		opts.PingInterval, opts.ClientFrameRate = 30*time.Millisecond, 1 // a burst of 10 frames
		s := start(t, opts)
		c := s.dial(nil)
		var pongs sync.WaitGroup
		pongs.Add(30)
		var answered int
		c.ws.SetPingHandler(func(data string) error {
			if answered++; answered <= 30 {
				pongs.Done()
			}
			return c.ws.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(time.Second))
		})
		c.read()
		c.send(websocket.TextMessage, "alice")
		c.send(websocket.TextMessage, "pw")
		c.expect("authenticated")
		c.expect("early")
		pongs.Wait()
		conn, _ := s.gw.last()
		conn.Send(custom("still here"))
		c.expect("still here")
		if n := s.h.counters.FloodingClientCloses.Load(); n != 0 {
			t.Fatalf("%d flooding closes for answering pings", n)
		}
	})
}
