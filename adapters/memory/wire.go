package memory

import (
	"github.com/google/wire"

	"github.com/notifypush/notify_push/ports"
)

// ProviderSet binds the in-process adapters to their ports.
var ProviderSet = wire.NewSet(
	NewBus,
	wire.Bind(new(ports.EventSource), new(*Bus)),
	wire.Bind(new(ports.EventPublisher), new(*Bus)),
	NewKeyValue,
	wire.Bind(new(ports.KeyValue), new(*KeyValue)),
	NewAuthenticator,
	wire.Bind(new(ports.Authenticator), new(*Authenticator)),
	NewInstances,
	wire.Bind(new(ports.Instances), new(*Instances)),
	NewTokenClaims,
	wire.Bind(new(ports.TokenClaims), new(*TokenClaims)),
)
