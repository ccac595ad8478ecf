package redis

import (
	"context"
	"errors"
	"fmt"

	goredis "github.com/redis/go-redis/v9"

	"github.com/notifypush/notify_push/ports"
)

// KeyValue is the store of the self-test keys (test-token,
// notify_push_version, notify_push_app_version) and of notify_push_metrics.
type KeyValue struct {
	client goredis.UniversalClient
}

var _ ports.KeyValue = (*KeyValue)(nil)

// NewKeyValue stores through client.
func NewKeyValue(client goredis.UniversalClient) *KeyValue {
	return &KeyValue{client: client}
}

// Get returns the value of key, and false when it is not set.
func (kv *KeyValue) Get(ctx context.Context, key string) (string, bool, error) {
	v, err := kv.client.Get(ctx, key).Result()
	switch {
	case errors.Is(err, goredis.Nil):
		return "", false, nil
	case err != nil:
		return "", false, fmt.Errorf("get %s: %w", key, err)
	}
	return v, true, nil
}

// Set stores value under key, without expiry.
func (kv *KeyValue) Set(ctx context.Context, key, value string) error {
	if err := kv.client.Set(ctx, key, value, 0).Err(); err != nil {
		return fmt.Errorf("set %s: %w", key, err)
	}
	return nil
}

// Ping makes one round trip to Redis, to every master of a cluster: the
// startup self-check's Redis probe.
func (kv *KeyValue) Ping(ctx context.Context) error {
	if cc, ok := kv.client.(*goredis.ClusterClient); ok {
		err := cc.ForEachMaster(ctx, func(ctx context.Context, c *goredis.Client) error {
			if err := c.Ping(ctx).Err(); err != nil {
				return fmt.Errorf("%s: %w", c.Options().Addr, err)
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("ping Redis cluster: %w", err)
		}
		return nil
	}
	if err := kv.client.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("ping Redis %s: %w", describe(kv.client), err)
	}
	return nil
}
