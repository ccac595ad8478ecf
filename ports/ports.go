package ports

import (
	"context"
	"time"

	"github.com/notifypush/notify_push/domain"
)

// EventHandler receives each decoded event. It must not block for long: it runs
// on the subscription's goroutine.
type EventHandler func(ctx context.Context, ev domain.Event)

// EventSource delivers the app's events (PROTOCOL §2).
type EventSource interface {
	// Listen subscribes to every channel of domain.Channels and calls handle
	// for each event until ctx ends. A malformed payload is logged and
	// handed on as a domain.MalformedEvent (it counts as received, nothing
	// more); a lost connection is retried forever, and once the
	// subscription is back after an interruption, handle gets
	// domain.Resubscribed. It returns nil when ctx ends, or an error only
	// when it can never work (bad configuration).
	Listen(ctx context.Context, handle EventHandler) error
}

// EventPublisher publishes one raw payload on a channel, as the Nextcloud app
// would. Used by the embedded publish route and the `send` command.
type EventPublisher interface {
	// Publish rejects payloads that do not decode for the channel, with an
	// error wrapping the decode error.
	Publish(ctx context.Context, channel string, payload []byte) error
}

// MountStore answers who has a storage mounted where (PROTOCOL §5).
type MountStore interface {
	// MountsFor returns the mounts of storage, possibly from a cache. An
	// unknown storage has no mounts, which is not an error.
	MountsFor(ctx context.Context, storage domain.StorageID) ([]domain.Mount, error)
}

// Authenticator checks a login and password against Nextcloud (PROTOCOL §6).
type Authenticator interface {
	// Authenticate returns the user id for the credentials. forwardedFor is
	// the X-Forwarded-For chain to send: the incoming chain followed by the
	// client's own address. Wrong credentials give domain.ErrInvalidCredentials;
	// a failed request gives a *domain.NextcloudError.
	Authenticate(ctx context.Context, login, password string, forwardedFor []string) (domain.UserID, error)
}

// KeyValue is the shared key-value store (Redis in production) the app and the
// server exchange self-test values through.
type KeyValue interface {
	// Get returns the value of key, and false when it is not set.
	Get(ctx context.Context, key string) (string, bool, error)
	Set(ctx context.Context, key, value string) error
}

// TokenClaims makes a pre-auth token usable once across every server that
// shares the Redis the app publishes into: each of them receives the token.
type TokenClaims interface {
	// Claim marks key (a digest of the token) used for ttl. It reports
	// false when it was claimed before, here or by another server.
	Claim(ctx context.Context, key string, ttl time.Duration) (bool, error)
}

// Instances is what several servers on one Redis know of each other: each
// announces a short report of itself (its metrics), which lives for a while
// unless renewed.
type Instances interface {
	// Announce stores report as instance's, live for ttl.
	Announce(ctx context.Context, instance, report string, ttl time.Duration) error
	// Reports returns the live reports by instance.
	Reports(ctx context.Context) (map[string]string, error)
	// Leave removes instance's report.
	Leave(ctx context.Context, instance string) error
}

// NextcloudProbe calls the app's self-test routes (PROTOCOL §7).
type NextcloudProbe interface {
	// TestCookie fetches the app's current test cookie.
	TestCookie(ctx context.Context, token string) (uint32, error)
	// TestRemote asks Nextcloud which client address it resolves for a
	// request forwarded for ip.
	TestRemote(ctx context.Context, ip, token string) (string, error)
	// TestVersion makes the app write its version into notify_push_app_version.
	TestVersion(ctx context.Context) error
}

// Clock tells the time and waits: every use of time in app/ goes through it,
// so that tests drive time with a fake clock instead of sleeping. Deadlines
// handed to adapters stay context deadlines: the sockets behind them obey the
// machine's clock.
type Clock interface {
	Now() time.Time
	// NewTimer sends the time on the timer's channel once d has passed.
	NewTimer(d time.Duration) Timer
	// AfterFunc calls f on its own goroutine once d has passed, unless the
	// timer is stopped first; the timer's channel is nil.
	AfterFunc(d time.Duration, f func()) Timer
}

