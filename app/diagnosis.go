package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/notifypush/notify_push/domain"
	"github.com/notifypush/notify_push/ports"
)

// DefaultDiagnoseTimeout bounds each check of the self-test command.
const DefaultDiagnoseTimeout = 10 * time.Second

// ForwardedTestIP is the address the trusted-proxy check forwards, the one
// the app's own self-test uses.
const ForwardedTestIP = "1.2.3.4"

// Keys the app's test/remote route writes into its Redis.
const (
	KeyRemote          = "notify_push_remote"
	KeyForwardedHeader = "notify_push_forwarded_header"
)

// DiagnoseOptions say what the self-test command checks.
type DiagnoseOptions struct {
	// NextcloudURL is NEXTCLOUD_URL: where this server reaches Nextcloud.
	NextcloudURL string
	// NextcloudURLSource says where NextcloudURL was set ("overwrite.cli.url
	// in config.php", "NEXTCLOUD_URL (environment)"), for hints.
	NextcloudURLSource string
	// PublicURL is the Nextcloud URL clients use (the command's argument);
	// empty means NextcloudURL.
	PublicURL string
	// Login and Password are a Nextcloud user's (an app password), used for
	// the capabilities and a login through the reverse proxy. Optional.
	Login, Password string
	// WebSocketURL, when set, is tested instead of the announced endpoint.
	WebSocketURL string
	// FollowAppVersion is the server's NOTIFY_PUSH_FOLLOW_APP_VERSION: it
	// reports the app's version when its series is supported.
	FollowAppVersion bool
	// DatabaseShown and RedisShown name the database and Redis in messages,
	// without passwords.
	DatabaseShown, RedisShown string
	// Timeout bounds each check (DefaultDiagnoseTimeout when zero).
	Timeout time.Duration
}

// Outcome is how one check ended.
type Outcome uint8

const (
	Passed Outcome = iota + 1
	Failed
	// Skipped: the check could not run because an earlier one failed or
	// something it needs was not given; it does not fail the self-test.
	Skipped
)

// Finding is the result of one check: a one-line summary and, for a
// failure, what it means and how to fix it.
type Finding struct {
	Check   string
	Outcome Outcome
	Summary string
	Meaning string
	Fix     string
	// Notes are remarks that do not fail the check.
	Notes []string
}

// Diagnosis runs, from the push server's side, the checks that the app's
// `occ notify_push:setup` runs, and explains every failure. Build it with
// NewDiagnosis.
type Diagnosis struct {
	mounts ports.MountStore
	kv     ports.KeyValue
	nc     ports.NextcloudInspector
	push   ports.PushEndpoint
	opts   DiagnoseOptions
}

// NewDiagnosis validates opts and wires the use case.
func NewDiagnosis(mounts ports.MountStore, kv ports.KeyValue, nc ports.NextcloudInspector, push ports.PushEndpoint,
	opts DiagnoseOptions) (*Diagnosis, error) {
	if mounts == nil || kv == nil || nc == nil || push == nil {
		return nil, errors.New("diagnosis needs a mount store, a key-value store, a Nextcloud inspector and a push endpoint")
	}
	if opts.NextcloudURL == "" {
		return nil, errors.New("diagnosis needs the Nextcloud URL")
	}
	if opts.PublicURL == "" {
		opts.PublicURL = opts.NextcloudURL
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultDiagnoseTimeout
	}
	return &Diagnosis{mounts: mounts, kv: kv, nc: nc, push: push, opts: opts}, nil
}

// diagnosisRun carries what later checks need from earlier ones.
type diagnosisRun struct {
	*Diagnosis
	report func(Finding)
	failed int

	redisOK      bool
	nextcloudOK  bool
	tokenRefused bool
	token        string
	shared       bool
	appVersion   string
	wsURL        string
}

// Run performs every check in order, calling report with each finding as
// soon as it is known, and returns how many checks failed.
func (d *Diagnosis) Run(ctx context.Context, report func(Finding)) int {
	r := &diagnosisRun{Diagnosis: d, report: report, token: randomToken()}
	r.emit(r.checkDatabase(ctx))
	f, prevToken, hadToken := r.checkRedis(ctx)
	r.emit(f)
	r.emit(r.checkNextcloud(ctx))
	r.emit(r.checkTestToken(ctx))
	r.emit(r.checkSharedRedis(ctx))
	r.emit(r.checkTrustedProxy(ctx))
	r.emit(r.checkVersion())
	r.emit(r.checkCapability(ctx))
	r.emit(r.checkReverseProxy(ctx))
	if r.redisOK {
		// Leave the app's own test-token as it was ("" = none).
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), d.opts.Timeout)
		r.restore(ctx, KeyTestToken, prevToken, hadToken)
		cancel()
	}
	return r.failed
}

