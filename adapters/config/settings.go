package config

import (
	"fmt"
	"io/fs"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/notifypush/notify_push/app"
	"github.com/notifypush/notify_push/domain"
)

// setting is one configuration value with every name it goes by.
type setting struct {
	flag   string // long flag name, without dashes
	short  string // one-letter alias, or ""
	env    string // environment variable, or "" for flag-only settings
	def    string // default, as shown in --help and applied when unset
	help   string
	bool   bool // a flag that takes no value
	repeat bool // may be given several times
	secret bool // masked in --dump-config
	// action marks what the command line asks for rather than configures
	// (--help, --version, --dump-config): flag only, never dumped.
	action bool
	// presence: from the environment, being set at all switches the
	// setting on, whatever the value (upstream's DEBOUNCE_DISABLE).
	presence bool
	// lenient: from the environment, a word that is not a boolean is off
	// (with a warning) rather than an error, as upstream reads anything but
	// "true" as off.
	lenient bool
	apply   func(r *Result, value string) error
}

// settings is every setting of PROTOCOL §9 plus the embedded mode's, in
// the order --help and --dump-config show them.
var settings = []setting{
	{flag: "database-url", env: "DATABASE_URL", secret: true,
		help:  "database URL: postgres://, mysql:// or sqlite://",
		apply: func(r *Result, v string) error { r.Config.DatabaseURL = v; return nil }},
	{flag: "database-prefix", env: "DATABASE_PREFIX", def: app.DefaultDatabasePrefix,
		help:  "table prefix of the Nextcloud database",
		apply: func(r *Result, v string) error { r.Config.DatabasePrefix = v; return nil }},
	{flag: "redis-url", env: "REDIS_URL", repeat: true, secret: true,
		help: "redis://, rediss:// or redis+unix:// URL; give several for a cluster",
		apply: func(r *Result, v string) error {
			r.Config.RedisURLs = append(r.Config.RedisURLs, splitList(v)...)
			return nil
		}},
	{flag: "redis-tls-cert", env: "REDIS_TLS_CERT", help: "client certificate for Redis TLS",
		apply: func(r *Result, v string) error { r.Config.RedisTLSCert = v; return nil }},
	{flag: "redis-tls-key", env: "REDIS_TLS_KEY", help: "client key for Redis TLS",
		apply: func(r *Result, v string) error { r.Config.RedisTLSKey = v; return nil }},
	{flag: "redis-tls-ca", env: "REDIS_TLS_CA", help: "CA certificate for Redis TLS",
		apply: func(r *Result, v string) error { r.Config.RedisTLSCA = v; return nil }},
	{flag: "redis-tls-dont-validate-hostname", env: "REDIS_TLS_DONT_VALIDATE_HOSTNAME", bool: true,
		help: "do not check the Redis certificate's host name (non-zero = on)",
		apply: func(r *Result, v string) (err error) {
			r.Config.RedisTLSDontValidateHostname, err = parseSwitch(v)
			return
		}},
	{flag: "redis-tls-insecure", env: "REDIS_TLS_INSECURE", bool: true,
		help:  "do not check the Redis certificate at all (non-zero = on)",
		apply: func(r *Result, v string) (err error) { r.Config.RedisTLSInsecure, err = parseSwitch(v); return }},
	{flag: "nextcloud-url", env: "NEXTCLOUD_URL",
		help:  "base URL the server reaches Nextcloud at",
		apply: func(r *Result, v string) error { r.Config.NextcloudURL = v; return nil }},
	{flag: "nextcloud-ca-file", env: "NEXTCLOUD_CA_FILE",
		help:  "PEM file of CA certificates to trust towards Nextcloud, besides the system's",
		apply: func(r *Result, v string) error { r.Config.NextcloudCAFile = v; return nil }},
	{flag: "allow-self-signed", env: "ALLOW_SELF_SIGNED", bool: true, lenient: true,
		help:  "skip TLS certificate checks towards Nextcloud (last resort: prefer --nextcloud-ca-file)",
		apply: func(r *Result, v string) (err error) { r.Config.AllowSelfSigned, err = parseSwitch(v); return }},
	{flag: "follow-app-version", env: "NOTIFY_PUSH_FOLLOW_APP_VERSION", bool: true, def: "true",
		help: "report the Nextcloud app's version to its self-test when its series is one this server implements; " +
			"--follow-app-version=false always reports the server's own",
		apply: func(r *Result, v string) (err error) { r.Config.FollowAppVersion, err = parseSwitch(v); return }},
	{flag: "user-agent", env: "USER_AGENT", help: "User-Agent sent to Nextcloud (none by default)",
		apply: func(r *Result, v string) error { r.Config.UserAgent = v; return nil }},
	{flag: "port", short: "p", env: "PORT", def: strconv.Itoa(app.DefaultPort),
		help:  "TCP port to listen on (0 picks a free one)",
		apply: func(r *Result, v string) (err error) { r.Config.Port, err = parsePort(v); return }},
	{flag: "bind", env: "BIND", def: app.DefaultBind,
		help:  "IP address to bind; :: is all addresses, falling back to 0.0.0.0",
		apply: func(r *Result, v string) error { r.Config.Bind = v; return nil }},
	{flag: "socket-path", env: "SOCKET_PATH", help: "listen on this unix socket instead of TCP",
		apply: func(r *Result, v string) error { r.Config.SocketPath = v; return nil }},
	{flag: "socket-permissions", env: "SOCKET_PERMISSIONS", def: "0660", help: "octal permissions of the unix socket",
		apply: func(r *Result, v string) (err error) { r.Config.SocketPermissions, err = parseMode(v); return }},
	{flag: "metrics-port", short: "m", env: "METRICS_PORT",
		help:  "serve Prometheus metrics on this TCP port (off unless this or --metrics-socket-path is set)",
		apply: func(r *Result, v string) (err error) { r.Config.MetricsPort, err = parsePort(v); return }},
	{flag: "metrics-socket-path", env: "METRICS_SOCKET_PATH", help: "serve Prometheus metrics on this unix socket",
		apply: func(r *Result, v string) error { r.Config.MetricsSocketPath = v; return nil }},
	{flag: "tls-cert", env: "TLS_CERT", help: "certificate to serve HTTPS/WSS directly",
		apply: func(r *Result, v string) error { r.Config.TLSCert = v; return nil }},
	{flag: "tls-key", env: "TLS_KEY", help: "key to serve HTTPS/WSS directly",
		apply: func(r *Result, v string) error { r.Config.TLSKey = v; return nil }},
	{flag: "log-level", env: "LOG", def: app.DefaultLogLevel,
		help: "log spec, as upstream's: a level (off, error, warn, info, debug, trace) or per module, " +
			"notify_push=debug,sqlx=warn or notify_push::send=debug",
		apply: func(r *Result, v string) error {
			if _, err := app.ParseLogSpec(v); err != nil {
				return err
			}
			r.Config.LogLevel = v
			return nil
		}},
	{flag: "log-format", env: "LOG_FORMAT", def: "text", help: "log format: text, or json for log collectors",
		apply: func(r *Result, v string) error {
			switch strings.ToLower(strings.TrimSpace(v)) {
			case "text", "json":
				r.Config.LogFormat = strings.ToLower(strings.TrimSpace(v))
				return nil
			}
			return fmt.Errorf("%q is not a log format (want text or json)", v)
		}},
	{flag: "no-ansi", env: "NO_ANSI", bool: true, lenient: true, help: "plain log output without colours",
		apply: func(r *Result, v string) (err error) { r.Config.NoANSI, err = parseSwitch(v); return }},
	{flag: "max-debounce-time", env: "MAX_DEBOUNCE_TIME", def: "15",
		help: "upper bound of the load-scaled debounce time, in seconds (0 is taken as 1, as upstream does)",
		apply: func(r *Result, v string) (err error) {
			r.Config.MaxDebounceTime, err = parseSeconds(v, 0)
			// Upstream's debounce time is at least a second whatever the bound.
			r.Config.MaxDebounceTime = max(r.Config.MaxDebounceTime, time.Second)
			return
		}},
	{flag: "max-connection-time", env: "MAX_CONNECTION_TIME", def: "0",
		help:  "close connections after this many seconds so clients re-authenticate (0 = never)",
		apply: func(r *Result, v string) (err error) { r.Config.MaxConnectionTime, err = parseSeconds(v, 0); return }},
	{flag: "instance-id", env: "NOTIFY_PUSH_INSTANCE_ID",
		help:  "this server's name among several sharing one Redis (in their summed metrics); default: the host name and a random suffix",
		apply: func(r *Result, v string) error { r.Config.InstanceID = v; return nil }},
	{flag: "resync-spread", env: "RESYNC_SPREAD", def: strconv.Itoa(int(app.DefaultResyncSpread / time.Second)),
		help: "seconds over which clients are told to re-check after events may have been lost (Redis or the " +
			"database back after an outage), each at a random moment, so they do not reach Nextcloud at once (0 = at once)",
		apply: func(r *Result, v string) (err error) { r.Config.ResyncSpread, err = parseSeconds(v, 0); return }},
	{flag: "auth-concurrency", env: "AUTH_CONCURRENCY", def: strconv.Itoa(app.DefaultAuthConcurrency),
		help: "most credential checks sent to Nextcloud at once; further logins wait in the queue",
		apply: func(r *Result, v string) (err error) {
			r.Config.AuthConcurrency, err = parseCount(v, 1)
			return
		}},
	{flag: "auth-queue", env: "AUTH_QUEUE", def: strconv.Itoa(app.DefaultAuthQueue),
		help: "most logins waiting for a credential check; past it they get " +
			"\"err: Too many concurrent logins, try again later\"",
		apply: func(r *Result, v string) (err error) { r.Config.AuthQueue, err = parseCount(v, 1); return }},
	{flag: "auth-cache-ttl", env: "AUTH_CACHE_TTL", def: strconv.Itoa(int(app.DefaultAuthCacheTTL / time.Second)),
		help: "seconds a successful login is remembered, so reconnect storms reach Nextcloud once per user " +
			"(0 = off; failed logins are never remembered)",
		apply: func(r *Result, v string) (err error) { r.Config.AuthCacheTTL, err = parseSeconds(v, 0); return }},
	{flag: "max-pending-logins", env: "MAX_PENDING_LOGINS", def: strconv.Itoa(app.DefaultMaxPendingLogins),
		help:  "most connections upgraded but not yet logged in; past it upgrades get 503 with Retry-After",
		apply: func(r *Result, v string) (err error) { r.Config.MaxPendingLogins, err = parseCount(v, 1); return }},
	{flag: "max-pending-logins-per-address", env: "MAX_PENDING_LOGINS_PER_ADDRESS",
		def: strconv.Itoa(app.DefaultMaxPendingPerAddress),
		help: "most connections upgraded but not yet logged in from one client address (an IPv6 /64); " +
			"past it that address gets 503 with Retry-After",
		apply: func(r *Result, v string) (err error) { r.Config.MaxPendingPerAddress, err = parseCount(v, 1); return }},
	{flag: "auth-per-address", env: "AUTH_PER_ADDRESS", def: strconv.Itoa(app.DefaultAuthPerAddress),
		help: "most credential checks one client address may have in flight or waiting; past it that address gets " +
			"\"err: Too many concurrent logins, try again later\"",
		apply: func(r *Result, v string) (err error) { r.Config.AuthPerAddress, err = parseCount(v, 1); return }},
	{flag: "client-frame-rate", env: "CLIENT_FRAME_RATE", def: strconv.Itoa(domain.DefaultClientFrameRate),
		help: "frames a second a logged-in client may send on average, in bursts of ten seconds' worth; " +
			"past it the connection is closed with 1008 (clients send one command and a pong per ping)",
		apply: func(r *Result, v string) (err error) { r.Config.ClientFrameRate, err = parseCount(v, 1); return }},
	{flag: "trusted-proxies", env: "TRUSTED_PROXIES", repeat: true,
		help: "reverse proxies whose forwarded-for headers name the client, as addresses or CIDR ranges, " +
			"separated by commas or spaces as in Nextcloud's container image (config.php: trusted_proxies); " +
			"127.0.0.1 and ::1 are always trusted",
		apply: func(r *Result, v string) error {
			list := splitWords(v)
			if _, err := domain.NewClientAddressRule(list, nil); err != nil {
				return err
			}
			r.Config.TrustedProxies = append(r.Config.TrustedProxies, list...)
			return nil
		}},
	{flag: "forwarded-for-headers", env: "FORWARDED_FOR_HEADERS", repeat: true,
		help: "headers a trusted proxy names the client in, as PHP server keys (HTTP_X_FORWARDED_FOR, the default) " +
			"or header names, separated by commas or spaces (config.php: forwarded_for_headers)",
		apply: func(r *Result, v string) error {
			list := splitWords(v)
			if _, err := domain.NewClientAddressRule(nil, list); err != nil {
				return err
			}
			r.Config.ForwardedForHeaders = append(r.Config.ForwardedForHeaders, list...)
			return nil
		}},
	{flag: "debounce-disable", env: "DEBOUNCE_DISABLE", bool: true, presence: true,
		help:  "send every message at once (for tests); as upstream, DEBOUNCE_DISABLE set to any value switches it on",
		apply: func(r *Result, v string) (err error) { r.Config.DebounceDisable, err = parseSwitch(v); return }},
	{flag: "ping-interval", env: "NOTIFY_PUSH_PING_INTERVAL", def: "30",
		help:  "seconds without traffic before a client is pinged (for load tests; keep the default in production)",
		apply: func(r *Result, v string) (err error) { r.Config.PingInterval, err = parseSeconds(v, 1); return }},
	{flag: "embedded", bool: true,
		help:  "run the self-contained demo: SQLite, in-process events, demo users; no Nextcloud needed",
		apply: func(r *Result, v string) (err error) { r.Config.Embedded, err = parseSwitch(v); return }},
	{flag: "data-dir", env: "NOTIFY_PUSH_DATA_DIR", def: "notify_push-data",
		help:  "folder of the embedded mode's SQLite database",
		apply: func(r *Result, v string) error { r.Config.DataDir = v; return nil }},
	{flag: "embedded-users", env: "NOTIFY_PUSH_EMBEDDED_USERS", secret: true,
		help:  "embedded logins as login:password[:uid], comma-separated, instead of the demo's (alice, bob, carol)",
		apply: func(r *Result, v string) (err error) { r.Config.EmbeddedUsers, err = parseUsers(v); return }},
	{flag: "glob-config", bool: true,
		help:  "also load every *.config.php beside config.php, merged over it, as Nextcloud does",
		apply: func(r *Result, v string) (err error) { r.GlobConfig, err = parseSwitch(v); return }},
	{flag: "dump-config", bool: true, action: true,
		help:  "print the resolved configuration and where each value came from (secrets masked), then exit",
		apply: func(r *Result, v string) (err error) { r.DumpConfig, err = parseSwitch(v); return }},
	{flag: "version", bool: true, action: true, help: "print the version and exit",
		apply: func(r *Result, v string) (err error) { r.Version, err = parseSwitch(v); return }},
	{flag: "help", short: "h", bool: true, action: true, help: "print this help and exit",
		apply: func(r *Result, v string) (err error) { r.Help, err = parseSwitch(v); return }},
}

