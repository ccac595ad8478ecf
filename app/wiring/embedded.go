package wiring

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"

	"gorm.io/gorm"

	"github.com/notifypush/notify_push/adapters/demo"
	"github.com/notifypush/notify_push/adapters/gormdb"
	"github.com/notifypush/notify_push/adapters/httpapi"
	"github.com/notifypush/notify_push/adapters/memory"
	"github.com/notifypush/notify_push/adapters/systemd"
	"github.com/notifypush/notify_push/adapters/websocket"
	"github.com/notifypush/notify_push/app"
	"github.com/notifypush/notify_push/domain"
)

// EmbeddedLogins are the logins of the embedded demo: NOTIFY_PUSH_EMBEDDED_USERS
// when set, else the demo world's.
func EmbeddedLogins(cfg app.Config) []demo.Login {
	if len(cfg.EmbeddedUsers) == 0 {
		return demo.Default().Logins
	}
	logins := make([]demo.Login, len(cfg.EmbeddedUsers))
	for i, u := range cfg.EmbeddedUsers {
		logins[i] = demo.Login{Login: u.Login, UID: domain.UserID(u.UID), Password: u.Password}
	}
	return logins
}

func embeddedUsers(cfg app.Config) []memory.User {
	logins := EmbeddedLogins(cfg)
	users := make([]memory.User, len(logins))
	for i, l := range logins {
		users[i] = memory.User{Login: l.Login, UID: l.UID, Password: l.Password}
	}
	return users
}

// embeddedDatabase opens (creating it on first use) the demo's SQLite file in
// the data folder, with Nextcloud's tables holding the demo world.
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
	if err := demo.Seed(ctx, db, cfg.DatabasePrefix, demo.Default()); err != nil {
		closeDB()
		return nil, nil, err
	}
	return db, closeDB, nil
}

// embeddedDependencies: the bus and the users are in the process; the
// listener and the demo's database are what may be missing.
func embeddedDependencies(l *listener, db *gorm.DB) []app.Dependency {
	return []app.Dependency{l.dependency(), databaseDependency(db)}
}

func embeddedMux(ws *websocket.Handler, publish *demo.PublishRoute, console *demo.ConsoleRoute,
	health *httpapi.HealthRoute) http.Handler {
	mux := http.NewServeMux()
	ws.Register(mux)
	publish.Register(mux, httpapi.LocalOnly)
	console.Register(mux, httpapi.LocalOnly)
	health.Register(mux)
	return mux
}

func embeddedServices(hub *app.Hub, events *app.Dispatcher, mapper *app.Mapper, ws *websocket.Handler,
	srv *httpapi.Server, metrics *metricsServer, notifier *systemd.Notifier, deps *app.Dependencies,
	instance *app.Instance) app.Services {
	return app.Services{hub, events, mapper, ws, srv, metrics, notifier, deps, instance}
}
