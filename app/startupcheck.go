package app

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/notifypush/notify_push/domain"
	"github.com/notifypush/notify_push/ports"
)

// StartupCheck is the server's own check at start (PROTOCOL §7), run once
// every dependency has answered: a mapping query, a key-value round trip and
// the app's version. Failures are logged, not fatal.
type StartupCheck struct {
	mounts   ports.MountStore
	kv       ports.KeyValue
	versions *AppVersion
	deps     *Dependencies
	log      *slog.Logger
}

// NewStartupCheck wires the startup check.
func NewStartupCheck(mounts ports.MountStore, kv ports.KeyValue, versions *AppVersion, deps *Dependencies,
	log *slog.Logger) *StartupCheck {
	return &StartupCheck{mounts: mounts, kv: kv, versions: versions, deps: deps, log: log}
}

// Run waits until the server is ready, performs the check and returns; it
// never fails the daemon.
func (c *StartupCheck) Run(ctx context.Context) error {
	select {
	case <-ctx.Done():
		return nil
	case <-c.deps.AllUp():
	}
	c.Check(ctx)
	return nil
}

// Check returns the problems found, each also logged as a warning.
func (c *StartupCheck) Check(ctx context.Context) []error {
	var problems []error
	warn := func(err error) {
		problems = append(problems, err)
		c.log.Warn("startup self-check", "err", err)
	}
	if _, err := c.mounts.MountsFor(ctx, 1); err != nil {
		warn(fmt.Errorf("database: %w", err))
	}
	// Without Nextcloud the app's version is unknown, but Redis is still
	// checked and the server's own version still published.
	refreshErr := c.versions.Refresh(ctx)
	if refreshErr != nil {
		warn(refreshErr)
	}
	report := c.versions.Report()
	if err := c.kv.Set(ctx, KeyVersion, report.Version); err != nil {
		warn(fmt.Errorf("redis: %w", err))
	} else if _, _, err := c.kv.Get(ctx, KeyVersion); err != nil {
		warn(fmt.Errorf("redis: %w", err))
	}
	if refreshErr != nil {
		return problems
	}
	app := c.versions.AppVersion()
	switch {
	case app == "":
		warn(fmt.Errorf("the app did not publish its version in %s: is Nextcloud using the same Redis?", KeyAppVersion))
	case !domain.AppAccepts(app, report.Version):
		// Refresh has warned already, once per cause.
		problems = append(problems, fmt.Errorf("app version %s: this server reports %s because %s; the app's self-test will fail",
			app, report.Version, report.Reason))
	case report.Following:
		c.log.Info("startup self-check passed; reporting the app's version", "app_version", app)
	default:
		c.log.Info("startup self-check passed", "app_version", app, "reported", report.Version)
	}
	return problems
}
