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

// EventPump feeds the event source into the dispatcher.
type EventPump struct {
	source     ports.EventSource
	dispatcher *Dispatcher
}

// NewEventPump joins an event source to the dispatcher.
func NewEventPump(source ports.EventSource, dispatcher *Dispatcher) *EventPump {
	return &EventPump{source: source, dispatcher: dispatcher}
}

// Run listens until ctx ends.
func (p *EventPump) Run(ctx context.Context) error {
	return p.source.Listen(ctx, p.dispatcher.HandleEvent)
}
