package redis

import (
	"fmt"
	"log/slog"

	goredis "github.com/redis/go-redis/v9"
)

// NewClient makes the go-redis client of opts: a cluster client for several
// URLs (or Options.Cluster), else a single-node one. It does not connect:
// Redis may come up after the server, and every user of the client retries.
// The returned func closes the client.
func NewClient(opts Options, log *slog.Logger) (goredis.UniversalClient, func(), error) {
	log = orDiscard(log)
	r, err := opts.Resolve()
	if err != nil {
		return nil, nil, err
	}
	var client goredis.UniversalClient
	if r.Cluster != nil {
		if r.Cluster.TLSConfig == nil && opts.usesTLSFiles() {
			log.Warn("Redis TLS settings given but no URL is rediss://: they are ignored")
		}
		log.Debug("Redis cluster client", "seeds", r.Cluster.Addrs, "tls", r.Cluster.TLSConfig != nil)
		client = goredis.NewClusterClient(r.Cluster)
	} else {
		if r.Single.TLSConfig == nil && opts.usesTLSFiles() {
			log.Warn("Redis TLS settings given but the URL is not rediss://: they are ignored")
		}
		log.Debug("Redis client", "network", r.Single.Network, "addr", r.Single.Addr,
			"db", r.Single.DB, "tls", r.Single.TLSConfig != nil)
		client = goredis.NewClient(r.Single)
	}
	if opts.Errors != nil {
		client.AddHook(errorCounter{opts.Errors})
	}
	cleanup := func() {
		if err := client.Close(); err != nil {
			log.Debug("close Redis client", "err", err)
		}
	}
	return client, cleanup, nil
}

// orDiscard lets a nil logger mean "log nothing".
func orDiscard(log *slog.Logger) *slog.Logger {
	if log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return log
}

// describe names the client's target for messages, without secrets.
func describe(client goredis.UniversalClient) string {
	switch c := client.(type) {
	case *goredis.Client:
		return c.Options().Addr
	case *goredis.ClusterClient:
		return fmt.Sprintf("cluster %v", c.Options().Addrs)
	default:
		return fmt.Sprintf("%T", client)
	}
}
