// Package app holds the use cases of the push server: the connection hub and
// its debounce scheduler, the login gateway and the guard that keeps login
// storms from overwhelming Nextcloud, event dispatch and the storage mapping
// that keeps the database off the event stream, the self-test, the
// run-time log level and the daemon's life cycle. It sees the world only
// through ports; app/wiring joins it to the adapters.
package app
