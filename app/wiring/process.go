package wiring

import (
	"context"
	"errors"
	"log/slog"
	"net/http"

	"github.com/notifypush/notify_push/adapters/httpapi"
	"github.com/notifypush/notify_push/adapters/systemd"
	"github.com/notifypush/notify_push/app"
)

// Process is one assembled server: its daemon and its main listener.
type Process struct {
	Daemon *app.Daemon
	HTTP   *httpapi.Server
}

// listener is the main listener as a dependency: there once it is bound. The
// server is built after the mux that needs the dependency list, so the
// server is filled in by newProcess.
type listener struct {
	srv *httpapi.Server
}

func newListener() *listener { return &listener{} }

func (l *listener) bound(context.Context) error {
	if l.srv == nil || l.srv.Addr() == nil {
		return errors.New("not listening yet")
	}
	return nil
}

// Ready makes the listener the readiness systemd is told about.
func (l *listener) Ready(ctx context.Context) error { return l.bound(ctx) }

func (l *listener) dependency() app.Dependency {
	return app.Dependency{Name: "listener", Probe: l.bound, Live: true, Gate: true}
}

// newNotifier tells systemd the server is ready once it listens: from then on
// it answers /health and refuses logins with a reason while it waits for a
// dependency, and recovers by itself. Waiting for every dependency instead
// would let systemd's start timeout kill a server that is only waiting.
func newNotifier(l *listener, log *slog.Logger) *systemd.Notifier {
	return systemd.NewNotifier(l, log)
}

// newProcess completes the listener with the server it waits for.
func newProcess(daemon *app.Daemon, srv *httpapi.Server, l *listener) *Process {
	l.srv = srv
	return &Process{Daemon: daemon, HTTP: srv}
}

// instanceID names the server in its metrics.
func instanceID(i *app.Instance) httpapi.InstanceID { return httpapi.InstanceID(i.ID()) }

// metricsServer is the Prometheus listener, nil-safe: without METRICS_PORT
// or METRICS_SOCKET_PATH there is none and Run returns at once.
type metricsServer struct {
	srv *httpapi.Server
}

func newMetricsServer(cfg app.Config, route *httpapi.MetricsRoute, health *httpapi.HealthRoute, log *slog.Logger) *metricsServer {
	if cfg.MetricsPort == 0 && cfg.MetricsSocketPath == "" {
		return &metricsServer{}
	}
	mux := http.NewServeMux()
	route.Register(mux)
	// Only the admin's tools reach this listener: /health tells why here.
	health.RegisterDetailed(mux)
	// Loopback-only: load tools force a GC and read the runtime's memory here.
	httpapi.NewDebugRoutes().Register(mux)
	// Over TCP the metrics are served with TLS_CERT/TLS_KEY too, as upstream's.
	opts := httpapi.ListenOptions{Bind: cfg.Bind, Port: cfg.MetricsPort, SocketPath: cfg.MetricsSocketPath,
		SocketPermissions: cfg.SocketPermissions, TLSCert: cfg.TLSCert, TLSKey: cfg.TLSKey}
	return &metricsServer{srv: httpapi.NewServer(opts, mux, log.With("listener", "metrics"))}
}

func (m *metricsServer) Run(ctx context.Context) error {
	if m.srv == nil {
		return nil
	}
	return m.srv.Run(ctx)
}
