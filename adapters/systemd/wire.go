package systemd

import "github.com/google/wire"

// ProviderSet provides the systemd notifier.
var ProviderSet = wire.NewSet(NewNotifier)
