package wiring

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/notifypush/notify_push/adapters/gormdb"
	"github.com/notifypush/notify_push/app"
	"github.com/notifypush/notify_push/internal/testenv"
)

// stormNextcloud answers the uid route like Nextcloud, slowly, and records
// how many checks it served at once and per login. The password of login L
// is "pw-L" and its uid is L.
type stormNextcloud struct {
	*httptest.Server
	latency time.Duration

	inFlight, maxInFlight atomic.Int64
	mu                    sync.Mutex
	perLogin              map[string]int
}

func newStormNextcloud(t *testing.T, latency time.Duration) *stormNextcloud {
	t.Helper()
	nc := &stormNextcloud{latency: latency, perLogin: make(map[string]int)}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /index.php/apps/notify_push/uid", nc.uid)
	mux.HandleFunc("GET /index.php/apps/notify_push/test/version", func(http.ResponseWriter, *http.Request) {})
	nc.Server = httptest.NewServer(mux)
	t.Cleanup(nc.Close)
	return nc
}

func (nc *stormNextcloud) uid(w http.ResponseWriter, r *http.Request) {
	n := nc.inFlight.Add(1)
	defer nc.inFlight.Add(-1)
	for m := nc.maxInFlight.Load(); n > m && !nc.maxInFlight.CompareAndSwap(m, n); m = nc.maxInFlight.Load() {
	}
	login, password, _ := r.BasicAuth()
	nc.mu.Lock()
	nc.perLogin[login]++
	nc.mu.Unlock()
	time.Sleep(nc.latency)
	if password != "pw-"+login {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	_, _ = io.WriteString(w, login)
}

func (nc *stormNextcloud) requests() (total int, perLogin map[string]int) {
	nc.mu.Lock()
	defer nc.mu.Unlock()
	perLogin = make(map[string]int, len(nc.perLogin))
	for l, n := range nc.perLogin {
		perLogin[l] = n
		total += n
	}
	return total, perLogin
}

// productionServer boots the production injector the way main does, against
// a private Redis, an SQLite database and nc.
func productionServer(t *testing.T, ncURL string, mutate func(*app.Config)) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	redis := testenv.StartRedis(t)
	dbPath := filepath.Join(t.TempDir(), "nextcloud.db")
	db, closeDB, err := gormdb.Open(ctx, "sqlite://"+dbPath, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := gormdb.CreateNextcloudSchema(ctx, db, "oc_"); err != nil {
		t.Fatal(err)
	}
	closeDB()
	cfg := app.Config{
		DatabaseURL:    "sqlite://" + dbPath,
		DatabasePrefix: "oc_",
		RedisURLs:      []string{"redis://" + redis.Addr},
		NextcloudURL:   ncURL,
		Bind:           "127.0.0.1",
		LogLevel:       "warn",
	}
	if mutate != nil {
		mutate(&cfg)
	}
	level := new(slog.LevelVar)
	level.Set(slog.LevelError)
	log := slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: level}))
	proc, cleanup, err := InitializeProduction(ctx, cfg, log, nil)
	if err != nil {
		cancel()
		t.Fatalf("InitializeProduction: %v", err)
	}
	return runProcess(t, ctx, cancel, proc, cleanup, 20*time.Second)
}

type stormLogin struct{ login, password string }

// storm logs every credential in through at most workers sockets at once,
// closing each as soon as it has its answer, and counts the first answers
// (or the client-side error) per kind of credential: "right" when the
// password is pw-<login>, else "wrong".
func storm(ctx context.Context, addr string, logins []stormLogin, workers int) map[string]map[string]int {
	var mu sync.Mutex
	answers := map[string]map[string]int{"right": {}, "wrong": {}}
	work := make(chan stormLogin)
	var wg sync.WaitGroup
	dialer := &websocket.Dialer{HandshakeTimeout: 20 * time.Second}
	for i := range workers {
		// Each worker is a client of its own behind the reverse proxy on
		// loopback: a storm from one address is what the per-address
		// quotas refuse, and these tests are about the global bounds.
		client := http.Header{"X-Forwarded-For": {fmt.Sprintf("10.0.%d.%d", i/256, i%256)}}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for l := range work {
				answer := loginOnce(ctx, dialer, addr, l, client)
				kind := "wrong"
				if l.password == "pw-"+l.login {
					kind = "right"
				}
				mu.Lock()
				answers[kind][answer]++
				mu.Unlock()
			}
		}()
	}
	for _, l := range logins {
		select {
		case work <- l:
		case <-ctx.Done():
		}
	}
	close(work)
	wg.Wait()
	return answers
}

