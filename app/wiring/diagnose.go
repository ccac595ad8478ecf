package wiring

import (
	"context"
	"log/slog"
	"sync"

	"github.com/notifypush/notify_push/adapters/gormdb"
	"github.com/notifypush/notify_push/adapters/nextcloud"
	"github.com/notifypush/notify_push/adapters/nextcloud/pushclient"
	"github.com/notifypush/notify_push/app"
	"github.com/notifypush/notify_push/domain"
	"github.com/notifypush/notify_push/ports"
)

// lazyMounts opens the database on its first query, inside that query's
// context: the self-test reports an unreachable database as a failed check
// among the others instead of not starting. It queries uncached.
type lazyMounts struct {
	opts gormdb.Options
	log  *slog.Logger

	mu      sync.Mutex
	query   *gormdb.MountQuery
	closeDB func()
}

var _ ports.MountStore = (*lazyMounts)(nil)

func newLazyMounts(opts gormdb.Options, log *slog.Logger) (*lazyMounts, func()) {
	l := &lazyMounts{opts: opts, log: log}
	return l, func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		if l.closeDB != nil {
			l.closeDB()
		}
	}
}

func (l *lazyMounts) MountsFor(ctx context.Context, storage domain.StorageID) ([]domain.Mount, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.query == nil {
		db, closeDB, err := gormdb.Open(ctx, l.opts.URL, l.log)
		if err != nil {
			return nil, err
		}
		q, err := gormdb.NewMountQuery(db, l.opts.Prefix, domain.NewCounters())
		if err != nil {
			closeDB()
			return nil, err
		}
		l.query, l.closeDB = q, closeDB
	}
	return l.query.MountsFor(ctx, storage)
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
