package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"golang.org/x/sync/errgroup"

	"github.com/notifypush/notify_push/ports"
)

// Services are the long-running parts of one daemon.
type Services []ports.Service

// Daemon runs every service until the context ends or one of them fails.
type Daemon struct {
	services Services
	log      *slog.Logger
}

// NewDaemon groups the services of one process.
func NewDaemon(services Services, log *slog.Logger) *Daemon {
	return &Daemon{services: services, log: log}
}

// Run blocks until ctx ends (nil) or a service fails (its error); either way
// every service is stopped before it returns.
func (d *Daemon) Run(ctx context.Context) error {
	g, gctx := errgroup.WithContext(ctx)
	for _, s := range d.services {
		g.Go(func() error {
			if err := s.Run(gctx); err != nil && !errors.Is(err, context.Canceled) {
				return fmt.Errorf("%T: %w", s, err)
			}
			return nil
		})
	}
	return g.Wait()
}
