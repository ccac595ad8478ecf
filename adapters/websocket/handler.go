package websocket

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
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
	// sockets is what every connection's socket shares.
	sockets *fastpath.Shared

	// logins counts sockets upgraded but not yet logged in; quota what each
	// client address holds of them and of the credential checks.
	logins atomic.Int64
	quota  *addressQuota
	// pollers watch idle connections; none where there is no poller.
	pollers    []*fastpath.Poller[*conn]
	nextPoller atomic.Uint32
	// authLog and upgradeLog hold back repeats per client address, floodLog
	// per user, proxyLog per peer.
	authLog, upgradeLog, floodLog, proxyLog *domain.LogLimiter

	mu sync.Mutex
	// conns are the logged-in connections, each at its index conn.slot: a
	// slot of 8 bytes each, where a map took about 30.
	conns []*conn
}

var _ ports.Service = (*Handler)(nil)

// New makes the handler; mount it with Register and run its pinger with Run.
func New(logins ports.Logins, opts Options, counters *domain.Counters, log *slog.Logger) *Handler {
	opts = opts.withDefaults()
	return &Handler{
		pollers:    newPollers(opts, log),
		quota:      newAddressQuota(),
		authLog:    domain.NewLogLimiter(time.Minute, maxLogLinesPerSecond),
		upgradeLog: domain.NewLogLimiter(time.Minute, maxLogLinesPerSecond),
		floodLog:   domain.NewLogLimiter(time.Minute, maxLogLinesPerSecond),
		proxyLog:   domain.NewLogLimiter(time.Hour, maxLogLinesPerSecond),
		app:        logins,
		opts:       opts,
		counters:   counters,
		log:        log.With(domain.TargetKey, domain.TargetConnection),
		upgrader: websocket.Upgrader{
			// Zero: gorilla then reads the login through the buffer that
			// hijackWriter hands it, which is small (clients send two short
			// login frames and a command) and the fast path's after the login.
			ReadBufferSize: 0,
			// Gorilla writes only the control frames of the login; with a
			// pool it never keeps a write buffer (nor the HTTP server's).
			WriteBufferSize: 1024,
			WriteBufferPool: &sync.Pool{},
			// Clients are browsers on the Nextcloud origin and native apps:
			// credentials are sent in frames, never cookies, so any origin is fine.
			CheckOrigin: func(*http.Request) bool { return true },
		},
		sockets: &fastpath.Shared{BufferSize: opts.ReadBufferSize, MessageLimit: opts.ReadLimit, TextLimit: maxCommandLength},
	}
}

// maxCommandLength: "listen notify_file_id" is the only command; a longer
// text message cannot be it, even with some whitespace around.
const maxCommandLength = 64

// Register mounts the endpoint at /ws and at /push/ws, the path reverse
// proxies often keep.
func (h *Handler) Register(mux *http.ServeMux) {
	mux.Handle("/ws", h)
	mux.Handle("/push/ws", h)
}

// ServeHTTP upgrades and logs the client in on the request's goroutine, then
// hands the connection to a poller (or, where there is none, to a reader
// goroutine of its own) and returns, so that the HTTP server's per-request
// state and buffers are released while the connection idles.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	from := h.originOf(r)
	if missing := missingUpgradeHeader(r); missing != "" {
		if ok, held := h.upgradeLog.Allow(from.key, time.Now()); ok {
			h.log.Info("WebSocket upgrade refused: header "+missing+" missing. If a reverse proxy is in front, "+
				"it must forward the Upgrade and Connection headers (nginx: proxy_http_version 1.1; "+
				"proxy_set_header Upgrade $http_upgrade; proxy_set_header Connection \"upgrade\"; "+
				"see docs/deployment.md#reverse-proxy)",
				"client", from.client, "path", r.URL.Path, "upgrade", r.Header.Get("Upgrade"),
				"connection", r.Header.Get("Connection"), "headers", headerNames(r.Header), "similar_refusals_not_logged", held)
		}
		http.Error(w, fmt.Sprintf("expected a WebSocket upgrade: missing header %q. "+
			"If a reverse proxy is in front of this server, it must forward the Upgrade and Connection headers.", missing),
			http.StatusBadRequest)
		return
	}
	if !h.quota.take(from.key, quotaPending, h.opts.MaxPendingPerAddress) {
		h.refuseUpgrade(w, "too many logins in progress from this address, try again shortly")
		if ok, held := h.upgradeLog.Allow(from.key, time.Now()); ok {
			h.log.Warn("WebSocket upgrades refused with 503: too many logins in progress from one address "+
				"(MAX_PENDING_LOGINS_PER_ADDRESS)", "client", from.client, "limit", h.opts.MaxPendingPerAddress,
				"refusals_not_logged", held)
		}
		return
	}
	defer h.quota.give(from.key, quotaPending)
	if h.logins.Add(1) > int64(h.opts.MaxPendingLogins) {
		h.logins.Add(-1)
		h.refuseUpgrade(w, "too many logins in progress, try again shortly")
		if ok, held := h.upgradeLog.Allow("too many logins", time.Now()); ok {
			h.log.Warn("WebSocket upgrades refused with 503: too many logins in progress", "limit", h.opts.MaxPendingLogins,
				"refusals_not_logged", held)
		}
		return
	}
	defer h.logins.Add(-1)
	hw := &hijackWriter{ResponseWriter: w, sockets: h.sockets}
	ws, err := h.upgrader.Upgrade(hw, r, nil)
	if err != nil {
		h.log.Debug("WebSocket upgrade failed", "client", from.client, "err", err)
		return
	}
	ws.SetReadLimit(h.opts.ReadLimit)
	c := newConn(h, hw.sock, domain.ClientKindOf(r.UserAgent()))
	if !h.admit(c, ws, from) {
		c.finish()
		return
	}
	h.startReading(c)
}

