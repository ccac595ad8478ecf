// Package websocket is the client-facing transport of PROTOCOL §3: the /ws
// handler over gorilla/websocket, the two-frame login, the per-connection
// write queue, keep-alive pings and the close codes. It drives the app's
// ports.Gateway and implements ports.ClientConn for the hub.
//
// handler.go is the endpoint and the login, conn.go one connection's writes
// and closing, read.go what it reads. What keeps an idle connection free of
// goroutines (the epoll poller, nonblocking reads and writes on the socket,
// the client frame parser and the pump that takes simple frames without
// gorilla) is in the sub-package fastpath, behind a Receiver that conn
// implements; hijack.go hands it the socket at the upgrade.
package websocket