func loginOnce(ctx context.Context, dialer *websocket.Dialer, addr string, l stormLogin, header http.Header) string {
	if ctx.Err() != nil {
		return "test deadline passed"
	}
	ws, _, err := dialer.DialContext(ctx, "ws://"+addr+"/ws", header)
	if err != nil {
		return "dial: " + err.Error()
	}
	defer ws.Close()
	_ = ws.SetReadDeadline(time.Now().Add(30 * time.Second))
	if err := ws.WriteMessage(websocket.TextMessage, []byte(l.login)); err != nil {
		return "send: " + err.Error()
	}
	if err := ws.WriteMessage(websocket.TextMessage, []byte(l.password)); err != nil {
		return "send: " + err.Error()
	}
	_, msg, err := ws.ReadMessage()
	if err != nil {
		return "read: " + err.Error()
	}
	return string(msg)
}

// TestLoginStormIsBounded: 10,000 logins, half of them wrong, through the
// production wiring. Nextcloud never sees more checks at once than
// AUTH_CONCURRENCY, and every client gets a protocol answer.
func TestLoginStormIsBounded(t *testing.T) {
	const concurrency = 16
	nc := newStormNextcloud(t, 2*time.Millisecond)
	addr := productionServer(t, nc.URL, func(c *app.Config) {
		c.AuthConcurrency = concurrency
		// A short queue: under -race on a loaded machine each check can
		// take a few hundred milliseconds, and a queued login must still
		// be answered well within the 15 s login deadline.
		c.AuthQueue = 64
		c.AuthCacheTTL = time.Minute
	})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	var logins []stormLogin
	for i := range 10_000 {
		user := fmt.Sprintf("user%d", i%1000)
		if i%2 == 0 {
			logins = append(logins, stormLogin{user, "pw-" + user})
		} else {
			logins = append(logins, stormLogin{user, fmt.Sprintf("guess-%d", i)})
		}
	}
	start := time.Now()
	answers := storm(ctx, addr, logins, 1000)
	elapsed := time.Since(start)
	total, _ := nc.requests()
	t.Logf("10,000 logins in %v; Nextcloud served %d checks, at most %d at once; answers: %v",
		elapsed.Round(time.Millisecond), total, nc.maxInFlight.Load(), answers)

	if got := nc.maxInFlight.Load(); got > concurrency {
		t.Errorf("Nextcloud saw %d checks at once, over AUTH_CONCURRENCY=%d", got, concurrency)
	}
	const tooMany = "err: Too many concurrent logins, try again later"
	for answer := range answers["right"] {
		if answer != "authenticated" && answer != tooMany {
			t.Errorf("right password answered %q", answer)
		}
	}
	for answer := range answers["wrong"] {
		if answer != "err: Invalid credentials" && answer != tooMany {
			t.Errorf("wrong password answered %q", answer)
		}
	}
	if answers["right"]["authenticated"] == 0 || answers["wrong"]["err: Invalid credentials"] == 0 {
		t.Error("the storm let no login through")
	}
	// Every wrong password that was not refused reached Nextcloud: failures
	// are never answered from the cache.
	if total < answers["wrong"]["err: Invalid credentials"] {
		t.Errorf("%d checks served for %d wrong passwords refused by Nextcloud", total, answers["wrong"]["err: Invalid credentials"])
	}
}

// TestReconnectStormChecksEachUserOnce: after a restart every client of 100
// users reconnects at once (40 connections each). With the default settings
// Nextcloud gets one check per user: identical checks are coalesced while in
// flight and answered from the cache afterwards.
func TestReconnectStormChecksEachUserOnce(t *testing.T) {
	nc := newStormNextcloud(t, 20*time.Millisecond)
	addr := productionServer(t, nc.URL, func(c *app.Config) { c.AuthCacheTTL = app.DefaultAuthCacheTTL })
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	var logins []stormLogin
	for i := range 4000 {
		user := fmt.Sprintf("user%d", i%100)
		logins = append(logins, stormLogin{user, "pw-" + user})
	}
	start := time.Now()
	answers := storm(ctx, addr, logins, 2000)
	total, perLogin := nc.requests()
	t.Logf("4,000 reconnects of 100 users in %v; Nextcloud served %d checks; answers: %v",
		time.Since(start).Round(time.Millisecond), total, answers["right"])

	if answers["right"]["authenticated"] != 4000 {
		t.Fatalf("answers %v, want 4000 authenticated", answers["right"])
	}
	if len(perLogin) != 100 || total != 100 {
		t.Fatalf("Nextcloud served %d checks for %d logins, want 100 for 100", total, len(perLogin))
	}
	for l, n := range perLogin {
		if n != 1 {
			t.Fatalf("%s checked %d times", l, n)
		}
	}
}
