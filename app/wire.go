package app

import (
	"github.com/google/wire"

	"github.com/notifypush/notify_push/domain"
	"github.com/notifypush/notify_push/ports"
)

// ProviderSet holds the use cases shared by every deployment shape. The
// injector provides Config, the ports, []Dependency (what the shape needs)
// and Services (what it runs).
var ProviderSet = wire.NewSet(
	domain.NewCounters,
	HubOptionsFrom,
	NewHub,
	NewPreAuth,
	InstanceOptionsFrom,
	NewInstance,
	wire.Value(MountCacheOptions{}),
	NewMountCache,
	wire.Value(MapperOptions{}),
	NewMapper,
	NewDispatcher,
	wire.Value(DependencyTiming{}),
	NewDependencies,
	wire.Bind(new(ports.Readiness), new(*Dependencies)),
	AuthGuardOptionsFrom,
	NewAuthGuard,
	NewLogins,
	wire.Bind(new(ports.Logins), new(*Logins)),
	NewDaemon,
)

// TestEndpointsSet adds what a deployment next to Nextcloud answers to the
// app: its test routes, the check at start, and the app's version.
var TestEndpointsSet = wire.NewSet(
	NewTestEndpoints,
	wire.Bind(new(ports.TestEndpoints), new(*TestEndpoints)),
	NewStartupCheck,
	VersionOptionsFrom,
	NewAppVersion,
)
