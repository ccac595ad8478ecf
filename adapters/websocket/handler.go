package websocket

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/gorilla/websocket"

	"github.com/notifypush/notify_push/adapters/websocket/fastpath"
	"github.com/notifypush/notify_push/domain"
	"github.com/notifypush/notify_push/ports"
)

// Handler serves the WebSocket endpoint and keeps its connections alive.
type Handler struct {
	app      ports.Logins
	opts     Options
	counters *domain.Counters
	log      *slog.Logger
	upgrader websocket.Upgrader

	// logins counts sockets upgraded but not yet logged in.
	logins atomic.Int64
	// poller watches idle connections; nil where there is none.
	poller *fastpath.Poller[*conn]
	// authLog and upgradeLog hold back repeats per client address.
	authLog, upgradeLog *domain.LogLimiter

	mu    sync.Mutex
	conns map[*conn]struct{}
}

var _ ports.Service = (*Handler)(nil)

// New makes the handler; mount it with Register and run its pinger with Run.
func New(logins ports.Logins, opts Options, counters *domain.Counters, log *slog.Logger) *Handler {
	opts = opts.withDefaults()
	return &Handler{
		poller:     newPoller(opts, log),
		authLog:    domain.NewLogLimiter(time.Minute, maxLogLinesPerSecond),
		upgradeLog: domain.NewLogLimiter(time.Minute, maxLogLinesPerSecond),
		app:        logins,
		opts:       opts,
		counters:   counters,
		log:        log.With(domain.TargetKey, domain.TargetConnection),
		upgrader: websocket.Upgrader{
			// Zero: gorilla then reads through the buffer that hijackWriter
			// hands it, which is small (clients send two short login frames
			// and a command; longer frames are read past it) and ours to poll.
			ReadBufferSize: 0,
			// Write buffers are borrowed while a frame is written, never held
			// by an idle connection.
			WriteBufferSize: 1024,
			WriteBufferPool: &sync.Pool{},
			// Clients are browsers on the Nextcloud origin and native apps:
			// credentials are sent in frames, never cookies, so any origin is fine.
			CheckOrigin: func(*http.Request) bool { return true },
		},
		conns: make(map[*conn]struct{}),
	}
}

// Register mounts the endpoint at /ws and at /push/ws, the path reverse
// proxies often keep.
func (h *Handler) Register(mux *http.ServeMux) {
	mux.Handle("/ws", h)
	mux.Handle("/push/ws", h)
}

// ServeHTTP upgrades and logs the client in on the request's goroutine, then
// hands the connection to the poller (or, where there is none, to a reader
// goroutine of its own) and returns, so that the HTTP server's per-request
// state and buffers are released while the connection idles.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if missing := missingUpgradeHeader(r); missing != "" {
		if ok, held := h.upgradeLog.Allow(hostOf(r.RemoteAddr), time.Now()); ok {
			h.log.Info("WebSocket upgrade refused: header "+missing+" missing. If a reverse proxy is in front, "+
				"it must forward the Upgrade and Connection headers (nginx: proxy_http_version 1.1; "+
				"proxy_set_header Upgrade $http_upgrade; proxy_set_header Connection \"upgrade\"; "+
				"see docs/deployment.md#reverse-proxy)",
				"remote", r.RemoteAddr, "path", r.URL.Path, "upgrade", r.Header.Get("Upgrade"),
				"connection", r.Header.Get("Connection"), "headers", headerNames(r.Header), "similar_refusals_not_logged", held)
		}
		http.Error(w, fmt.Sprintf("expected a WebSocket upgrade: missing header %q. "+
			"If a reverse proxy is in front of this server, it must forward the Upgrade and Connection headers.", missing),
			http.StatusBadRequest)
		return
	}
	if h.logins.Add(1) > int64(h.opts.MaxPendingLogins) {
		h.logins.Add(-1)
		w.Header().Set("Retry-After", "5")
		http.Error(w, "too many logins in progress, try again shortly", http.StatusServiceUnavailable)
		if ok, held := h.upgradeLog.Allow("too many logins", time.Now()); ok {
			h.log.Warn("WebSocket upgrades refused with 503: too many logins in progress", "limit", h.opts.MaxPendingLogins,
				"refusals_not_logged", held)
		}
		return
	}
	hw := &hijackWriter{ResponseWriter: w, bufferSize: h.opts.ReadBufferSize}
	ws, err := h.upgrader.Upgrade(hw, r, nil)
	if err != nil {
		h.logins.Add(-1)
		h.log.Debug("WebSocket upgrade failed", "remote", r.RemoteAddr, "err", err)
		return
	}
	ws.SetReadLimit(h.opts.ReadLimit)
	c := newConn(h, ws, hw.sock, domain.ClientKindOf(r.UserAgent()))
	ok := h.admit(c, forwardedFor(r))
	h.logins.Add(-1)
	if !ok {
		c.finish()
		return
	}
	h.startReading(c)
}