func (r *diagnosisRun) emit(f Finding) {
	if f.Outcome == Failed {
		r.failed++
	}
	r.report(f)
}

func (r *diagnosisRun) timeout(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, r.opts.Timeout)
}

func pass(check, summary string, notes ...string) Finding {
	return Finding{Check: check, Outcome: Passed, Summary: summary, Notes: notes}
}

func fail(check, summary, meaning, fix string) Finding {
	return Finding{Check: check, Outcome: Failed, Summary: summary, Meaning: meaning, Fix: fix}
}

func skip(check, summary string) Finding {
	return Finding{Check: check, Outcome: Skipped, Summary: summary}
}

func explainApp(err error) (meaning, fix string) {
	pe, ok := domain.ProbeFailureOf(err)
	if ok && pe.Failure == domain.ProbeStatus {
		switch {
		case pe.Status == 404:
			return "the notify_push app's routes are missing: the Client Push app is not installed or not enabled",
				"occ app:install notify_push (or occ app:enable notify_push)"
		case pe.Status == 400 && strings.Contains(strings.ToLower(pe.Body), "untrusted domain"):
			return "Nextcloud refuses the host name of NEXTCLOUD_URL: it is not in 'trusted_domains'",
				"add that host to 'trusted_domains' in config.php (occ config:system:set trusted_domains <n> --value=<host>), " +
					"or use a NEXTCLOUD_URL whose host is trusted"
		case pe.Status == 503:
			return "Nextcloud is in maintenance mode or overloaded", "occ maintenance:mode --off; see nextcloud.log"
		case pe.Status >= 500:
			return "Nextcloud failed on the app's route", "see Nextcloud's log (data/nextcloud.log, or occ log:tail)"
		}
	}
	return explain(err, "NEXTCLOUD_URL")
}

// explain turns a classified failure into its meaning and fix; setting names
// what the user configures for this address.
func explain(err error, setting string) (meaning, fix string) {
	pe, ok := domain.ProbeFailureOf(err)
	if !ok {
		return "the request failed", "check " + setting
	}
	host := hostOf(pe.URL)
	switch pe.Failure {
	case domain.ProbeUnreachable:
		return "no connection to " + host,
			"check " + setting + ", that the server runs, and that DNS and firewalls let this machine reach " + host
	case domain.ProbeTimeout:
		return "no answer from " + host + " in time",
			"check for a firewall that drops packets and for an overloaded server; or give more time with --timeout"
	case domain.ProbeTLSUnknownAuthority:
		return "the certificate of " + host + " is not signed by a certificate authority this machine trusts (self-signed, or a private CA)",
			"add the CA to the system's trust store (update-ca-certificates), or set NEXTCLOUD_CA_FILE to its PEM file, " +
				"or ALLOW_SELF_SIGNED=true (--allow-self-signed) to skip the check"
	case domain.ProbeTLSHostname:
		return "the certificate of " + host + " is not valid for that name",
			"use the host name the certificate was issued for in " + setting + ", or fix the certificate"
	case domain.ProbeTLS:
		return "the TLS connection to " + host + " failed (plain http on an https port, or the other way round?)",
			"check http:// against https:// and the port in " + setting
	case domain.ProbeRedirect:
		return "the server answers with a redirect to " + pe.Location, "use the address it redirects to in " + setting
	case domain.ProbeStatus:
		return "the server answered " + pe.StatusLine, "check " + setting
	default:
		return "the answer is not what Nextcloud sends", "check that " + setting + " points at Nextcloud"
	}
}

func hostOf(raw string) string {
	if u, err := url.Parse(raw); err == nil && u.Host != "" {
		return u.Host
	}
	return raw
}

func isLoopbackHost(h string) bool {
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

func sameURL(a, b string) bool {
	return strings.TrimSuffix(strings.TrimSpace(a), "/") == strings.TrimSuffix(strings.TrimSpace(b), "/")
}

// ownSeries is this server's major.minor, the app series it stands in for.
func ownSeries() string {
	s, _ := domain.ParseSeries(domain.Version)
	return s.String()
}

func randomToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported systems
	return hex.EncodeToString(b)
}
