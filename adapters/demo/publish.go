package demo

import (
	"errors"
	"io"
	"log/slog"
	"net/http"

	"github.com/notifypush/notify_push/domain"
	"github.com/notifypush/notify_push/ports"
)

// maxPublishBody bounds one published payload.
const maxPublishBody = 1 << 20

// PublishRoute is the embedded mode's POST /embedded/publish/{channel}: it
// takes the same JSON payloads as the Redis channels. Register it behind a
// guard that admits clients on this machine only, whatever address the
// server is bound to.
type PublishRoute struct {
	pub ports.EventPublisher
	log *slog.Logger
}

// NewPublishRoute wraps a publisher in HTTP.
func NewPublishRoute(pub ports.EventPublisher, log *slog.Logger) *PublishRoute {
	return &PublishRoute{pub: pub, log: log}
}

// Register mounts the route on mux behind localOnly.
func (p *PublishRoute) Register(mux *http.ServeMux, localOnly func(http.Handler) http.Handler) {
	mux.Handle("POST /embedded/publish/{channel}", localOnly(http.HandlerFunc(p.publish)))
}

func (p *PublishRoute) publish(w http.ResponseWriter, r *http.Request) {
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
