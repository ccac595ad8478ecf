package app

import (
	"io/fs"
	"time"
)

// Config is the resolved configuration of one server process, whatever its
// sources (flags, environment, .env, config.php).
type Config struct {
	// Embedded runs the self-contained demo: SQLite, in-process bus, static users.
	Embedded bool
	// DataDir holds the embedded mode's SQLite database.
	DataDir string
	// EmbeddedUsers are the static logins of the embedded mode.
	EmbeddedUsers []StaticUser

	DatabaseURL    string
	DatabasePrefix string

	RedisURLs []string
	// RedisCluster forces cluster mode with a single seed URL (config.php's
	// redis.cluster); several URLs always mean a cluster.
	RedisCluster                 bool
	RedisTLSCert                 string
	RedisTLSKey                  string
	RedisTLSCA                   string
	RedisTLSDontValidateHostname bool
	RedisTLSInsecure             bool

	NextcloudURL string
	// NextcloudCAFile is a PEM file of CA certificates trusted towards
	// Nextcloud besides the system's.
	NextcloudCAFile string
	UserAgent       string
	AllowSelfSigned bool
	// FollowAppVersion reports the app's own version to its self-test when
	// its series is one this server implements (domain.SupportedAppSeries).
	FollowAppVersion bool

	Bind              string
	Port              int
	SocketPath        string
	SocketPermissions fs.FileMode
	TLSCert           string
	TLSKey            string
	MetricsPort       int
	MetricsSocketPath string

	LogLevel string
	// LogFormat is "text" (default) or "json".
	LogFormat string
	NoANSI    bool

	MaxDebounceTime   time.Duration
	MaxConnectionTime time.Duration
	DebounceDisable   bool
	// InstanceID names this server among those sharing its Redis; empty:
	// generated at start.
	InstanceID string
	// ResyncSpread is the window over which clients told to re-check after
	// a possible loss of events are told, each at a random moment in it.
	ResyncSpread time.Duration
	// PingInterval is how long a connection may go without traffic before
	// it is pinged (PROTOCOL §3's 30 s); load tests shorten it. Zero is 30 s.
	PingInterval time.Duration
	// AuthConcurrency bounds the credential checks in flight to Nextcloud,
	// AuthQueue the logins waiting for one (zero: the defaults of
	// AuthGuardOptions); AuthCacheTTL is how long a successful check is
	// remembered (zero: not at all).
	AuthConcurrency int
	AuthQueue       int
	AuthCacheTTL    time.Duration
	// MaxPendingLogins bounds the sockets upgraded but not logged in yet.
	MaxPendingLogins int
	// MaxPendingPerAddress and AuthPerAddress bound what one client address
	// holds of the pending logins and of the credential checks in flight or
	// waiting (zero: the transport's defaults).
	MaxPendingPerAddress int
	AuthPerAddress       int
	// ClientFrameRate is how many frames a second a logged-in client may
	// send on average before it is closed (zero: the default).
	ClientFrameRate int
	// TrustedProxies (addresses, CIDR ranges) and ForwardedForHeaders
	// (Nextcloud's forwarded_for_headers) say who the client behind a
	// request is, as Nextcloud's trusted_proxies do; loopback is always
	// trusted.
	TrustedProxies      []string
	ForwardedForHeaders []string
	// AuthTimeout is how long a client may take to log in; zero is
	// PROTOCOL §3's 15 s. Not a setting: tests shorten it.
	AuthTimeout time.Duration
}

// StaticUser is one login of the embedded mode's authenticator.
type StaticUser struct {
	Login    string
	UID      string
	Password string
}

// Defaults of PROTOCOL §9.
const (
	DefaultPort           = 7867
	DefaultBind           = "::"
	DefaultDatabasePrefix = "oc_"
	DefaultLogLevel       = "warn"
	DefaultSocketPerms    = fs.FileMode(0o660)
	// DefaultMaxPendingLogins: a login in progress holds tens of KiB (an HTTP
	// goroutine and its buffers) until Nextcloud answers; this caps that.
	DefaultMaxPendingLogins = 4096
	// DefaultResyncSpread: 10,000 clients told to re-check their files,
	// activities and notifications make about 3,000 requests a second to
	// Nextcloud over 10 s, the order of a normal debounce window at that load.
	DefaultResyncSpread = 10 * time.Second
	// DefaultMaxPendingPerAddress and DefaultAuthPerAddress are far above
	// what a NAT'd office of a few hundred users has in flight, and leave
	// most of the global bounds (and the whole check queue) to everybody
	// else.
	DefaultMaxPendingPerAddress = 256
	DefaultAuthPerAddress       = 64
)
