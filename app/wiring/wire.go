//go:build wireinject

package wiring

import (
	"context"
	"log/slog"

	"github.com/google/wire"

	"github.com/notifypush/notify_push/adapters/clock"
	"github.com/notifypush/notify_push/adapters/gormdb"
	"github.com/notifypush/notify_push/adapters/httpapi"
	"github.com/notifypush/notify_push/adapters/memory"
	"github.com/notifypush/notify_push/adapters/nextcloud"
	"github.com/notifypush/notify_push/adapters/redis"
	"github.com/notifypush/notify_push/adapters/websocket"
	"github.com/notifypush/notify_push/app"
	"github.com/notifypush/notify_push/ports"
)

var common = wire.NewSet(
	app.ProviderSet,
	clock.New,
	wire.Bind(new(ports.Clock), new(clock.System)),
	websocketOptions,
	websocket.ProviderSet,
	listenOptions,
	httpapi.NewServer,
	httpapi.NewMetricsRoute,
	newMetricsServer,
	app.NewHealth,
	wire.Bind(new(ports.Readiness), new(*app.Health)),
	httpapi.NewHealthRoute,
	newNotifier,
	newListenerCheck,
	newProcess,
)

// InitializeProduction assembles the server that runs next to Nextcloud:
// Redis events, Nextcloud credential checks, Nextcloud's database.
func InitializeProduction(ctx context.Context, cfg app.Config, log *slog.Logger, level *slog.LevelVar) (*Process, func(), error) {
	wire.Build(
		common,
		app.SelfTestSet,
		gormOptions,
		gormdb.ProviderSet,
		redisOptions,
		redis.ProviderSet,
		nextcloudOptions,
		nextcloud.ProviderSet,
		httpapi.NewSelfTestRoutes,
		productionChecks,
		productionDependencies,
		productionMux,
		productionServices,
	)
	return nil, nil, nil
}

// InitializeEmbedded assembles the self-contained demo: an in-process bus,
// static users and a demo SQLite database, with the publish route.
func InitializeEmbedded(ctx context.Context, cfg app.Config, log *slog.Logger, level *slog.LevelVar) (*Process, func(), error) {
	wire.Build(
		common,
		embeddedDatabase,
		gormOptions,
		gormdb.NewMountStore,
		wire.Bind(new(ports.MountStore), new(*gormdb.MountStore)),
		embeddedUsers,
		memory.ProviderSet,
		httpapi.NewPublishRoute,
		embeddedChecks,
		embeddedDependencies,
		embeddedMux,
		embeddedServices,
	)
	return nil, nil, nil
}

// InitializePublisher assembles a publisher into the configured Redis, for
// the send command.
func InitializePublisher(cfg app.Config, log *slog.Logger) (ports.EventPublisher, func(), error) {
	wire.Build(
		redisOptions,
		redis.NewClient,
		redis.NewPublisher,
		wire.Bind(new(ports.EventPublisher), new(*redis.Publisher)),
	)
	return nil, nil, nil
}
