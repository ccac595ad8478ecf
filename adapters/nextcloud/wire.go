package nextcloud

import (
	"github.com/google/wire"

	"github.com/notifypush/notify_push/ports"
)

// ProviderSet binds the HTTP client to the authenticator and probe ports.
var ProviderSet = wire.NewSet(
	NewClient,
	wire.Bind(new(ports.Authenticator), new(*Client)),
	wire.Bind(new(ports.NextcloudProbe), new(*Client)),
)
