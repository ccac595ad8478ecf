// Package websocket is the client-facing transport of PROTOCOL §3: the /ws
// handler, the two-frame login, the per-connection write queue, keep-alive
// pings and the close codes. It drives the app's ports.Gateway and
// implements ports.ClientConn for the hub.
//
// handler.go is the endpoint and the login, conn.go one connection's writes
// and closing, read.go what it reads. Gorilla/websocket upgrades the request
// and reads the login; after it a connection keeps nothing of gorilla's.
// What keeps an idle connection small and free of goroutines (the epoll
// poller, nonblocking reads and writes on the socket, the reader of client
// frames and the server frames' encoding) is in the sub-package fastpath,
// behind a Receiver that conn implements; hijack.go hands it the socket at
// the upgrade.
package websocket