func splitList(v string) []string {
	var out []string
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// splitWords splits a list separated by commas, spaces or both.
func splitWords(v string) []string {
	return strings.FieldsFunc(v, func(r rune) bool { return r == ',' || unicode.IsSpace(r) })
}

// parseSwitch accepts true/false, yes/no, on/off and integers, non-zero
// meaning on (upstream's ALLOW_SELF_SIGNED=true, its REDIS_TLS_*=1), whatever
// their size.
func parseSwitch(v string) (bool, error) {
	t := strings.ToLower(strings.TrimSpace(v))
	switch t {
	case "true", "yes", "on":
		return true, nil
	case "false", "no", "off", "":
		return false, nil
	}
	digits := strings.TrimLeft(t, "+-")
	if len(t)-len(digits) > 1 || digits == "" || strings.Trim(digits, "0123456789") != "" {
		return false, fmt.Errorf("%q is not a boolean (want true, false, 1 or 0)", v)
	}
	return strings.Trim(digits, "0") != "", nil
}

func parsePort(v string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < 0 || n > 65535 {
		return 0, fmt.Errorf("%q is not a port number (0-65535)", v)
	}
	return n, nil
}

// parseMode reads octal permissions, with the setuid, setgid and sticky
// digit too (1770), as upstream does.
func parseMode(v string) (fs.FileMode, error) {
	n, err := strconv.ParseUint(strings.TrimSpace(v), 8, 32)
	if err != nil || n > 0o7777 {
		return 0, fmt.Errorf("%q is not an octal permission like 0660", v)
	}
	mode := fs.FileMode(n & 0o777)
	for _, b := range []struct {
		bit  uint64
		mode fs.FileMode
	}{{0o4000, fs.ModeSetuid}, {0o2000, fs.ModeSetgid}, {0o1000, fs.ModeSticky}} {
		if n&b.bit != 0 {
			mode |= b.mode
		}
	}
	return mode, nil
}

func parseSeconds(v string, min int) (time.Duration, error) {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < min || int64(n) > 1<<31 {
		return 0, fmt.Errorf("%q is not a whole number of seconds (at least %d)", v, min)
	}
	return time.Duration(n) * time.Second, nil
}

// parseCount reads a whole number of at least min, and at most a million: a
// bound past that is a typo, not a setting.
func parseCount(v string, min int) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < min || n > 1_000_000 {
		return 0, fmt.Errorf("%q is not a whole number from %d to 1000000", v, min)
	}
	return n, nil
}

func parseUsers(v string) ([]app.StaticUser, error) {
	var users []app.StaticUser
	for _, entry := range splitList(v) {
		parts := strings.SplitN(entry, ":", 3)
		if len(parts) < 2 || parts[0] == "" {
			return nil, fmt.Errorf("user entry %q: want login:password[:uid]", maskUser(entry))
		}
		u := app.StaticUser{Login: parts[0], Password: parts[1], UID: parts[0]}
		if len(parts) == 3 && parts[2] != "" {
			u.UID = parts[2]
		}
		users = append(users, u)
	}
	return users, nil
}

func maskUser(entry string) string {
	login, _, _ := strings.Cut(entry, ":")
	return login + ":***"
}
