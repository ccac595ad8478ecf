package wiring

import (
	"fmt"
	"slices"

	"github.com/notifypush/notify_push/adapters/gormdb"
	"github.com/notifypush/notify_push/adapters/httpapi"
	"github.com/notifypush/notify_push/adapters/nextcloud"
	"github.com/notifypush/notify_push/adapters/redis"
	"github.com/notifypush/notify_push/adapters/websocket"
	"github.com/notifypush/notify_push/app"
	"github.com/notifypush/notify_push/domain"
)

// The adapters' options, each picked from the one app.Config.

func gormOptions(cfg app.Config) gormdb.Options {
	return gormdb.Options{URL: cfg.DatabaseURL, Prefix: cfg.DatabasePrefix}
}

func redisOptions(cfg app.Config) redis.Options {
	return redis.Options{
		URLs:                    cfg.RedisURLs,
		Cluster:                 cfg.RedisCluster,
		TLSCert:                 cfg.RedisTLSCert,
		TLSKey:                  cfg.RedisTLSKey,
		TLSCA:                   cfg.RedisTLSCA,
		TLSDontValidateHostname: cfg.RedisTLSDontValidateHostname,
		TLSInsecure:             cfg.RedisTLSInsecure,
	}
}

// countedRedisOptions are the server's: its Redis failures show in the metrics.
func countedRedisOptions(cfg app.Config, counters *domain.Counters) redis.Options {
	opts := redisOptions(cfg)
	opts.Errors = &counters.RedisErrors
	return opts
}

func nextcloudOptions(cfg app.Config) nextcloud.Options {
	return nextcloud.Options{URL: cfg.NextcloudURL, UserAgent: cfg.UserAgent, CAFile: cfg.NextcloudCAFile,
		AllowSelfSigned: cfg.AllowSelfSigned}
}

func websocketOptions(cfg app.Config) (websocket.Options, error) {
	// A peer on this machine is the reverse proxy of every documented setup,
	// whatever config.php trusts for Nextcloud's own requests.
	rule, err := domain.NewClientAddressRule(append(slices.Clone(cfg.TrustedProxies), domain.LoopbackProxies...),
		cfg.ForwardedForHeaders)
	if err != nil {
		return websocket.Options{}, fmt.Errorf("client address settings: %w", err)
	}
	return websocket.Options{AuthTimeout: cfg.AuthTimeout, MaxConnectionTime: cfg.MaxConnectionTime,
		PingInterval: cfg.PingInterval, MaxPendingLogins: cfg.MaxPendingLogins,
		MaxPendingPerAddress: cfg.MaxPendingPerAddress, MaxChecksPerAddress: cfg.AuthPerAddress,
		ClientFrameRate: float64(cfg.ClientFrameRate), ClientAddress: rule}, nil
}

func listenOptions(cfg app.Config) httpapi.ListenOptions {
	return httpapi.ListenOptions{
		Bind:              cfg.Bind,
		Port:              cfg.Port,
		SocketPath:        cfg.SocketPath,
		SocketPermissions: cfg.SocketPermissions,
		TLSCert:           cfg.TLSCert,
		TLSKey:            cfg.TLSKey,
	}
}
