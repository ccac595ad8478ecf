//go:build wireinject

package wiring

import (
	"context"
	"log/slog"

	"github.com/google/wire"

	"github.com/notifypush/notify_push/adapters/clock"
	"github.com/notifypush/notify_push/adapters/demo"
	"github.com/notifypush/notify_push/adapters/gormdb"
	"github.com/notifypush/notify_push/adapters/httpapi"
	"github.com/notifypush/notify_push/adapters/memory"
	"github.com/notifypush/notify_push/adapters/nextcloud"
	"github.com/notifypush/notify_push/adapters/nextcloud/pushclient"
	"github.com/notifypush/notify_push/adapters/redis"
	"github.com/notifypush/notify_push/adapters/websocket"
	"github.com/notifypush/notify_push/app"
	"github.com/notifypush/notify_push/ports"
)

// common is what every server shares: the use cases, the clock, the
// WebSocket endpoint, the listeners, /health and /metrics, systemd.
var common = wire.NewSet(
	app.ProviderSet,
	clock.New,
	wire.Bind(new(ports.Clock), new(clock.System)),
	websocketOptions,
	websocket.ProviderSet,
	listenOptions,
	httpapi.NewServer,
	httpapi.NewMetricsRoute,
	instanceID,
	httpapi.NewHealthRoute,
	newMetricsServer,
	newListener,
	newNotifier,
	newProcess,
)

// InitializeProduction assembles the server that runs next to Nextcloud:
// Redis events, Nextcloud credential checks, Nextcloud's database.
func InitializeProduction(ctx context.Context, cfg app.Config, log *slog.Logger, logs *app.LogFilter) (*Process, func(), error) {
	wire.Build(
		common,
		app.TestEndpointsSet,
		gormOptions,
		gormdb.ProviderSet,
		countedRedisOptions,
		redis.ProviderSet,
		nextcloudOptions,
		nextcloud.ProviderSet,
		httpapi.NewTestRoutes,
		productionDependencies,
		productionMux,
		productionServices,
	)
	return nil, nil, nil
}

// InitializeEmbedded assembles the self-contained demo (adapters/demo): an
// in-process bus, the demo's logins and a SQLite database holding its world,
// with the publish route and the sandbox console.
func InitializeEmbedded(ctx context.Context, cfg app.Config, log *slog.Logger, logs *app.LogFilter) (*Process, func(), error) {
	wire.Build(
		common,
		embeddedDatabase,
		gormOptions,
		gormdb.MountQueryFrom,
		wire.Bind(new(ports.MountStore), new(*gormdb.MountQuery)),
		embeddedUsers,
		memory.ProviderSet,
		demo.NewPublishRoute,
		demo.NewConsoleRoute,
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

// InitializeDiagnosis assembles the self-test command: the configured
// database (connected on first use), Redis and Nextcloud, and a client's view
// of the push endpoint.
func InitializeDiagnosis(ctx context.Context, cfg app.Config, opts app.DiagnoseOptions, log *slog.Logger) (*app.Diagnosis, func(), error) {
	wire.Build(
		gormOptions,
		diagnosisMounts,
		wire.Bind(new(ports.MountStore), new(*gormdb.MountQuery)),
		redisOptions,
		redis.NewClient,
		redis.NewKeyValue,
		wire.Bind(new(ports.KeyValue), new(*redis.KeyValue)),
		diagnosisNextcloudOptions,
		nextcloud.NewClient,
		wire.Bind(new(ports.NextcloudInspector), new(*nextcloud.Client)),
		pushClientOptions,
		pushclient.New,
		wire.Bind(new(ports.PushEndpoint), new(*pushclient.Client)),
		app.NewDiagnosis,
	)
	return nil, nil, nil
}
