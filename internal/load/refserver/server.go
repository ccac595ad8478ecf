package refserver

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	goredis "github.com/redis/go-redis/v9"

	"github.com/notifypush/notify_push/domain"
	"github.com/notifypush/notify_push/internal/load/events"
	"github.com/notifypush/notify_push/internal/load/harness"
	"github.com/notifypush/notify_push/internal/load/world"
)

// refServer is the floor notify_push's memory per connection is compared
// with: the plain design, one goroutine per connection reading with 1 KiB
// gorilla buffers, a login of two frames answered "authenticated", nothing
// else. It pings like notify_push (one sweep over all connections, a ping
// after an interval without traffic) so that both do the same work at rest.
// Given a Redis, it also writes each update of the shared storage to the
// fan-out users connected, the floor of notify_push's fan-out latency.
type refServer struct {
	ping     time.Duration
	upgrader websocket.Upgrader
	// fanoutUsers: user0 … user(fanoutUsers-1) mount the shared storage.
	fanoutUsers int

	mu    sync.Mutex
	conns map[*refConn]struct{}
}

// refAuthTimeout bounds the login, as PROTOCOL §3 does for notify_push.
const refAuthTimeout = 15 * time.Second

type refConn struct {
	ws          *websocket.Conn
	lastSent    atomic.Int64
	pingPayload atomic.Uint32
	// fanout: the user mounts the shared storage. It fits in the padding
	// after pingPayload, so the connection costs what it did without it.
	fanout bool
}

// runRefServer is "loadgen refserver": it prints {"ws":…,"debug":…} once it
// listens and serves until ctx ends.
func runRefServer(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("loadgen refserver", flag.ContinueOnError)
	ping := fs.Duration("ping-interval", 30*time.Second, "ping a connection after this long without traffic")
	listen := fs.String("listen", "127.0.0.1:0", "WebSocket address (GET /ws)")
	debugListen := fs.String("debug-listen", "127.0.0.1:0", "address of POST /debug/gc and GET /debug/runtime")
	redisAddr := fs.String("redis", "", "Redis host:port to read notify_storage_update from: an update of the shared storage\n"+
		"is written to every fan-out user connected (none: no fan-out)")
	fanoutUsers := fs.Int("fanout-users", 0, "users user0 … user(N-1) mount the shared storage")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *ping <= 0 {
		return fmt.Errorf("--ping-interval %v: want a positive duration", *ping)
	}
	if *fanoutUsers < 0 {
		return fmt.Errorf("--fanout-users %d: want ≥ 0", *fanoutUsers)
	}
	s := &refServer{ping: *ping, fanoutUsers: *fanoutUsers, conns: map[*refConn]struct{}{},
		upgrader: websocket.Upgrader{ReadBufferSize: 1024, WriteBufferSize: 1024,
			CheckOrigin: func(*http.Request) bool { return true }}}
	wsLn, err := net.Listen("tcp", *listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", *listen, err)
	}
	debugLn, err := net.Listen("tcp", *debugListen)
	if err != nil {
		wsLn.Close()
		return fmt.Errorf("listen on %s: %w", *debugListen, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/ws", s.serve)
	debugMux := http.NewServeMux()
	harness.DebugRoutes(debugMux)
	wsSrv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	debugSrv := &http.Server{Handler: debugMux, ReadHeaderTimeout: 10 * time.Second}

	errs := make(chan error, 3)
	if *redisAddr != "" {
		// Subscribed before saying where it listens: once the orchestrator
		// reads the line, no update is missed.
		updates, stop, err := subscribe(ctx, *redisAddr)
		if err != nil {
			wsLn.Close()
			debugLn.Close()
			return err
		}
		defer stop()
		go func() { errs <- s.fanOut(updates) }()
	}
	line, _ := json.Marshal(harness.RefAddresses{WS: wsLn.Addr().String(), Debug: debugLn.Addr().String()})
	if _, err := fmt.Fprintf(stdout, "%s\n", line); err != nil {
		wsLn.Close()
		debugLn.Close()
		return err
	}
	go func() { errs <- wsSrv.Serve(wsLn) }()
	go func() { errs <- debugSrv.Serve(debugLn) }()
	tick := time.NewTicker(harness.PingTick(*ping))
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			_ = wsSrv.Close() // hijacked connections are ours to close
			_ = debugSrv.Close()
			s.closeAll()
			return nil
		case err := <-errs:
			if !errors.Is(err, http.ErrServerClosed) {
				return err
			}
		case now := <-tick.C:
			s.keepAlive(now)
		}
	}
}

