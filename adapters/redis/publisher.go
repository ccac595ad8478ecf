package redis

import (
	"context"
	"fmt"

	goredis "github.com/redis/go-redis/v9"

	"github.com/notifypush/notify_push/domain"
	"github.com/notifypush/notify_push/ports"
)

// Publisher publishes events as the Nextcloud app would (the `send` command).
type Publisher struct {
	client goredis.UniversalClient
}

var _ ports.EventPublisher = (*Publisher)(nil)

// NewPublisher publishes through client.
func NewPublisher(client goredis.UniversalClient) *Publisher {
	return &Publisher{client: client}
}

// Publish sends payload on channel after checking that the server would
// accept it; a refused payload is never published.
func (p *Publisher) Publish(ctx context.Context, channel string, payload []byte) error {
	if _, err := domain.DecodeEvent(channel, payload); err != nil {
		return fmt.Errorf("publish on %s: %w", channel, err)
	}
	if err := p.client.Publish(ctx, channel, payload).Err(); err != nil {
		return fmt.Errorf("publish on %s: %w", channel, err)
	}
	return nil
}
