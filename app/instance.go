package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/notifypush/notify_push/domain"
	"github.com/notifypush/notify_push/ports"
)

// Timing of the instance reports.
const (
	// InstanceAnnounceEvery is how often a server renews its report.
	InstanceAnnounceEvery = 10 * time.Second
	// instanceReportLife: a server that stopped renewing (killed, cut off)
	// drops out of the sum after three missed rounds.
	instanceReportLife = 3 * InstanceAnnounceEvery
	// instanceLeaveTimeout bounds the goodbye at shutdown.
	instanceLeaveTimeout = 2 * time.Second
)

// InstanceOptions name this server among the others on the same Redis.
type InstanceOptions struct {
	// ID is the name of this server; empty: the host name and a random
	// suffix, new at every start.
	ID string
}

// InstanceOptionsFrom picks the instance part of cfg.
func InstanceOptionsFrom(cfg Config) InstanceOptions { return InstanceOptions{ID: cfg.InstanceID} }

// Instance is this server among the others that share its Redis, behind one
// reverse proxy: it announces its metrics every InstanceAnnounceEvery, and
// answers the app's metrics query (notify_query) with the sum over every
// live instance, so that `occ notify_push:metrics` shows the service, not
// whichever server answered last. Run it.
type Instance struct {
	id        string
	instances ports.Instances
	counters  *domain.Counters
	clock     ports.Clock
	log       *slog.Logger
}

// NewInstance names this server and wires its reports.
func NewInstance(opts InstanceOptions, instances ports.Instances, counters *domain.Counters, clock ports.Clock,
	log *slog.Logger) *Instance {
	id := opts.ID
	if id == "" {
		id = generatedInstanceID()
	}
	return &Instance{id: id, instances: instances, counters: counters, clock: clock, log: log}
}

func generatedInstanceID() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "notify_push"
	}
	b := make([]byte, 3)
	_, _ = rand.Read(b) // never fails: crypto/rand aborts the process instead
	return host + "-" + hex.EncodeToString(b)
}

// ID is this server's name among the instances.
func (i *Instance) ID() string { return i.id }

// Run announces this server's metrics every InstanceAnnounceEvery until ctx
// ends, then withdraws them.
func (i *Instance) Run(ctx context.Context) error {
	t := i.clock.NewTimer(0)
	defer t.Stop()
	failing := false
	for {
		select {
		case <-ctx.Done():
			lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), instanceLeaveTimeout)
			defer cancel()
			if err := i.instances.Leave(lctx, i.id); err != nil {
				i.log.Debug("withdraw this instance's report", "instance", i.id, "err", err)
			}
			return nil
		case <-t.C():
		}
		if err := i.announce(ctx); err != nil && ctx.Err() == nil {
			if !failing {
				i.log.Warn("cannot announce this instance's metrics; the service's metrics lack it until Redis answers",
					"instance", i.id, "err", err)
			}
			failing = true
		} else {
			failing = false
		}
		t.Reset(InstanceAnnounceEvery)
	}
}

func (i *Instance) announce(ctx context.Context) error {
	b, err := json.Marshal(i.counters.Snapshot())
	if err != nil {
		return fmt.Errorf("encode metrics: %w", err)
	}
	return i.instances.Announce(ctx, i.id, string(b), instanceReportLife)
}

// ServiceMetrics is the sum of the metrics of every live instance, this
// one's read now, and the number of instances summed. When the reports
// cannot be read it is this instance's alone, with the error.
func (i *Instance) ServiceMetrics(ctx context.Context) (domain.MetricsSnapshot, int, error) {
	own := i.counters.Snapshot()
	if err := i.announce(ctx); err != nil {
		return own, 1, err
	}
	reports, err := i.instances.Reports(ctx)
	if err != nil {
		return own, 1, err
	}
	sum, n := own, 1
	for id, report := range reports {
		if id == i.id {
			continue
		}
		var m domain.MetricsSnapshot
		if err := json.Unmarshal([]byte(report), &m); err != nil {
			i.log.Warn("ignoring an instance's unreadable metrics report", "instance", id, "err", err)
			continue
		}
		sum, n = sum.Plus(m), n+1
	}
	i.counters.Instances.Store(int64(n))
	return sum, n, nil
}
