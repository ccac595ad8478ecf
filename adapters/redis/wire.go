package redis

import (
	"github.com/google/wire"

	"github.com/notifypush/notify_push/ports"
)

// ProviderSet makes the Redis client from Options and binds the Redis
// adapters to their ports. The injector provides Options and *slog.Logger.
var ProviderSet = wire.NewSet(
	NewClient,
	NewEventSource,
	wire.Bind(new(ports.EventSource), new(*EventSource)),
	NewKeyValue,
	wire.Bind(new(ports.KeyValue), new(*KeyValue)),
	NewPublisher,
	wire.Bind(new(ports.EventPublisher), new(*Publisher)),
	NewInstances,
	wire.Bind(new(ports.Instances), new(*Instances)),
	NewTokenClaims,
	wire.Bind(new(ports.TokenClaims), new(*TokenClaims)),
)