func (h *Handler) refuseUpgrade(w http.ResponseWriter, text string) {
	w.Header().Set("Retry-After", "5")
	http.Error(w, text, http.StatusServiceUnavailable)
}

// origin is where a login comes from: the client's address by the trusted
// proxies (what logs and limits go by) and the forwarded chain that the
// credential check passes on to Nextcloud.
type origin struct {
	client netip.Addr
	key    netip.Prefix // domain.AddressKey(client); invalid when client is
	chain  []string
}

// originOf is the one place a request's client address is read.
func (h *Handler) originOf(r *http.Request) origin {
	var peer netip.Addr
	if ap, err := netip.ParseAddrPort(r.RemoteAddr); err == nil {
		peer = ap.Addr().Unmap()
	}
	o := origin{client: h.opts.ClientAddress.Client(peer, r.Header.Values), chain: domain.ForwardedChain(peer, r.Header.Values)}
	if o.client.IsValid() {
		o.key = domain.AddressKey(o.client)
	}
	if o.client == peer && len(o.chain) > 1 && !h.opts.ClientAddress.Trusts(peer) {
		// Behind a proxy that is not trusted every client looks the same,
		// and the limits per address would fall on all of them at once.
		if ok, _ := h.proxyLog.Allow(peer, time.Now()); ok {
			h.log.Info("a request carries forwarded-for headers from a peer that is not a trusted proxy: the peer is "+
				"taken as the client. If it is your reverse proxy, add it to trusted_proxies in config.php "+
				"(or TRUSTED_PROXIES)", "peer", peer)
		}
	}
	return o
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

// logAuthFailure logs a failed login with the login name and the client's
// address, once a minute per address. A login longer than any Nextcloud user
// id is logged by its length only: it is most likely a password sent in the
// wrong frame (an app password has 72 characters), and even its start must
// not reach the log.
func (h *Handler) logAuthFailure(msg, login string, from origin, err error) {
	ok, held := h.authLog.Allow(from.key, time.Now())
	if !ok {
		return
	}
	if len(login) > maxLoggedLogin {
		login = fmt.Sprintf("(%d bytes, not shown)", len(login))
	}
	h.log.Warn(msg, "login", login, "client", from.client, "err", err, "failures_not_logged", held)
}

// maxLogLinesPerSecond caps the lines about refused clients over all
// addresses, since one client may hold many addresses.
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

// admit logs the connection in with gorilla's ws and attaches it to the hub.
// On failure it has told the client why, and the caller closes the socket.
// The connection keeps nothing of gorilla's: the fast path reads from then on.
func (h *Handler) admit(c *conn, ws *websocket.Conn, from origin) bool {
	deadline := time.Now().Add(h.opts.AuthTimeout)
	// A client may ping while logging in, but not flood: each ping costs a
	// pong written back.
	pings := 0
	ws.SetPingHandler(func(data string) error {
		if pings++; pings > maxLoginPings {
			return errLoginPingFlood
		}
		return ws.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(h.opts.WriteTimeout))
	})

	user, err := h.login(c, ws, deadline, from)
	if err != nil {
		return false
	}
	session, err := h.app.Attach(user, c)
	if err != nil {
		h.refuse(c, domain.ErrPrefix+domain.AuthFailureText(err))
		h.counters.AuthFailed(domain.AuthFailureOf(err))
		h.logAuthFailure("login refused", string(user), from, err)
		return false
	}
	c.session, c.user = session, user
	if err := c.write(domain.TextAuthenticated); err != nil {
		session.Close()
		c.session = nil
		return false
	}
	_ = c.sock.SetReadDeadline(time.Time{})
	c.connected = time.Now().UnixNano()
	if len(h.pollers) > 0 {
		if fd, ok := c.sock.FD(); ok {
			c.fd, c.poller = int32(fd), h.pollerFor()
		}
	}
	h.track(c)
	c.start()
	// Upstream's line for each login, at info: what admins look for first.
	if h.log.Enabled(context.Background(), slog.LevelInfo) {
		h.log.Info("new websocket authenticated as "+string(user), "client", from.client, "kind", c.kind.String())
	}
	return true
}

