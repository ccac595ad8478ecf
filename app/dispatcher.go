package app

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync/atomic"

	"github.com/notifypush/notify_push/domain"
	"github.com/notifypush/notify_push/ports"
)

// Dispatcher is where every event from the Nextcloud app arrives: Run
// listens to the event source, and HandleEvent turns each event into
// deliveries and server-wide effects. It runs on the event source's goroutine
// and never waits for the database: storage updates go to the Mapper.
type Dispatcher struct {
	source   ports.EventSource
	instance *Instance
	hub      *Hub
	mapper   *Mapper
	kv       ports.KeyValue
	preAuth  *PreAuth
	logs     *LogFilter
	clock    ports.Clock
	counters *domain.Counters
	log      *slog.Logger
	// received logs each event as upstream does, at debug.
	received *slog.Logger

	testCookie atomic.Uint32
}

// NewDispatcher wires the event handling use case to source. logs is what
// notify_config changes; nil ignores it.
func NewDispatcher(source ports.EventSource, instance *Instance, hub *Hub, mapper *Mapper, kv ports.KeyValue,
	preAuth *PreAuth, logs *LogFilter, clock ports.Clock, counters *domain.Counters, log *slog.Logger) *Dispatcher {
	return &Dispatcher{source: source, instance: instance, hub: hub, mapper: mapper, kv: kv, preAuth: preAuth, logs: logs,
		clock: clock, counters: counters, log: log, received: log.With(domain.TargetKey, domain.TargetReceive)}
}

// Run listens to the event source until ctx ends.
func (d *Dispatcher) Run(ctx context.Context) error {
	return d.source.Listen(ctx, d.HandleEvent)
}

// TestCookie is the last value received on notify_test_cookie.
func (d *Dispatcher) TestCookie() uint32 { return d.testCookie.Load() }

// HandleEvent is the ports.EventHandler of the event source.
func (d *Dispatcher) HandleEvent(ctx context.Context, ev domain.Event) {
	if _, ok := ev.(domain.Resubscribed); ok {
		d.resync()
		return
	}
	d.counters.EventsReceived.Add(1)
	d.counters.EventOn(ev.Channel())
	if _, bad := ev.(domain.MalformedEvent); bad {
		return // counted; the event source has logged why
	}
	if d.received.Enabled(ctx, slog.LevelDebug) {
		d.received.Debug("Received " + domain.DescribeEvent(ev))
	}
	now := d.clock.Now()
	switch e := ev.(type) {
	case domain.StorageUpdate:
		d.mapper.Update(e, now)
	case domain.GroupMembershipUpdate:
		d.hub.deliver(e.User, slotUpdate{kind: domain.KindFile}, now, d.hub.debounceBase())
	case domain.UserShareCreated:
		d.hub.deliver(e.User, slotUpdate{kind: domain.KindFile}, now, d.hub.debounceBase())
	case domain.Activity:
		d.hub.deliver(e.User, slotUpdate{kind: domain.KindActivity}, now, d.hub.debounceBase())
	case domain.Notification:
		d.hub.deliver(e.User, slotUpdate{kind: domain.KindNotification}, now, d.hub.debounceBase())
	case domain.Custom:
		d.hub.sendCustom(e.User, domain.EncodeCustom(e.Message, e.Body))
	case domain.PreAuth:
		d.preAuth.Add(e.Token, e.User, now)
	case domain.TestCookie:
		d.testCookie.Store(e.Cookie)
	case domain.Query:
		d.answerMetrics(ctx)
	case domain.Signal:
		n := d.hub.CloseAll(domain.CloseReset)
		d.log.Info("reset signal: closed every connection", "connections", n)
	case domain.ConfigChange:
		d.changeLogLevel(e)
	default:
		d.log.Warn("unhandled event", "channel", ev.Channel())
	}
}

// everyKind is what a client re-checks after a possible loss of events.
var everyKind = []domain.MessageKind{domain.KindFile, domain.KindActivity, domain.KindNotification}

// resync tells every client to re-check files, activities and
// notifications: the subscription is back after an interruption, and what
// the app published meanwhile is lost.
func (d *Dispatcher) resync() {
	n := d.hub.Resync(everyKind, d.clock.Now())
	d.counters.Resynced(domain.ResyncRedis, n)
	d.log.Info("event subscription back after an interruption: every client told to re-check",
		"clients", n, "reason", domain.ResyncRedis.String(), "spread", d.hub.opts.ResyncSpread)
}

// answerMetrics writes the service's metrics, summed over every instance
// that shares the Redis, where `occ notify_push:metrics` reads them.
func (d *Dispatcher) answerMetrics(ctx context.Context) {
	sum, n, err := d.instance.ServiceMetrics(ctx)
	if err != nil {
		d.log.Warn("answer metrics query: this instance's figures only", "err", err)
	}
	d.log.Debug("metrics query answered", "instances", n)
	b, err := json.Marshal(sum)
	if err != nil {
		d.log.Error("encode metrics", "err", err)
		return
	}
	if err := d.kv.Set(ctx, KeyMetrics, string(b)); err != nil {
		d.log.Warn("answer metrics query", "err", err)
	}
}

// changeLogLevel is notify_config: a spec pushed over the one in force, or
// the one before it put back, with upstream's log lines.
func (d *Dispatcher) changeLogLevel(e domain.ConfigChange) {
	if d.logs == nil {
		return
	}
	if e.Restore {
		d.logs.Pop()
		d.log.Info("Restored log level")
		return
	}
	if err := d.logs.Push(e.LogSpec); err != nil {
		d.log.Error("Failed to set log level: " + err.Error())
		return
	}
	d.log.Info("Set log level to " + e.LogSpec)
}