// Timer is a time.Timer given by a Clock.
type Timer interface {
	C() <-chan time.Time
	// Reset and Stop behave as time.Timer's (Go 1.23 semantics: no stale
	// value is received after either).
	Reset(d time.Duration) bool
	Stop() bool
}

// Logins is the inbound port the WebSocket adapter drives: it checks a
// client's login and attaches its connection to the hub.
type Logins interface {
	// Check resolves the two login frames (login, password) to a user: a
	// pre-auth token first, then Nextcloud. forwardedFor is as for
	// Authenticator. Errors are the domain's auth errors.
	Check(ctx context.Context, login, password string, forwardedFor []string) (domain.UserID, error)
	// Attach attaches an authenticated connection of user. It fails with
	// domain.ErrConnectionLimit when the user holds too many. Messages may
	// be sent to conn as soon as Attach returns.
	Attach(user domain.UserID, conn ClientConn) (Session, error)
}

// Session is one attached connection, as seen by the transport.
type Session interface {
	// ListenFileIDs records that the client sent "listen notify_file_id".
	ListenFileIDs()
	// Close detaches the connection; the transport calls it once when the
	// connection ends for any reason. It does not call conn.Close.
	Close()
}

// ClientConn is the hub's handle on one client connection.
type ClientConn interface {
	// Send queues one message; it never blocks. While a client falls behind,
	// queued file, activity and notification messages merge as a debounce
	// slot would; a client that lets custom messages pile up beyond the
	// transport's bound is closed.
	Send(msg domain.Outgoing)
	// Close ends the connection with a close frame saying why; the transport
	// then calls Session.Close. Safe to call more than once.
	Close(reason domain.CloseReason)
}

// TestEndpoints is the inbound port of the routes under /test/ that the
// Nextcloud app calls to check the setup (PROTOCOL §7).
type TestEndpoints interface {
	// Authorize accepts token when it equals the non-empty test-token.
	Authorize(ctx context.Context, token string) error
	// Cookie is the last value received on notify_test_cookie (0 before any).
	Cookie() uint32
	// ReverseCookie fetches the app's test cookie from Nextcloud.
	ReverseCookie(ctx context.Context, token string) (uint32, error)
	// MappingCount is the number of mounts of storage that see path "".
	MappingCount(ctx context.Context, storage domain.StorageID) (int, error)
	// Remote asks Nextcloud which address it resolves when forwarded for ip.
	Remote(ctx context.Context, ip, token string) (string, error)
	// StoreVersion writes the server's version to notify_push_version.
	StoreVersion(ctx context.Context) error
}

// Service is a long-running part of the daemon: the hub's scheduler, the event
// subscription, a listener. Run blocks until ctx ends or the part fails.
type Service interface {
	Run(ctx context.Context) error
}

// Readiness tells whether the server can do its work: nil when every
// dependency is there, else an error naming what is missing.
type Readiness interface {
	Ready(ctx context.Context) error
}

// NextcloudInspector makes the self-test command's requests to Nextcloud at
// NEXTCLOUD_URL, the address the push server uses, and reports failures as
// *domain.ProbeError so that each can be explained.
type NextcloudInspector interface {
	// Status reads status.php. Redirects are not followed: they are a
	// domain.ProbeRedirect.
	Status(ctx context.Context) (domain.NextcloudStatus, error)
	// AppRoute calls GET index.php/apps/notify_push/{route} with the token
	// and X-Forwarded-For headers (each only when not empty) and returns the
	// trimmed body of a 2xx answer.
	AppRoute(ctx context.Context, route, token, forwardedFor string) (string, error)
}

// PushEndpoint is the push service as a client sees it: announced in
// Nextcloud's capabilities, reached through the reverse proxy.
type PushEndpoint interface {
	// Discover reads the notify_push capability of the Nextcloud at baseURL,
	// with HTTP Basic auth when login is not empty. No capability gives
	// domain.ErrNoPushCapability; a failed request a *domain.ProbeError.
	Discover(ctx context.Context, baseURL, login, password string) (domain.PushCapability, error)
	// Handshake opens a WebSocket to wsURL and closes it again; with a login
	// it first logs in and succeeds only on "authenticated". A refused
	// upgrade is a *domain.ProbeError, an "err: ..." a *domain.PushRefusal.
	Handshake(ctx context.Context, wsURL, login, password string) error
}
