package httpapi

import (
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/notifypush/notify_push/domain"
	"github.com/notifypush/notify_push/ports"
)

// maxPublishBody bounds one published payload.
const maxPublishBody = 1 << 20

// PublishRoute is the embedded mode's POST /embedded/publish/{channel}: it
// takes the same JSON payloads as the Redis channels. Only loopback clients
// may use it, whatever address the server is bound to.
type PublishRoute struct {
	pub ports.EventPublisher
	log *slog.Logger
}

// NewPublishRoute wraps a publisher in HTTP.
func NewPublishRoute(pub ports.EventPublisher, log *slog.Logger) *PublishRoute {
	return &PublishRoute{pub: pub, log: log}
}

// Register mounts the route on mux.
func (p *PublishRoute) Register(mux *http.ServeMux) {
	mux.HandleFunc("POST /embedded/publish/{channel}", p.publish)
}

func (p *PublishRoute) publish(w http.ResponseWriter, r *http.Request) {
	if !fromLoopback(r) {
		http.Error(w, "publishing is only allowed from loopback", http.StatusForbidden)
		return
	}
	if crossSite(r) {
		// A web page the admin visits may POST here without asking first
		// (a "simple" request); loopback alone does not stop that.
		http.Error(w, "publishing is not allowed from another site's page", http.StatusForbidden)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxPublishBody))
	if err != nil {
		http.Error(w, "payload too large or unreadable: "+err.Error(), http.StatusRequestEntityTooLarge)
		return
	}
	channel := r.PathValue("channel")
	if err := p.pub.Publish(r.Context(), channel, body); err != nil {
		status := http.StatusBadRequest
		if errors.Is(err, domain.ErrUnknownChannel) {
			status = http.StatusNotFound
		}
		http.Error(w, err.Error(), status)
		return
	}
	p.log.Debug("published", "channel", channel, "bytes", len(body))
	w.WriteHeader(http.StatusNoContent)
}

func fromLoopback(r *http.Request) bool {
	if r.RemoteAddr == "@" || r.RemoteAddr == "" {
		return true // unix socket peer: local by construction
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// crossSite reports whether a browser sent r on behalf of a page of another
// origin. Tools such as curl send no Origin and are not affected.
func crossSite(r *http.Request) bool {
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" && site != "none" {
		return true
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		return false
	}
	u, err := url.Parse(origin)
	return err != nil || !strings.EqualFold(u.Host, r.Host)
}
