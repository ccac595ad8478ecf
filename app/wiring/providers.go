package wiring

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"

	"gorm.io/gorm"

	"github.com/notifypush/notify_push/adapters/gormdb"
	"github.com/notifypush/notify_push/adapters/httpapi"
	"github.com/notifypush/notify_push/adapters/memory"
	"github.com/notifypush/notify_push/adapters/nextcloud"
	"github.com/notifypush/notify_push/adapters/redis"
	"github.com/notifypush/notify_push/adapters/systemd"
	"github.com/notifypush/notify_push/adapters/websocket"
	"github.com/notifypush/notify_push/app"
	"github.com/notifypush/notify_push/domain"
)

// Process is one assembled server: its daemon and its main listener.
type Process struct {
	Daemon *app.Daemon
	HTTP   *httpapi.Server
}

func gormOptions(cfg app.Config) gormdb.Options {
	return gormdb.Options{URL: cfg.DatabaseURL, Prefix: cfg.DatabasePrefix}
}

func redisOptions(cfg app.Config) redis.Options {
	return redis.Options{
		URLs:                    cfg.RedisURLs,
		Cluster:                 cfg.RedisCluster,
		TLSCert:                 cfg.RedisTLSCert,
		TLSKey:                  cfg.RedisTLSKey,
		TLSCA:                   cfg.RedisTLSCA,
		TLSDontValidateHostname: cfg.RedisTLSDontValidateHostname,
		TLSInsecure:             cfg.RedisTLSInsecure,
	}
}

// countedRedisOptions are the server's: its Redis failures show in the metrics.
func countedRedisOptions(cfg app.Config, counters *domain.Counters) redis.Options {
	opts := redisOptions(cfg)
	opts.Errors = &counters.RedisErrors
	return opts
}

func nextcloudOptions(cfg app.Config) nextcloud.Options {
	return nextcloud.Options{URL: cfg.NextcloudURL, UserAgent: cfg.UserAgent, CAFile: cfg.NextcloudCAFile,
		AllowSelfSigned: cfg.AllowSelfSigned}
}

func websocketOptions(cfg app.Config) websocket.Options {
	return websocket.Options{AuthTimeout: cfg.AuthTimeout, MaxConnectionTime: cfg.MaxConnectionTime,
		PingInterval: cfg.PingInterval, MaxPendingLogins: cfg.MaxPendingLogins}
}

func listenOptions(cfg app.Config) httpapi.ListenOptions {
	return httpapi.ListenOptions{
		Bind:              cfg.Bind,
		Port:              cfg.Port,
		SocketPath:        cfg.SocketPath,
		SocketPermissions: cfg.SocketPermissions,
		TLSCert:           cfg.TLSCert,
		TLSKey:            cfg.TLSKey,
	}
}

func embeddedUsers(cfg app.Config) []memory.User {
	users := make([]memory.User, len(cfg.EmbeddedUsers))
	for i, u := range cfg.EmbeddedUsers {
		users[i] = memory.User{Login: u.Login, UID: domain.UserID(u.UID), Password: u.Password}
	}
	return users
}

// embeddedDatabase opens (creating it on first use) the demo's SQLite file in
// the data folder, with Nextcloud-shaped tables holding the demo world.
func embeddedDatabase(ctx context.Context, cfg app.Config, log *slog.Logger) (*gorm.DB, func(), error) {
	dir, err := filepath.Abs(cfg.DataDir)
	if err != nil {
		return nil, nil, fmt.Errorf("data folder %q: %w", cfg.DataDir, err)
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, nil, fmt.Errorf("create data folder: %w", err)
	}
	db, closeDB, err := gormdb.Open(ctx, "sqlite://"+filepath.Join(dir, "embedded.db"), log)
	if err != nil {
		return nil, nil, err
	}
	if err := gormdb.CreateNextcloudSchema(ctx, db, cfg.DatabasePrefix); err != nil {
		closeDB()
		return nil, nil, err
	}
	if err := gormdb.SeedDemo(ctx, db, cfg.DatabasePrefix); err != nil {
		closeDB()
		return nil, nil, err
	}
	return db, closeDB, nil
}

func embeddedMux(ws *websocket.Handler, publish *httpapi.PublishRoute, console *httpapi.ConsoleRoute,
	health *httpapi.HealthRoute) http.Handler {
	mux := http.NewServeMux()
	ws.Register(mux)
	publish.Register(mux)
	console.Register(mux)
	health.Register(mux)
	return mux
}

func productionMux(ws *websocket.Handler, selfTest *httpapi.SelfTestRoutes, health *httpapi.HealthRoute) http.Handler {
	mux := http.NewServeMux()
	ws.Register(mux)
	selfTest.Register(mux)
	health.Register(mux)
	return mux
}

// listenerCheck is ready once the main listener is bound. The server is
// built after the mux, so the check reads it through a pointer filled later.
type listenerCheck struct {
	srv *httpapi.Server
}

