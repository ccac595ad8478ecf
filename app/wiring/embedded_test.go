package wiring

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/notifypush/notify_push/app"
)

// embeddedServer boots the embedded injector the way main does, on a free
// loopback port, and stops it at the end of the test.
func embeddedServer(t *testing.T, mutate func(*app.Config)) string {
	t.Helper()
	cfg := app.Config{
		Embedded:       true,
		DataDir:        t.TempDir(),
		DatabasePrefix: "oc_",
		Bind:           "127.0.0.1",
		Port:           0,
		LogLevel:       "warn",
		EmbeddedUsers: []app.StaticUser{
			{Login: "alice", UID: "alice", Password: "alice-pw"},
			{Login: "alice@example.com", UID: "alice", Password: "alice-pw"},
			{Login: "bob", UID: "bob", Password: "bob-pw"},
			{Login: "carol", UID: "carol", Password: "carol-pw"},
		},
		DebounceDisable: true,
	}
	if mutate != nil {
		mutate(&cfg)
	}
	level := new(slog.LevelVar)
	level.Set(slog.LevelWarn)
	log := slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: level}))
	ctx, cancel := context.WithCancel(context.Background())
	proc, cleanup, err := InitializeEmbedded(ctx, cfg, log, level)
	if err != nil {
		cancel()
		t.Fatalf("InitializeEmbedded: %v", err)
	}
	return runProcess(t, ctx, cancel, proc, cleanup, 10*time.Second)
}

// runProcess runs an assembled server until the test ends (stopping within
// stopWithin), and returns its address once it listens.
func runProcess(t *testing.T, ctx context.Context, cancel context.CancelFunc, proc *Process, cleanup func(), stopWithin time.Duration) string {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- proc.Daemon.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("daemon: %v", err)
			}
		case <-time.After(stopWithin):
			t.Errorf("daemon did not stop within %v", stopWithin)
		}
		cleanup()
	})
	select {
	case <-proc.HTTP.Ready():
	case err := <-done:
		t.Fatalf("daemon stopped before listening: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("not listening after 10 s")
	}
	return proc.HTTP.Addr().String()
}

type client struct {
	t    *testing.T
	conn *websocket.Conn
	msgs chan string
	err  chan error
}

func dial(t *testing.T, addr, path string) *client {
	t.Helper()
	conn, _, err := websocket.DefaultDialer.Dial("ws://"+addr+path, nil)
	if err != nil {
		t.Fatalf("dial %s: %v", path, err)
	}
	c := &client{t: t, conn: conn, msgs: make(chan string, 256), err: make(chan error, 1)}
	// One reader per client: gorilla connections are unusable after a read
	// deadline expires, so waiting for "nothing" must not touch the socket.
	go func() {
		for {
			_, msg, err := conn.ReadMessage()
			if err != nil {
				c.err <- err
				close(c.msgs)
				return
			}
			c.msgs <- string(msg)
		}
	}()
	t.Cleanup(func() { _ = conn.Close() })
	return c
}

func (c *client) send(text string) {
	c.t.Helper()
	if err := c.conn.WriteMessage(websocket.TextMessage, []byte(text)); err != nil {
		c.t.Fatalf("send %q: %v", text, err)
	}
}

// next waits for one text message; ok is false when the connection ended or
// nothing came within timeout.
func (c *client) next(timeout time.Duration) (string, bool) {
	select {
	case msg, ok := <-c.msgs:
		return msg, ok
	case <-time.After(timeout):
		return "", false
	}
}

func (c *client) expect(want string) {
	c.t.Helper()
	got, ok := c.next(5 * time.Second)
	if !ok || got != want {
		c.t.Fatalf("got %q (open: %v), want %q", got, ok, want)
	}
}

// expectNothing asserts that no message arrives for a while.
func (c *client) expectNothing() {
	c.t.Helper()
	if got, ok := c.next(300 * time.Millisecond); ok {
		c.t.Fatalf("unexpected message %q", got)
	}
}

// expectClosed waits for the server to end the connection and returns the
// close error.
func (c *client) expectClosed() error {
	c.t.Helper()
	for {
		select {
		case _, ok := <-c.msgs:
			if !ok {
				return <-c.err
			}
		case <-time.After(5 * time.Second):
			c.t.Fatal("connection still open")
			return nil
		}
	}
}

func login(t *testing.T, addr, user, password string) *client {
	t.Helper()
	c := dial(t, addr, "/ws")
	c.send(user)
	c.send(password)
	c.expect("authenticated")
	return c
}

func publish(t *testing.T, addr, channel, payload string) int {
	t.Helper()
	resp, err := http.Post("http://"+addr+"/embedded/publish/"+channel, "application/json", strings.NewReader(payload))
	if err != nil {
		t.Fatalf("publish: %v", err)
	}
	_ = resp.Body.Close()
	return resp.StatusCode
}

