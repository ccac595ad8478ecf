// Package websocket is the client-facing transport of PROTOCOL §3 over
// gorilla/websocket: the /ws handler, the two-frame login, the per-connection
// write queue, keep-alive pings and the close codes. It drives the app's
// ports.Gateway and implements ports.ClientConn for the hub.
package websocket
