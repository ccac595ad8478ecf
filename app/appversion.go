package app

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/notifypush/notify_push/domain"
	"github.com/notifypush/notify_push/ports"
)

// VersionRefreshInterval is how often the app's version is read again, so
// that an app update is followed without a restart: the recheck interval of
// the nextcloud dependency, whose probe is AppVersion.Answered.
const VersionRefreshInterval = 10 * time.Minute

// publishRefreshTimeout bounds the fresh look at the app's version that POST
// /test/version takes before answering.
const publishRefreshTimeout = 5 * time.Second

// VersionOptions say whether to follow the app's version.
type VersionOptions struct {
	// Follow reports the app's version when its series is supported
	// (NOTIFY_PUSH_FOLLOW_APP_VERSION, on by default); off, the server
	// always reports domain.Version.
	Follow bool
}

// VersionOptionsFrom picks the version part of cfg.
func VersionOptionsFrom(cfg Config) VersionOptions {
	return VersionOptions{Follow: cfg.FollowAppVersion}
}

// AppVersion follows the version of the Nextcloud app: it asks Nextcloud to
// publish it (GET test/version makes the app write notify_push_app_version),
// reads it back, and decides what the server reports in notify_push_version
// (domain.ReportVersion). An app update inside the supported series thus
// needs no restart of the push server. Its Answered is the probe of the
// nextcloud dependency, which runs it again every VersionRefreshInterval.
type AppVersion struct {
	kv    ports.KeyValue
	probe ports.NextcloudProbe
	opts  VersionOptions
	log   *slog.Logger

	mu     sync.Mutex
	app    string // last version the app published; "" before
	warned string // the report reason last warned about, to warn once per change
}

// NewAppVersion wires the follower.
func NewAppVersion(opts VersionOptions, kv ports.KeyValue, probe ports.NextcloudProbe, log *slog.Logger) *AppVersion {
	return &AppVersion{kv: kv, probe: probe, opts: opts, log: log}
}

// Refresh asks Nextcloud to publish the app's version and reads it. The
// error is Nextcloud's (unreachable, or an error status); a failure to read
// the key back only keeps the last version (Redis has its own health check,
// the startup check says when the app never published). A version the app's
// self-test will refuse is warned about once.
func (v *AppVersion) Refresh(ctx context.Context) error {
	if err := v.probe.TestVersion(ctx); err != nil {
		return fmt.Errorf("nextcloud: %w", err)
	}
	app, ok, err := v.kv.Get(ctx, KeyAppVersion)
	switch {
	case err != nil:
		v.log.Debug("read the app's version", "key", KeyAppVersion, "err", err)
		return nil
	case !ok:
		v.log.Debug("the app did not publish its version", "key", KeyAppVersion)
		return nil
	}
	v.mu.Lock()
	changed := v.app != "" && v.app != app
	v.app = app
	v.mu.Unlock()
	if changed {
		v.log.Info("the app's version changed", "app_version", app)
	}
	v.warnOnce(v.Report())
	return nil
}

// Answered is the startup probe of Nextcloud: Refresh, except that an answer
// outside 2xx from the app's test/version route counts as Nextcloud being
// there. That route failing (the app disabled, a proxy rule, maintenance) is
// for the self-test to report; it must not keep every client out for good.
func (v *AppVersion) Answered(ctx context.Context) error {
	err := v.Refresh(ctx)
	if pe, ok := domain.ProbeFailureOf(err); ok && pe.Failure == domain.ProbeStatus {
		v.log.Warn("Nextcloud answers, but its test/version route fails; logins are accepted anyway "+
			"(notify_push self-test tells more)", "err", err)
		return nil
	}
	return err
}

// Report is what the server publishes now, from the last version read.
func (v *AppVersion) Report() domain.VersionReport {
	v.mu.Lock()
	app := v.app
	v.mu.Unlock()
	return domain.ReportVersion(app, v.opts.Follow)
}

// AppVersion is the last version the app published, "" before.
func (v *AppVersion) AppVersion() string {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.app
}

// warnOnce logs when the app's self-test is bound to fail, once per reason.
func (v *AppVersion) warnOnce(r domain.VersionReport) {
	app := v.AppVersion()
	if r.Following || app == "" || domain.AppAccepts(app, r.Version) {
		return
	}
	v.mu.Lock()
	repeat := v.warned == r.Reason
	v.warned = r.Reason
	v.mu.Unlock()
	if repeat {
		return
	}
	reason := r.Reason
	if !v.opts.Follow {
		reason += " (NOTIFY_PUSH_FOLLOW_APP_VERSION=false)"
	}
	v.log.Warn(fmt.Sprintf("the app's self-test will fail: this server reports version %s because %s", r.Version, reason),
		"app_version", app)
}

// Publish refreshes the app's version (the admin may just have updated the
// app) and writes the version to report into notify_push_version. A failed
// refresh falls back to the last version read.
func (v *AppVersion) Publish(ctx context.Context) error {
	rctx, cancel := context.WithTimeout(ctx, publishRefreshTimeout)
	if err := v.Refresh(rctx); err != nil {
		v.log.Debug("version refresh before publishing", "err", err)
	}
	cancel()
	r := v.Report()
	if err := v.kv.Set(ctx, KeyVersion, r.Version); err != nil {
		return fmt.Errorf("store %s: %w", KeyVersion, err)
	}
	return nil
}
