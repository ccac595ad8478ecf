package app

import (
	"context"
	"crypto/subtle"
	"fmt"
	"net/netip"
	"strings"

	"github.com/notifypush/notify_push/domain"
	"github.com/notifypush/notify_push/ports"
)

// TestEndpoints answers the routes under /test/ that the Nextcloud app calls
// in `occ notify_push:setup` and `occ notify_push:self-test` (PROTOCOL §7).
// Not to be confused with the server's own `notify_push self-test` command
// (Diagnosis) or its check at start (StartupCheck).
type TestEndpoints struct {
	kv         ports.KeyValue
	probe      ports.NextcloudProbe
	mounts     ports.MountStore
	dispatcher *Dispatcher
	versions   *AppVersion
}

var _ ports.TestEndpoints = (*TestEndpoints)(nil)

// NewTestEndpoints wires the answers to the app's test routes.
func NewTestEndpoints(kv ports.KeyValue, probe ports.NextcloudProbe, mounts ports.MountStore, dispatcher *Dispatcher,
	versions *AppVersion) *TestEndpoints {
	return &TestEndpoints{kv: kv, probe: probe, mounts: mounts, dispatcher: dispatcher, versions: versions}
}

// Authorize compares token in constant time with the non-empty test-token.
func (s *TestEndpoints) Authorize(ctx context.Context, token string) error {
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
func (s *TestEndpoints) Cookie() uint32 { return s.dispatcher.TestCookie() }

// ReverseCookie asks Nextcloud for its test cookie.
func (s *TestEndpoints) ReverseCookie(ctx context.Context, token string) (uint32, error) {
	return s.probe.TestCookie(ctx, token)
}

// MappingCount counts the mount rows of storage that see its root path "".
func (s *TestEndpoints) MappingCount(ctx context.Context, storage domain.StorageID) (int, error) {
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

// Remote asks Nextcloud which address it resolves for a request forwarded
// for ip. As upstream, an answer that is not an IP address is an error, so
// that an HTML page never passes for the address the app compares.
func (s *TestEndpoints) Remote(ctx context.Context, ip, token string) (string, error) {
	answer, err := s.probe.TestRemote(ctx, ip, token)
	if err != nil {
		return "", err
	}
	addr, err := netip.ParseAddr(answer)
	if err != nil || addr.Zone() != "" {
		return "", fmt.Errorf("Invalid response when testing if the push server is a trusted proxy: %q is not an IP address", truncateText(answer))
	}
	return addr.String(), nil
}

// truncateText keeps an answer quoted in an error short.
func truncateText(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}

// StoreVersion publishes the version to report for the app's version check:
// the app's own when it is followed (AppVersion.Publish).
func (s *TestEndpoints) StoreVersion(ctx context.Context) error {
	return s.versions.Publish(ctx)
}
