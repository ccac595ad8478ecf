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
	"github.com/notifypush/notify_push/internal/testenv/wstest"
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
	proc, cleanup, err := InitializeEmbedded(ctx, cfg, log, nil)
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

func dial(t *testing.T, addr, path string) *wstest.Client {
	t.Helper()
	return wstest.Dial(t, "ws://"+addr+path)
}

func login(t *testing.T, addr, user, password string) *wstest.Client {
	t.Helper()
	c := dial(t, addr, "/ws")
	c.Login(user, password)
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
	wrong.SendCredentials("alice", "nope")
	wrong.Expect("err: Invalid credentials")

	empty := dial(t, addr, "/ws")
	empty.SendCredentials("", "alice-pw")
	empty.Expect("err: Invalid credentials")

	binary := dial(t, addr, "/ws")
	binary.SendBinary([]byte("alice"))
	binary.Expect("err: Invalid authentication message") // refused at the first frame
}

func TestEmbeddedAuthTimeout(t *testing.T) {
	addr := embeddedServer(t, func(c *app.Config) { c.AuthTimeout = 300 * time.Millisecond })
	c := dial(t, addr, "/ws")
	c.Send("alice")
	c.Expect("Authentication timeout")
}

func TestEmbeddedConnectionLimit(t *testing.T) {
	addr := embeddedServer(t, nil)
	for range 64 {
		login(t, addr, "bob", "bob-pw")
	}
	c := dial(t, addr, "/ws")
	c.SendCredentials("bob", "bob-pw")
	c.Expect("err: Connection limit exceeded for user")
	login(t, addr, "alice", "alice-pw") // others are not limited
}

func TestEmbeddedEventsReachTheRightUsers(t *testing.T) {
	addr := embeddedServer(t, nil)
	alice := login(t, addr, "alice", "alice-pw")
	alice.Send("listen notify_file_id")
	bob := login(t, addr, "bob", "bob-pw")
	carol := login(t, addr, "carol", "carol-pw")
	time.Sleep(100 * time.Millisecond) // the listen frame is read asynchronously

	// Storage 10: alice at "", bob at files/Team, carol at files/Team/Design.
	if code := publish(t, addr, "notify_storage_update", `{"storage":10,"path":"files/Team/notes.md","file_id":42}`); code != http.StatusNoContent {
		t.Fatalf("publish status %d", code)
	}
	alice.Expect("notify_file_id [42]")
	bob.Expect("notify_file")
	carol.ExpectNothing(300 * time.Millisecond)

	publish(t, addr, "notify_activity", `{"user":"carol"}`)
	carol.Expect("notify_activity")
	publish(t, addr, "notify_notification", `{"user":"bob"}`)
	bob.Expect("notify_notification")
	publish(t, addr, "notify_custom", `{"user":"alice","message":"my_type"}`)
	alice.Expect("my_type")
	publish(t, addr, "notify_custom", `{"user":"alice","message":"my_type","body":{"a": [1, 2]}}`)
	alice.Expect(`my_type {"a":[1,2]}`)
	publish(t, addr, "notify_user_share_created", `{"user":"carol"}`)
	carol.Expect("notify_file")
	publish(t, addr, "notify_group_membership_update", `{"user":"alice","group":"team"}`)
	alice.Expect("notify_file")
	bob.ExpectNothing(300 * time.Millisecond)
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
	alice.Expect("notify_activity") // nothing above broke the bus
}

func TestEmbeddedPreAuthAndReset(t *testing.T) {
	addr := embeddedServer(t, nil)
	publish(t, addr, "notify_pre_auth", `{"user":"bob","token":"0123456789abcdef0123456789abcdef"}`)
	time.Sleep(100 * time.Millisecond)
	c := login(t, addr, "", "0123456789abcdef0123456789abcdef")
	publish(t, addr, "notify_activity", `{"user":"bob"}`)
	c.Expect("notify_activity")

	again := dial(t, addr, "/ws")
	again.SendCredentials("", "0123456789abcdef0123456789abcdef")
	again.Expect("err: Invalid credentials") // one use only

	publish(t, addr, "notify_signal", `"reset"`)
	c.ExpectClose(websocket.CloseServiceRestart)
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
