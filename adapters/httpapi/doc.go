// Package httpapi is the HTTP face of the server besides the WebSocket: the
// self-test routes the Nextcloud app calls, the embedded mode's publish route,
// and the listener every route is served on (TCP, unix socket, TLS).
package httpapi
