// Package systemd tells systemd about the server's life (Type=notify): ready
// once every dependency is there, watchdog keep-alives while the process runs,
// stopping at shutdown. Outside systemd (no NOTIFY_SOCKET) it does nothing.
package systemd

import (
	"context"
	"log/slog"
	"time"

	"github.com/coreos/go-systemd/v22/daemon"

	"github.com/notifypush/notify_push/ports"
)

// readinessPoll is how often readiness is checked until it is reached.
const readinessPoll = 200 * time.Millisecond

// Notifier is the systemd notification service.
type Notifier struct {
	ready ports.Readiness
	log   *slog.Logger
}

var _ ports.Service = (*Notifier)(nil)

// NewNotifier reports readiness as ready says.
func NewNotifier(ready ports.Readiness, log *slog.Logger) *Notifier {
	return &Notifier{ready: ready, log: log}
}

// Run notifies READY=1 once ready, then WATCHDOG=1 at half the watchdog
// interval systemd asked for, and STOPPING=1 when ctx ends.
func (n *Notifier) Run(ctx context.Context) error {
	if sent, err := daemon.SdNotify(false, "STATUS=waiting for the listener"); !sent {
		if err != nil {
			n.log.Warn("systemd notification", "err", err)
		}
		return nil // not under systemd with Type=notify
	}
	if !n.waitReady(ctx) {
		return nil
	}
	if _, err := daemon.SdNotify(false, daemon.SdNotifyReady+"\nSTATUS=serving"); err != nil {
		n.log.Warn("systemd notification", "err", err)
	}
	interval, err := daemon.SdWatchdogEnabled(false)
	if err != nil {
		n.log.Warn("systemd watchdog", "err", err)
	}
	var tick <-chan time.Time
	if interval > 0 {
		ticker := time.NewTicker(interval / 2)
		defer ticker.Stop()
		tick = ticker.C
	}
	for {
		select {
		case <-ctx.Done():
			_, _ = daemon.SdNotify(false, daemon.SdNotifyStopping)
			return nil
		case <-tick:
			_, _ = daemon.SdNotify(false, daemon.SdNotifyWatchdog)
		}
	}
}

// waitReady polls readiness until it holds (true) or ctx ends (false).
func (n *Notifier) waitReady(ctx context.Context) bool {
	for {
		check, cancel := context.WithTimeout(ctx, readinessPoll*5)
		err := n.ready.Ready(check)
		cancel()
		if err == nil {
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(readinessPoll):
		}
	}
}