func (l *listenerCheck) check(context.Context) error {
	if l.srv == nil || l.srv.Addr() == nil {
		return errors.New("not listening yet")
	}
	return nil
}

func databaseCheck(db *gorm.DB) app.HealthCheck {
	return app.HealthCheck{Name: "database", Check: func(ctx context.Context) error { return gormdb.Ping(ctx, db) }}
}

// redisSubscribed is Redis's state: the event source retries by itself, so
// being subscribed is what counts.
func redisSubscribed(events *redis.EventSource) func(context.Context) error {
	return func(context.Context) error {
		if !events.Subscribed() {
			return errors.New("not subscribed to the app's channels")
		}
		return nil
	}
}

func newListenerCheck() *listenerCheck { return &listenerCheck{} }

func embeddedChecks(l *listenerCheck, db *gorm.DB) app.HealthChecks {
	return app.HealthChecks{{Name: "listener", Check: l.check}, databaseCheck(db)}
}

func productionChecks(l *listenerCheck, db *gorm.DB, events *redis.EventSource, versions *app.AppVersion) app.HealthChecks {
	return app.HealthChecks{
		{Name: "listener", Check: l.check},
		{Name: "redis", Check: redisSubscribed(events)},
		databaseCheck(db),
		{Name: "nextcloud", Check: versions.Reachable},
	}
}

// productionDependencies are what the server waits for at start before it
// accepts logins: the database answering, the subscription to the app's
// channels, and Nextcloud answering (its test/version route also tells the
// app's version).
func productionDependencies(db *gorm.DB, events *redis.EventSource, versions *app.AppVersion) app.Dependencies {
	return app.Dependencies{
		{Name: "database", Probe: func(ctx context.Context) error { return gormdb.Ping(ctx, db) }},
		{Name: "redis", Probe: redisSubscribed(events), Live: true},
		{Name: "nextcloud", Probe: versions.Answered},
	}
}

// embeddedDependencies: the demo's database is opened before the server, its
// bus and users are in the process; nothing to wait for.
func embeddedDependencies() app.Dependencies { return nil }

// listenerReadiness is ready once the main listener is bound.
type listenerReadiness struct{ l *listenerCheck }

func (r listenerReadiness) Ready(ctx context.Context) error { return r.l.check(ctx) }

// newNotifier tells systemd the server is ready once it listens: from then on
// it answers /health and refuses logins with a reason while it waits for a
// dependency, and recovers by itself. Waiting for every dependency instead
// would let systemd's start timeout kill a server that is only waiting.
func newNotifier(l *listenerCheck, log *slog.Logger) *systemd.Notifier {
	return systemd.NewNotifier(listenerReadiness{l}, log)
}

// newProcess completes the listener check with the server it waits for.
func newProcess(daemon *app.Daemon, srv *httpapi.Server, l *listenerCheck) *Process {
	l.srv = srv
	return &Process{Daemon: daemon, HTTP: srv}
}

// metricsServer is the Prometheus listener, nil-safe: without METRICS_PORT
// or METRICS_SOCKET_PATH there is none and Run returns at once.
type metricsServer struct {
	srv *httpapi.Server
}

func newMetricsServer(cfg app.Config, route *httpapi.MetricsRoute, log *slog.Logger) *metricsServer {
	if cfg.MetricsPort == 0 && cfg.MetricsSocketPath == "" {
		return &metricsServer{}
	}
	mux := http.NewServeMux()
	route.Register(mux)
	// Loopback-only: load tools force a GC and read the runtime's memory here.
	httpapi.NewDebugRoutes().Register(mux)
	opts := httpapi.ListenOptions{Bind: cfg.Bind, Port: cfg.MetricsPort, SocketPath: cfg.MetricsSocketPath,
		SocketPermissions: cfg.SocketPermissions}
	return &metricsServer{srv: httpapi.NewServer(opts, mux, log.With("listener", "metrics"))}
}

func (m *metricsServer) Run(ctx context.Context) error {
	if m.srv == nil {
		return nil
	}
	return m.srv.Run(ctx)
}

func embeddedServices(hub *app.Hub, pump *app.EventPump, mapper *app.Mapper, ws *websocket.Handler, srv *httpapi.Server,
	metrics *metricsServer, notifier *systemd.Notifier) app.Services {
	return app.Services{hub, pump, mapper, ws, srv, metrics, notifier}
}

func productionServices(hub *app.Hub, pump *app.EventPump, mapper *app.Mapper, ws *websocket.Handler, srv *httpapi.Server,
	metrics *metricsServer, notifier *systemd.Notifier, startup *app.Startup, check *app.StartupCheck,
	versions *app.AppVersion) app.Services {
	return app.Services{hub, pump, mapper, ws, srv, metrics, notifier, startup, check, versions}
}
