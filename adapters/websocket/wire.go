package websocket

import "github.com/google/wire"

// ProviderSet provides the WebSocket handler.
var ProviderSet = wire.NewSet(New)
