// Package redis is where the server meets Redis: the subscription to the
// app's channels (EventSource), the self-test keys (KeyValue), publishing on
// the app's behalf (Publisher), and turning REDIS_URL and the REDIS_TLS_*
// settings into a go-redis client for a single node, a cluster, TLS or a unix
// socket (PROTOCOL §2, §7, §9).
package redis
