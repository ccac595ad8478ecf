package app

import (
	"context"
	"crypto/subtle"
	"fmt"
	"log/slog"
	"strings"

	"github.com/notifypush/notify_push/domain"
	"github.com/notifypush/notify_push/ports"
)

// Keys of the shared key-value store (PROTOCOL §7).
const (
	KeyTestToken  = "test-token"
	KeyVersion    = "notify_push_version"
	KeyAppVersion = "notify_push_app_version"
)

// SelfTest answers the app's self-test routes.
type SelfTest struct {
	kv         ports.KeyValue
	probe      ports.NextcloudProbe
	mounts     ports.MountStore
	dispatcher *Dispatcher
	versions   *AppVersion
}

var _ ports.SelfTest = (*SelfTest)(nil)

// NewSelfTest wires the self-test use case.
func NewSelfTest(kv ports.KeyValue, probe ports.NextcloudProbe, mounts ports.MountStore, dispatcher *Dispatcher,
	versions *AppVersion) *SelfTest {
	return &SelfTest{kv: kv, probe: probe, mounts: mounts, dispatcher: dispatcher, versions: versions}
}

// Authorize compares token in constant time with the non-empty test-token.
func (s *SelfTest) Authorize(ctx context.Context, token string) error {
	want, ok, err := s.kv.Get(ctx, KeyTestToken)
	if err != nil {
		return fmt.Errorf("read %s: %w", KeyTestToken, err)
	}
	if !ok || want == "" || token == "" || subtle.ConstantTimeCompare([]byte(want), []byte(token)) != 1 {
		return domain.ErrInvalidToken
	}
	return nil
}

// Cookie is the last notify_test_cookie value.
func (s *SelfTest) Cookie() uint32 { return s.dispatcher.TestCookie() }

// ReverseCookie asks Nextcloud for its test cookie.
func (s *SelfTest) ReverseCookie(ctx context.Context, token string) (uint32, error) {
	return s.probe.TestCookie(ctx, token)
}

// MappingCount counts the mount rows of storage that see its root path "".
func (s *SelfTest) MappingCount(ctx context.Context, storage domain.StorageID) (int, error) {
	mounts, err := s.mounts.MountsFor(ctx, storage)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, m := range mounts {
		if strings.HasPrefix("", m.Root) {
			n++
		}
	}
	return n, nil
}

// Remote asks Nextcloud which address it resolves for a request forwarded for ip.
func (s *SelfTest) Remote(ctx context.Context, ip, token string) (string, error) {
	return s.probe.TestRemote(ctx, ip, token)
}

// StoreVersion publishes the version to report for the app's version check:
// the app's own when it is followed (AppVersion.Publish).
func (s *SelfTest) StoreVersion(ctx context.Context) error {
	return s.versions.Publish(ctx)
}

// StartupCheck runs PROTOCOL §7's own check once every dependency has
// answered (Startup.Ready): a mapping query, a key-value round trip and the
// app's version. Failures are logged, not fatal.
type StartupCheck struct {
	mounts   ports.MountStore
	kv       ports.KeyValue
	versions *AppVersion
	startup  *Startup
	log      *slog.Logger
}

// NewStartupCheck wires the startup check.
func NewStartupCheck(mounts ports.MountStore, kv ports.KeyValue, versions *AppVersion, startup *Startup,
	log *slog.Logger) *StartupCheck {
	return &StartupCheck{mounts: mounts, kv: kv, versions: versions, startup: startup, log: log}
}

// Run waits until the server is ready, performs the check and returns; it
// never fails the daemon.
func (c *StartupCheck) Run(ctx context.Context) error {
	select {
	case <-ctx.Done():
		return nil
	case <-c.startup.Ready():
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