// serve logs a client in and reads until it leaves.
func (s *refServer) serve(w http.ResponseWriter, r *http.Request) {
	ws, err := s.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	defer ws.Close()
	_ = ws.SetReadDeadline(time.Now().Add(refAuthTimeout))
	_, login, err := ws.ReadMessage()
	if err != nil {
		return
	}
	if _, _, err := ws.ReadMessage(); err != nil {
		return
	}
	_ = ws.SetReadDeadline(time.Time{})
	u := world.UserOf(string(login))
	c := &refConn{ws: ws, fanout: u >= 0 && u < s.fanoutUsers}
	c.lastSent.Store(time.Now().UnixNano())
	ws.SetPongHandler(func(data string) error {
		if want := c.pingPayload.Load(); want != 0 && len(data) == 4 && binary.BigEndian.Uint32([]byte(data)) == want {
			c.pingPayload.Store(0)
		}
		return nil
	})
	// Registered as it is told "authenticated", under the lock a broadcast
	// takes its list under: a client that has read the answer gets every
	// update published after, and no broadcast writes beside the answer.
	_ = ws.SetWriteDeadline(time.Now().Add(refAuthTimeout))
	s.mu.Lock()
	err = ws.WriteMessage(websocket.TextMessage, []byte(domain.TextAuthenticated))
	if err == nil {
		s.conns[c] = struct{}{}
	}
	s.mu.Unlock()
	if err != nil {
		return
	}
	defer func() {
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
	}()
	for {
		if _, _, err := ws.ReadMessage(); err != nil {
			return
		}
	}
}

// keepAlive pings connections idle for the interval and closes those whose
// last ping went unanswered, as notify_push does.
func (s *refServer) keepAlive(now time.Time) {
	s.mu.Lock()
	conns := make([]*refConn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	for _, c := range conns {
		if now.UnixNano()-c.lastSent.Load() < int64(s.ping) {
			continue
		}
		if c.pingPayload.Load() != 0 {
			_ = c.ws.Close()
			continue
		}
		payload := rand.Uint32N(1<<32-1) + 1
		c.pingPayload.Store(payload)
		c.lastSent.Store(now.UnixNano())
		var b [4]byte
		binary.BigEndian.PutUint32(b[:], payload)
		if err := c.ws.WriteControl(websocket.PingMessage, b[:], now.Add(10*time.Second)); err != nil {
			_ = c.ws.Close()
		}
	}
}

// subscribe reads notify_storage_update from the Redis at addr; stop ends it.
func subscribe(ctx context.Context, addr string) (<-chan *goredis.Message, func(), error) {
	client := goredis.NewClient(&goredis.Options{Addr: addr})
	ps := client.Subscribe(ctx, domain.ChannelStorageUpdate)
	if _, err := ps.Receive(ctx); err != nil {
		_ = ps.Close()
		_ = client.Close()
		return nil, nil, fmt.Errorf("subscribe to %s on %s: %w", domain.ChannelStorageUpdate, addr, err)
	}
	return ps.Channel(), func() { _ = ps.Close(); _ = client.Close() }, nil
}

// fanOut writes every update of the shared storage to the fan-out users
// connected, as notify_file_id [<file id>], until updates closes.
func (s *refServer) fanOut(updates <-chan *goredis.Message) error {
	for m := range updates {
		var u struct {
			Storage uint32 `json:"storage"`
			FileID  uint64 `json:"file_id"`
		}
		if json.Unmarshal([]byte(m.Payload), &u) != nil || u.Storage != world.SharedStorage {
			continue
		}
		s.broadcast([]byte(events.FileIDPrefix + strconv.FormatUint(u.FileID, 10) + "]"))
	}
	return nil
}

// broadcast writes text to every fan-out connection the plain way: the
// connections split over one goroutine per CPU, each writing its share
// in turn with gorilla's WriteMessage under a write deadline.
func (s *refServer) broadcast(text []byte) {
	s.mu.Lock()
	conns := make([]*refConn, 0, len(s.conns))
	for c := range s.conns {
		if c.fanout {
			conns = append(conns, c)
		}
	}
	s.mu.Unlock()
	parts := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	for p := range parts {
		wg.Go(func() {
			for i := p; i < len(conns); i += parts {
				c := conns[i]
				now := time.Now()
				c.lastSent.Store(now.UnixNano())
				_ = c.ws.SetWriteDeadline(now.Add(10 * time.Second))
				if err := c.ws.WriteMessage(websocket.TextMessage, text); err != nil {
					_ = c.ws.Close()
				}
			}
		})
	}
	wg.Wait()
}

func (s *refServer) closeAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		_ = c.ws.Close()
	}
}

// Main is "loadgen refserver".
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if _, err := harness.RaiseFileLimit(); err != nil {
		fmt.Fprintf(stderr, "loadgen refserver: %v\n", err)
		return 1
	}
	if err := runRefServer(ctx, args, stdout); err != nil {
		fmt.Fprintf(stderr, "loadgen refserver: %v\n", err)
		return 1
	}
	return 0
}
