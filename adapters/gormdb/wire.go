package gormdb

import (
	"github.com/google/wire"

	"github.com/notifypush/notify_push/ports"
)

// ProviderSet opens DATABASE_URL and serves ports.MountStore from it,
// uncached (the app keeps the cache). The injector provides context.Context,
// Options, *domain.Counters and *slog.Logger.
var ProviderSet = wire.NewSet(
	OpenDB,
	MountQueryFrom,
	wire.Bind(new(ports.MountStore), new(*MountQuery)),
)