func TestEmbeddedLogin(t *testing.T) {
	addr := embeddedServer(t, nil)
	login(t, addr, "alice", "alice-pw")
	login(t, addr, "  alice@example.com \n", " alice-pw ") // trimmed; alternate login

	wrong := dial(t, addr, "/push/ws")
	wrong.send("alice")
	wrong.send("nope")
	wrong.expect("err: Invalid credentials")

	empty := dial(t, addr, "/ws")
	empty.send("")
	empty.send("alice-pw")
	empty.expect("err: Invalid credentials")

	binary := dial(t, addr, "/ws")
	if err := binary.conn.WriteMessage(websocket.BinaryMessage, []byte("alice")); err != nil {
		t.Fatal(err)
	}
	binary.expect("err: Invalid authentication message") // refused at the first frame
}

func TestEmbeddedAuthTimeout(t *testing.T) {
	addr := embeddedServer(t, func(c *app.Config) { c.AuthTimeout = 300 * time.Millisecond })
	c := dial(t, addr, "/ws")
	c.send("alice")
	c.expect("Authentication timeout")
}

func TestEmbeddedConnectionLimit(t *testing.T) {
	addr := embeddedServer(t, nil)
	for range 64 {
		login(t, addr, "bob", "bob-pw")
	}
	c := dial(t, addr, "/ws")
	c.send("bob")
	c.send("bob-pw")
	c.expect("err: Connection limit exceeded for user")
	login(t, addr, "alice", "alice-pw") // others are not limited
}

func TestEmbeddedEventsReachTheRightUsers(t *testing.T) {
	addr := embeddedServer(t, nil)
	alice := login(t, addr, "alice", "alice-pw")
	alice.send("listen notify_file_id")
	bob := login(t, addr, "bob", "bob-pw")
	carol := login(t, addr, "carol", "carol-pw")
	time.Sleep(100 * time.Millisecond) // the listen frame is read asynchronously

	// Storage 10: alice at "", bob at files/Team, carol at files/Team/Design.
	if code := publish(t, addr, "notify_storage_update", `{"storage":10,"path":"files/Team/notes.md","file_id":42}`); code != http.StatusNoContent {
		t.Fatalf("publish status %d", code)
	}
	alice.expect("notify_file_id [42]")
	bob.expect("notify_file")
	carol.expectNothing()

	publish(t, addr, "notify_activity", `{"user":"carol"}`)
	carol.expect("notify_activity")
	publish(t, addr, "notify_notification", `{"user":"bob"}`)
	bob.expect("notify_notification")
	publish(t, addr, "notify_custom", `{"user":"alice","message":"my_type"}`)
	alice.expect("my_type")
	publish(t, addr, "notify_custom", `{"user":"alice","message":"my_type","body":{"a": [1, 2]}}`)
	alice.expect(`my_type {"a":[1,2]}`)
	publish(t, addr, "notify_user_share_created", `{"user":"carol"}`)
	carol.expect("notify_file")
	publish(t, addr, "notify_group_membership_update", `{"user":"alice","group":"team"}`)
	alice.expect("notify_file")
	bob.expectNothing()
}

func TestEmbeddedPublishRejectsBadInput(t *testing.T) {
	addr := embeddedServer(t, nil)
	alice := login(t, addr, "alice", "alice-pw")
	for _, tc := range []struct {
		channel, payload string
		status           int
	}{
		{"notify_activity", `{"user":`, http.StatusBadRequest},
		{"notify_storage_update", `{"storage":-1,"path":"","file_id":1}`, http.StatusBadRequest},
		{"notify_nonsense", `{}`, http.StatusNotFound},
	} {
		if got := publish(t, addr, tc.channel, tc.payload); got != tc.status {
			t.Errorf("%s %s: status %d, want %d", tc.channel, tc.payload, got, tc.status)
		}
	}
	publish(t, addr, "notify_activity", `{"user":"alice"}`)
	alice.expect("notify_activity") // nothing above broke the bus
}

func TestEmbeddedPreAuthAndReset(t *testing.T) {
	addr := embeddedServer(t, nil)
	publish(t, addr, "notify_pre_auth", `{"user":"bob","token":"0123456789abcdef0123456789abcdef"}`)
	time.Sleep(100 * time.Millisecond)
	c := login(t, addr, "", "0123456789abcdef0123456789abcdef")
	publish(t, addr, "notify_activity", `{"user":"bob"}`)
	c.expect("notify_activity")

	again := dial(t, addr, "/ws")
	again.send("")
	again.send("0123456789abcdef0123456789abcdef")
	again.expect("err: Invalid credentials") // one use only

	publish(t, addr, "notify_signal", `"reset"`)
	if err := c.expectClosed(); !websocket.IsCloseError(err, websocket.CloseServiceRestart) {
		t.Fatalf("reset closed with %v, want 1012 service restart", err)
	}
}

func TestEmbeddedMetricsOnUnixSocket(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "metrics.sock") // about 80 bytes: within a socket path's 108
	addr := embeddedServer(t, func(c *app.Config) { c.MetricsSocketPath = sock })
	login(t, addr, "alice", "alice-pw")
	publish(t, addr, "notify_activity", `{"user":"alice"}`)

	client := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", sock)
	}}}
	deadline := time.Now().Add(5 * time.Second)
	for {
		resp, err := client.Get("http://metrics/metrics")
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if strings.Contains(string(body), "\nactive_connection_count 1\n") &&
				strings.Contains(string(body), `message_count_total{type="activity"} 1`) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("metrics:\n%s", body)
			}
		} else if time.Now().After(deadline) {
			t.Fatalf("metrics socket: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