func missingUpgradeHeader(r *http.Request) string {
	if !headerHasToken(r.Header, "Upgrade", "websocket") {
		return "Upgrade: websocket"
	}
	if !headerHasToken(r.Header, "Connection", "upgrade") {
		return "Connection: Upgrade"
	}
	return ""
}

// headerNames lists the request's header names (never their values, which
// may hold credentials), to show what a proxy let through.
func headerNames(h http.Header) []string {
	names := make([]string, 0, len(h))
	for name := range h {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

func hostOf(addr string) string {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	return host
}

// logAuthFailure logs a failed login with the login name and the client's
// address, once a minute per address. A login longer than any Nextcloud user
// id is logged by its length only: it is most likely a password sent in the
// wrong frame (an app password has 72 characters), and even its start must
// not reach the log.
func (h *Handler) logAuthFailure(msg, login string, forwarded []string, err error) {
	client := clientOf(forwarded)
	ok, held := h.authLog.Allow(client, time.Now())
	if !ok {
		return
	}
	if len(login) > maxLoggedLogin {
		login = fmt.Sprintf("(%d bytes, not shown)", len(login))
	}
	h.log.Warn(msg, "login", login, "client", client, "err", err, "failures_not_logged", held)
}

// maxLogLinesPerSecond caps the lines about refused clients over all
// addresses, since a client can forge the forwarded address it is keyed by.
const maxLogLinesPerSecond = 20

// maxLoggedLogin: Nextcloud user ids are at most 64 bytes.
const maxLoggedLogin = 64

func headerHasToken(h http.Header, name, token string) bool {
	for _, v := range h.Values(name) {
		for _, part := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(part), token) {
				return true
			}
		}
	}
	return false
}

