package app

import (
	"github.com/google/wire"

	"github.com/notifypush/notify_push/domain"
	"github.com/notifypush/notify_push/ports"
)

// ProviderSet holds the use cases shared by every deployment shape.
var ProviderSet = wire.NewSet(
	domain.NewCounters,
	HubOptionsFrom,
	NewHub,
	NewPreAuth,
	NewLogLevel,
	wire.Value(MapperOptions{}),
	NewMapper,
	NewDispatcher,
	NewStartup,
	AuthGuardOptionsFrom,
	NewAuthGuard,
	NewGuardedGateway,
	wire.Bind(new(ports.Gateway), new(*Gateway)),
	NewEventPump,
	NewDaemon,
)

// SelfTestSet adds the self-test use cases of a deployment next to Nextcloud.
var SelfTestSet = wire.NewSet(
	NewSelfTest,
	wire.Bind(new(ports.SelfTest), new(*SelfTest)),
	NewStartupCheck,
	VersionOptionsFrom,
	NewAppVersion,
)
