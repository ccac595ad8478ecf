package wiring

import (
	"context"
	"log/slog"

	"github.com/notifypush/notify_push/adapters/gormdb"
	"github.com/notifypush/notify_push/adapters/nextcloud"
	"github.com/notifypush/notify_push/adapters/nextcloud/pushclient"
	"github.com/notifypush/notify_push/app"
	"github.com/notifypush/notify_push/domain"
)

// diagnosisMounts reads the mapping uncached from a database opened lazily:
// the self-test command reports an unreachable database as a failed check
// among the others instead of not starting.
func diagnosisMounts(ctx context.Context, opts gormdb.Options, log *slog.Logger) (*gormdb.MountQuery, func(), error) {
	db, closeDB, err := gormdb.OpenLazy(ctx, opts.URL, log)
	if err != nil {
		return nil, nil, err
	}
	q, err := gormdb.NewMountQuery(db, opts.Prefix, domain.NewCounters())
	if err != nil {
		closeDB()
		return nil, nil, err
	}
	return q, closeDB, nil
}

// diagnosisNextcloudOptions are the server's own Nextcloud settings with the
// self-test's timeout.
func diagnosisNextcloudOptions(cfg app.Config, d app.DiagnoseOptions) nextcloud.Options {
	opts := nextcloudOptions(cfg)
	opts.Timeout = d.Timeout
	return opts
}

// pushClientOptions: the push endpoint is usually on Nextcloud's host, so the
// TLS choices towards Nextcloud apply to it too.
func pushClientOptions(cfg app.Config, d app.DiagnoseOptions) pushclient.Options {
	return pushclient.Options{Insecure: cfg.AllowSelfSigned, CAFile: cfg.NextcloudCAFile, Timeout: d.Timeout, UserAgent: cfg.UserAgent}
}