// maxLoginPings bounds the pings a client may send before it has logged in.
const maxLoginPings = 4

var errLoginPingFlood = errors.New("too many pings before login")

var errLoginFailed = errors.New("login failed")

// login reads the two frames and checks them; on failure it has already told
// the client why. The first frame must come within FirstFrameTimeout, both
// and the check within deadline.
func (h *Handler) login(c *conn, ws *websocket.Conn, deadline time.Time, from origin) (domain.UserID, error) {
	var frames [2]string
	first := time.Now().Add(h.opts.FirstFrameTimeout)
	if first.After(deadline) {
		first = deadline
	}
	_ = ws.SetReadDeadline(first)
	for i := range frames {
		text, err := readAuthFrame(ws)
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
		_ = ws.SetReadDeadline(deadline)
	}
	if !h.quota.take(from.key, quotaChecks, h.opts.MaxChecksPerAddress) {
		h.refuse(c, domain.ErrPrefix+domain.ErrTooManyLogins.Error())
		h.counters.AuthFailed(domain.AuthFailureTooManyLogins)
		h.logAuthFailure("login refused: too many credential checks from one address (AUTH_PER_ADDRESS)",
			frames[0], from, domain.ErrTooManyLogins)
		return "", errLoginFailed
	}
	defer h.quota.give(from.key, quotaChecks)
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	user, err := h.app.Check(ctx, frames[0], frames[1], from.chain)
	if err != nil {
		if ctx.Err() != nil {
			h.refuse(c, domain.TextAuthenticationTimeout)
			h.counters.AuthFailed(domain.AuthFailureTimeout)
		} else {
			h.refuse(c, domain.ErrPrefix+domain.AuthFailureText(err))
			h.counters.AuthFailed(domain.AuthFailureOf(err))
		}
		h.logAuthFailure("login failed", frames[0], from, err)
		return "", errLoginFailed
	}
	return user, nil
}

func readAuthFrame(ws *websocket.Conn) (string, error) {
	kind, data, err := ws.ReadMessage()
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
	c.writeClose(fastpath.CloseNormal, "")
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func (h *Handler) track(c *conn) {
	h.mu.Lock()
	c.slot = int32(len(h.conns))
	h.conns = append(h.conns, c)
	h.mu.Unlock()
	h.counters.ClientConnected(c.kind)
}

func (h *Handler) untrack(c *conn) {
	h.mu.Lock()
	last := len(h.conns) - 1
	moved := h.conns[last]
	h.conns[c.slot], moved.slot = moved, c.slot
	h.conns[last] = nil
	h.conns = h.conns[:last]
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
	return append(buf, h.conns...)
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
	defer h.runPollers()()
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
			h.keepAliveTick(buf, now.UnixNano(), pingBudget(len(buf), tick, h.opts.PingInterval))
			clear(buf)
		}
	}
}

// keepAliveTick runs keepAlive on every connection, pinging at most budget
// of those due.
func (h *Handler) keepAliveTick(conns []*conn, now int64, budget int) {
	for _, c := range conns {
		if c.keepAlive(now, budget > 0) {
			budget--
		}
	}
}

// pingBudget is how many pings one tick may send: twice the steady rate of
// n connections pinged once per interval, and at least minPingsPerTick.
// Connections that were written to together fall idle together: after a
// broadcast every one of them is due in the same tick, 30 s later and every
// 30 s after that, and writing 19,000 pings and reading their pongs at
// once raised another instance's fan-out p99 on the same cores by half.
// Past the budget, the rest wait for the next ticks (a ping a few seconds
// late is harmless: the timeout counts from when it was sent), which
// spreads them out for good.
func pingBudget(n int, tick, interval time.Duration) int {
	if interval <= 0 {
		return n
	}
	steady := (int64(n)*int64(tick) + int64(interval) - 1) / int64(interval)
	return max(int(2*steady), minPingsPerTick)
}

// minPingsPerTick keeps small servers pinging everyone due at once.
const minPingsPerTick = 64

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
