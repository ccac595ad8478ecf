package gormdb

import (
	"github.com/google/wire"

	"github.com/notifypush/notify_push/ports"
)

// ProviderSet opens DATABASE_URL and serves ports.MountStore and
// ports.MountCache from it, cached. The injector provides context.Context,
// Options, ports.Clock, *domain.Counters and *slog.Logger.
var ProviderSet = wire.NewSet(
	OpenDB,
	NewMountStore,
	wire.Bind(new(ports.MountStore), new(*MountStore)),
	wire.Bind(new(ports.MountCache), new(*MountStore)),
)

// DemoProviderSet is ProviderSet for the embedded demo: the mounts come from
// an in-memory SQLite database holding the Demo world.
var DemoProviderSet = wire.NewSet(
	OpenDemoDB,
	NewMountStore,
	wire.Bind(new(ports.MountStore), new(*MountStore)),
	wire.Bind(new(ports.MountCache), new(*MountStore)),
)