// forwardedFor is the chain the credential check forwards: the addresses of
// the request's own X-Forwarded-For, then the TCP peer. Entries that are not
// IP addresses are dropped so nothing else can be injected into the header.
func forwardedFor(r *http.Request) []string {
	var chain []string
	for _, v := range r.Header.Values("X-Forwarded-For") {
		for _, part := range strings.Split(v, ",") {
			if ip := net.ParseIP(strings.TrimSpace(part)); ip != nil {
				chain = append(chain, ip.String())
			}
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	if ip := net.ParseIP(host); ip != nil {
		chain = append(chain, ip.String())
	}
	return chain
}

// admit logs the connection in and attaches it to the hub. On failure it has
// told the client why, and the caller closes the socket.
func (h *Handler) admit(c *conn, forwarded []string) bool {
	deadline := time.Now().Add(h.opts.AuthTimeout)
	_ = c.ws.SetReadDeadline(deadline)
	// A client may ping while logging in, but not flood: each ping costs a
	// pong written back.
	pings := 0
	c.ws.SetPingHandler(func(data string) error {
		if pings++; pings > maxLoginPings {
			return errLoginPingFlood
		}
		return c.ws.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(h.opts.WriteTimeout))
	})

	user, err := h.login(c, deadline, forwarded)
	if err != nil {
		return false
	}
	session, err := h.app.Attach(user, c)
	if err != nil {
		h.refuse(c, domain.ErrPrefix+domain.AuthFailureText(err))
		h.counters.AuthFailed(domain.AuthFailureOf(err))
		h.logAuthFailure("login refused", string(user), forwarded, err)
		return false
	}
	c.session, c.user = session, user
	if err := c.write(domain.TextAuthenticated); err != nil {
		session.Close()
		c.session = nil
		return false
	}
	_ = c.ws.SetReadDeadline(time.Time{})
	c.ws.SetPingHandler(c.onPing)
	c.ws.SetPongHandler(c.onPong)
	c.connected = time.Now().UnixNano()
	if h.poller != nil {
		c.fd, c.polled = c.sock.FD()
	}
	h.track(c)
	c.start()
	// Upstream's line for each login, at info: what admins look for first.
	if h.log.Enabled(context.Background(), slog.LevelInfo) {
		h.log.Info("new websocket authenticated as "+string(user), "client", clientOf(forwarded), "kind", c.kind.String())
	}
	return true
}

// maxLoginPings bounds the pings a client may send before it has logged in.
const maxLoginPings = 4

var errLoginPingFlood = errors.New("too many pings before login")

var errLoginFailed = errors.New("login failed")

// login reads the two frames and checks them; on failure it has already told
// the client why.
func (h *Handler) login(c *conn, deadline time.Time, forwarded []string) (domain.UserID, error) {
	var frames [2]string
	for i := range frames {
		text, err := h.readAuthFrame(c)
		switch {
		case isTimeout(err):
			h.refuse(c, domain.TextAuthenticationTimeout)
			h.counters.AuthFailed(domain.AuthFailureTimeout)
			return "", errLoginFailed
		case errors.Is(err, domain.ErrInvalidAuthMessage):
			h.refuse(c, domain.ErrPrefix+domain.ErrInvalidAuthMessage.Error())
			h.counters.AuthFailed(domain.AuthFailureInvalidMessage)
			return "", errLoginFailed
		case err != nil:
			return "", err // gone, or a frame over the read limit (gorilla sent 1009)
		}
		frames[i] = text
	}
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	user, err := h.app.Check(ctx, frames[0], frames[1], forwarded)
	if err != nil {
		if ctx.Err() != nil {
			h.refuse(c, domain.TextAuthenticationTimeout)
			h.counters.AuthFailed(domain.AuthFailureTimeout)
		} else {
			h.refuse(c, domain.ErrPrefix+domain.AuthFailureText(err))
			h.counters.AuthFailed(domain.AuthFailureOf(err))
		}
		h.logAuthFailure("login failed", frames[0], forwarded, err)
		return "", errLoginFailed
	}
	return user, nil
}

func (h *Handler) readAuthFrame(c *conn) (string, error) {
	kind, data, err := c.ws.ReadMessage()
	if err != nil {
		return "", err
	}
	if kind != websocket.TextMessage || !utf8.Valid(data) {
		return "", domain.ErrInvalidAuthMessage
	}
	return strings.TrimSpace(string(data)), nil
}

// refuse sends one last text frame and a normal close.
func (h *Handler) refuse(c *conn, text string) {
	if err := c.write(text); err != nil {
		return
	}
	msg := websocket.FormatCloseMessage(websocket.CloseNormalClosure, "")
	_ = c.ws.WriteControl(websocket.CloseMessage, msg, time.Now().Add(time.Second))
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func clientOf(forwarded []string) string {
	if len(forwarded) == 0 {
		return ""
	}
	return forwarded[0]
}

func (h *Handler) track(c *conn) {
	h.mu.Lock()
	h.conns[c] = struct{}{}
	h.mu.Unlock()
	h.counters.ClientConnected(c.kind)
}

func (h *Handler) untrack(c *conn) {
	h.mu.Lock()
	delete(h.conns, c)
	h.mu.Unlock()
	h.counters.ClientDisconnected(c.kind)
}

// slowClientClosed counts and logs a connection closed because its client
// let custom messages pile up.
func (h *Handler) slowClientClosed() {
	h.counters.SlowClientCloses.Add(1)
	h.log.Info("closing a client that does not read its messages", "queued", h.opts.QueueLimit)
}

// snapshot copies the live connections into buf.
func (h *Handler) snapshot(buf []*conn) []*conn {
	h.mu.Lock()
	defer h.mu.Unlock()
	for c := range h.conns {
		buf = append(buf, c)
	}
	return buf
}

// Connections is the number of authenticated connections.
func (h *Handler) Connections() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.conns)
}

// CloseAll ends every authenticated connection with reason.
func (h *Handler) CloseAll(reason domain.CloseReason) {
	for _, c := range h.snapshot(nil) {
		c.Close(reason)
	}
}

// Run pings idle connections until ctx ends, then closes every connection
// as going away and waits (bounded) until their close frames are out.
func (h *Handler) Run(ctx context.Context) error {
	defer h.runPoller()()
	tick := min(max(h.opts.PingInterval/10, 10*time.Millisecond), time.Second)
	ticker := time.NewTicker(tick)
	defer ticker.Stop()
	var buf []*conn
	for {
		select {
		case <-ctx.Done():
			h.drain()
			return nil
		case now := <-ticker.C:
			buf = h.snapshot(buf[:0])
			nanos := now.UnixNano()
			for _, c := range buf {
				c.keepAlive(nanos)
			}
			clear(buf)
		}
	}
}

// drain closes every connection and waits until their readers have seen the
// sockets close, which happens once the close frames are out.
func (h *Handler) drain() {
	h.CloseAll(domain.CloseShutdown)
	deadline := time.Now().Add(h.opts.DrainTimeout)
	for h.Connections() > 0 {
		if time.Now().After(deadline) {
			h.log.Warn("shutdown: close frames not all delivered in time", "connections", h.Connections())
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}
