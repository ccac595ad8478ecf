package wiring

import (
	"context"
	"errors"
	"net/http"

	"gorm.io/gorm"

	"github.com/notifypush/notify_push/adapters/gormdb"
	"github.com/notifypush/notify_push/adapters/httpapi"
	"github.com/notifypush/notify_push/adapters/redis"
	"github.com/notifypush/notify_push/adapters/systemd"
	"github.com/notifypush/notify_push/adapters/websocket"
	"github.com/notifypush/notify_push/app"
)

// productionDependencies are what the server next to Nextcloud needs: its
// listener, the database answering, the subscription to the app's channels,
// and Nextcloud answering (its test/version route also tells the app's
// version, which is followed by probing it again every 10 minutes). Logins
// wait for the subscription only: a pre-auth token needs nothing else, a
// password is checked by Nextcloud itself, and updates lost to a database
// outage are resynced.
func productionDependencies(l *listener, db *gorm.DB, events *redis.EventSource, versions *app.AppVersion) []app.Dependency {
	return []app.Dependency{
		l.dependency(),
		databaseDependency(db),
		{Name: "redis", Probe: redisSubscribed(events), Live: true, Gate: true},
		{Name: "nextcloud", Probe: versions.Answered, Recheck: app.VersionRefreshInterval},
	}
}

func databaseDependency(db *gorm.DB) app.Dependency {
	return app.Dependency{Name: "database", Probe: func(ctx context.Context) error { return gormdb.Ping(ctx, db) }}
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

func productionMux(ws *websocket.Handler, tests *httpapi.TestRoutes, health *httpapi.HealthRoute) http.Handler {
	mux := http.NewServeMux()
	ws.Register(mux)
	tests.Register(mux)
	health.Register(mux)
	return mux
}

func productionServices(hub *app.Hub, events *app.Dispatcher, mapper *app.Mapper, ws *websocket.Handler,
	srv *httpapi.Server, metrics *metricsServer, notifier *systemd.Notifier, deps *app.Dependencies,
	check *app.StartupCheck, instance *app.Instance) app.Services {
	return app.Services{hub, events, mapper, ws, srv, metrics, notifier, deps, check, instance}
}
