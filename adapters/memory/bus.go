package memory

import (
	"context"
	"fmt"
	"log/slog"
	"sync"

	"github.com/notifypush/notify_push/domain"
	"github.com/notifypush/notify_push/ports"
)

// Bus is an in-process event source and publisher. Like Redis pub/sub, an
// event published while nobody listens is dropped.
type Bus struct {
	log *slog.Logger

	mu        sync.Mutex
	listeners map[chan domain.Event]struct{}
}

var (
	_ ports.EventSource    = (*Bus)(nil)
	_ ports.EventPublisher = (*Bus)(nil)
)

// busBuffer is each listener's queue; publishers wait when it is full.
const busBuffer = 1024

// NewBus makes a bus with no listeners.
func NewBus(log *slog.Logger) *Bus {
	return &Bus{log: log, listeners: make(map[chan domain.Event]struct{})}
}

// Publish decodes payload for channel and hands the event to every listener.
// A payload that does not decode is refused with the decode error.
func (b *Bus) Publish(ctx context.Context, channel string, payload []byte) error {
	ev, err := domain.DecodeEvent(channel, payload)
	if err != nil {
		return fmt.Errorf("publish on %s: %w", channel, err)
	}
	b.mu.Lock()
	targets := make([]chan domain.Event, 0, len(b.listeners))
	for ch := range b.listeners {
		targets = append(targets, ch)
	}
	b.mu.Unlock()
	for _, ch := range targets {
		select {
		case ch <- ev:
		case <-ctx.Done():
			return fmt.Errorf("publish on %s: %w", channel, ctx.Err())
		}
	}
	return nil
}

// Listen delivers every published event to handle until ctx ends.
func (b *Bus) Listen(ctx context.Context, handle ports.EventHandler) error {
	ch := make(chan domain.Event, busBuffer)
	b.mu.Lock()
	b.listeners[ch] = struct{}{}
	b.mu.Unlock()
	defer func() {
		b.mu.Lock()
		delete(b.listeners, ch)
		b.mu.Unlock()
	}()
	b.log.Debug("in-process bus listening")
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev := <-ch:
			handle(ctx, ev)
		}
	}
}

// Listeners is the number of active listeners.
func (b *Bus) Listeners() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.listeners)
}
