package memory

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/notifypush/notify_push/domain"
	"github.com/notifypush/notify_push/ports"
)

// Bus is an in-process event source and publisher with one consumer. Unlike
// Redis pub/sub it keeps what is published before the consumer starts
// listening (up to its buffer), so nothing sent right after start-up is lost.
type Bus struct {
	log    *slog.Logger
	events chan domain.Event
}

var (
	_ ports.EventSource    = (*Bus)(nil)
	_ ports.EventPublisher = (*Bus)(nil)
)

// busBuffer is the queue between publishers and the consumer; publishers
// wait when it is full.
const busBuffer = 1024

// NewBus makes an empty bus.
func NewBus(log *slog.Logger) *Bus {
	return &Bus{log: log, events: make(chan domain.Event, busBuffer)}
}

// Publish decodes payload for channel and queues the event. A payload that
// does not decode is refused with the decode error.
func (b *Bus) Publish(ctx context.Context, channel string, payload []byte) error {
	ev, err := domain.DecodeEvent(channel, payload)
	if err != nil {
		return fmt.Errorf("publish on %s: %w", channel, err)
	}
	select {
	case b.events <- ev:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("publish on %s: %w", channel, ctx.Err())
	}
}

// Listen delivers every published event to handle until ctx ends. The bus
// has one consumer: concurrent Listen calls would split the events.
func (b *Bus) Listen(ctx context.Context, handle ports.EventHandler) error {
	b.log.Debug("in-process bus listening")
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev := <-b.events:
			handle(ctx, ev)
		}
	}
}
