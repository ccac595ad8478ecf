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
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/notifypush/notify_push/domain"
	"github.com/notifypush/notify_push/internal/load/harness"
)

// refServer is the floor notify_push's memory per connection is compared
// with: the plain design, one goroutine per connection reading with 1 KiB
// gorilla buffers, a login of two frames answered "authenticated", nothing
// else. It pings like notify_push (one sweep over all connections, a ping
// after an interval without traffic) so that both do the same work at rest.
type refServer struct {
	ping     time.Duration
	upgrader websocket.Upgrader

	mu    sync.Mutex
	conns map[*refConn]struct{}
}

// refAuthTimeout bounds the login, as PROTOCOL §3 does for notify_push.
const refAuthTimeout = 15 * time.Second

type refConn struct {
	ws          *websocket.Conn
	lastSent    atomic.Int64
	pingPayload atomic.Uint32
}

// runRefServer is "loadgen refserver": it prints {"ws":…,"debug":…} once it
// listens and serves until ctx ends.
func runRefServer(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("loadgen refserver", flag.ContinueOnError)
	ping := fs.Duration("ping-interval", 30*time.Second, "ping a connection after this long without traffic")
	listen := fs.String("listen", "127.0.0.1:0", "WebSocket address (GET /ws)")
	debugListen := fs.String("debug-listen", "127.0.0.1:0", "address of POST /debug/gc and GET /debug/runtime")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *ping <= 0 {
		return fmt.Errorf("--ping-interval %v: want a positive duration", *ping)
	}
	s := &refServer{ping: *ping, conns: map[*refConn]struct{}{},
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

	line, _ := json.Marshal(harness.RefAddresses{WS: wsLn.Addr().String(), Debug: debugLn.Addr().String()})
	if _, err := fmt.Fprintf(stdout, "%s\n", line); err != nil {
		return err
	}
	errs := make(chan error, 2)
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
	for range 2 {
		if _, _, err := ws.ReadMessage(); err != nil {
			return
		}
	}
	if err := ws.WriteMessage(websocket.TextMessage, []byte(domain.TextAuthenticated)); err != nil {
		return
	}
	_ = ws.SetReadDeadline(time.Time{})
	c := &refConn{ws: ws}
	c.lastSent.Store(time.Now().UnixNano())
	ws.SetPongHandler(func(data string) error {
		if want := c.pingPayload.Load(); want != 0 && len(data) == 4 && binary.BigEndian.Uint32([]byte(data)) == want {
			c.pingPayload.Store(0)
		}
		return nil
	})
	s.mu.Lock()
	s.conns[c] = struct{}{}
	s.mu.Unlock()
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
