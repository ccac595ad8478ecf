package websocket

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/gorilla/websocket"

	"github.com/notifypush/notify_push/domain"
	"github.com/notifypush/notify_push/ports"
)

// Handler serves the WebSocket endpoint and keeps its connections alive.
type Handler struct {
	gateway  ports.Gateway
	opts     Options
	log      *slog.Logger
	upgrader websocket.Upgrader

	mu    sync.Mutex
	conns map[*conn]struct{}
}

var _ ports.Service = (*Handler)(nil)

// New makes the handler; mount it with Register and run its pinger with Run.
func New(gateway ports.Gateway, opts Options, log *slog.Logger) *Handler {
	return &Handler{
		gateway: gateway,
		opts:    opts.withDefaults(),
		log:     log,
		upgrader: websocket.Upgrader{
			ReadBufferSize:  1024,
			WriteBufferSize: 1024,
			// Buffers are held only while a frame is written, not per idle connection.
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

// ServeHTTP upgrades, logs the client in, then reads its frames until it leaves.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if missing := missingUpgradeHeader(r); missing != "" {
		h.log.Info("WebSocket upgrade refused: header missing; is a reverse proxy dropping Upgrade/Connection?",
			"missing", missing, "remote", r.RemoteAddr, "upgrade", r.Header.Get("Upgrade"), "connection", r.Header.Get("Connection"))
		http.Error(w, fmt.Sprintf("expected a WebSocket upgrade: missing header %q. "+
			"If a reverse proxy is in front of this server, it must forward the Upgrade and Connection headers.", missing),
			http.StatusBadRequest)
		return
	}
	ws, err := h.upgrader.Upgrade(w, r, nil)
	if err != nil {
		h.log.Debug("WebSocket upgrade failed", "remote", r.RemoteAddr, "err", err)
		return
	}
	ws.SetReadLimit(h.opts.ReadLimit)
	c := newConn(h, ws)
	h.serve(c, forwardedFor(r))
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

// serve runs one connection on the request's goroutine.
func (h *Handler) serve(c *conn, forwarded []string) {
	defer c.abort()
	deadline := time.Now().Add(h.opts.AuthTimeout)
	_ = c.ws.SetReadDeadline(deadline)

	user, err := h.login(c, deadline, forwarded)
	if err != nil {
		return
	}
	session, err := h.gateway.Connect(user, c)
	if err != nil {
		h.refuse(c, domain.ErrPrefix+domain.AuthFailureText(err))
		h.log.Info("login refused", "user", user, "client", clientOf(forwarded), "err", err)
		return
	}
	defer session.Close()
	if err := c.write(domain.TextAuthenticated); err != nil {
		return
	}
	c.start()
	h.track(c)
	defer h.untrack(c)
	h.log.Debug("client connected", "user", user, "client", clientOf(forwarded))

	if max := h.opts.MaxConnectionTime; max > 0 {
		timer := time.AfterFunc(max, func() { c.Close(domain.CloseMaxConnectionTime) })
		defer timer.Stop()
	}
	_ = c.ws.SetReadDeadline(time.Time{})
	c.ws.SetPongHandler(c.onPong)
	for {
		kind, data, err := c.ws.ReadMessage()
		if err != nil {
			h.log.Debug("client disconnected", "user", user, "err", err)
			return
		}
		if kind == websocket.TextMessage && strings.TrimSpace(string(data)) == domain.TextListenFileID {
			session.ListenFileIDs()
		}
	}
}

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
			return "", errLoginFailed
		case errors.Is(err, domain.ErrInvalidAuthMessage):
			h.refuse(c, domain.ErrPrefix+domain.ErrInvalidAuthMessage.Error())
			return "", errLoginFailed
		case err != nil:
			return "", err // gone, or a frame over the read limit (gorilla sent 1009)
		}
		frames[i] = text
	}
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	user, err := h.gateway.Authenticate(ctx, frames[0], frames[1], forwarded)
	if err != nil {
		if ctx.Err() != nil {
			h.refuse(c, domain.TextAuthenticationTimeout)
		} else {
			h.refuse(c, domain.ErrPrefix+domain.AuthFailureText(err))
		}
		h.log.Info("login failed", "login", frames[0], "client", clientOf(forwarded), "err", err)
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
}

func (h *Handler) untrack(c *conn) {
	h.mu.Lock()
	delete(h.conns, c)
	h.mu.Unlock()
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
			for _, c := range buf {
				c.keepAlive(now)
			}
			clear(buf)
		}
	}
}

func (h *Handler) drain() {
	conns := h.snapshot(nil)
	for _, c := range conns {
		c.Close(domain.CloseShutdown)
	}
	timeout := time.NewTimer(h.opts.DrainTimeout)
	defer timeout.Stop()
	for _, c := range conns {
		select {
		case <-c.done:
		case <-timeout.C:
			h.log.Warn("shutdown: close frames not all delivered in time")
			return
		}
	}
}
