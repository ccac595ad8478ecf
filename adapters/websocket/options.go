package websocket

import (
	"runtime"
	"time"

	"github.com/notifypush/notify_push/domain"
)

// Options tune the transport; zero values mean the defaults below.
type Options struct {
	// AuthTimeout bounds the login: both frames and the credential check.
	AuthTimeout time.Duration
	// PingInterval: a connection sent nothing for this long gets a ping, and
	// is closed if the previous ping is still unanswered.
	PingInterval time.Duration
	// MaxConnectionTime closes connections after this long (0 = never).
	MaxConnectionTime time.Duration
	// WriteTimeout bounds each write to a client.
	WriteTimeout time.Duration
	// QueueLimit is how many frames may wait for a slow client before it is
	// disconnected.
	QueueLimit int
	// ReadLimit caps the size of a frame from a client.
	ReadLimit int64
	// DrainTimeout bounds how long shutdown waits for close frames to go out.
	DrainTimeout time.Duration
	// MaxPendingLogins bounds the sockets upgraded but not yet logged in;
	// beyond it upgrades are refused with 503 before any work is done.
	MaxPendingLogins int
	// ReadBufferSize is each connection's read buffer; frames that fit in it
	// are read without a goroutine where the platform has a poller.
	ReadBufferSize int
	// NoPoller keeps a reader goroutine per connection even where a
	// readiness poller exists: the portable design, for comparison and tests.
	NoPoller bool
	// Pollers is how many readiness pollers, each a goroutine, share the
	// idle connections; zero is one per core the runtime uses.
	Pollers int

	// ClientAddress tells the client behind a request from the trusted
	// proxies; the zero rule takes the peer for the client.
	ClientAddress domain.ClientAddressRule
	// MaxPendingPerAddress bounds the pending logins of one client address
	// (an IPv6 /64), so that one address cannot fill MaxPendingLogins.
	MaxPendingPerAddress int
	// MaxChecksPerAddress bounds the logins of one client address whose
	// credentials are being checked or wait for a check, so that slow
	// wrong-password checks from one address cannot hold every check slot.
	MaxChecksPerAddress int
	// FirstFrameTimeout is how soon after the upgrade the first login frame
	// must arrive: clients send it at once, and a socket that says nothing
	// should not hold a pending login for all of AuthTimeout.
	FirstFrameTimeout time.Duration
	// ClientFrameRate is how many frames a second a logged-in client may
	// send on average, in bursts of domain.ClientFrameBurstSeconds of it;
	// past it the connection is closed with 1008 (policy violation).
	ClientFrameRate float64
}

// Defaults of PROTOCOL §3 and sizes that fit its short messages.
const (
	DefaultAuthTimeout  = 15 * time.Second
	DefaultPingInterval = 30 * time.Second
	DefaultWriteTimeout = 10 * time.Second
	DefaultQueueLimit   = 1024
	DefaultReadLimit    = 4096
	DefaultDrainTimeout = 5 * time.Second
	// DefaultMaxPendingLogins: a login holds an HTTP goroutine and buffers
	// (tens of KiB) until Nextcloud answers; this caps that at ~100 MiB.
	DefaultMaxPendingLogins = 4096
	// DefaultReadBufferSize fits the login frames of real clients (an app
	// password is 72 characters, a pre-auth token 32). Gorilla adopts a
	// buffer only above 256 bytes.
	DefaultReadBufferSize = 512
	minReadBufferSize     = 257
	// DefaultMaxPendingPerAddress and DefaultMaxChecksPerAddress are far
	// above what a NAT'd office of a few hundred users has in flight (a
	// login takes milliseconds when Nextcloud is well). One address then
	// holds at most as many checks as AUTH_CONCURRENCY runs by default and
	// never fills the queue behind them: a slow check of its own frees a
	// slot for a login that queued before its next one.
	DefaultMaxPendingPerAddress = 256
	DefaultMaxChecksPerAddress  = 64
	DefaultFirstFrameTimeout    = 5 * time.Second
	// readBudget is how many frames the poller takes from one socket before
	// it moves on to the next ready one.
	readBudget = 16
)

func (o Options) withDefaults() Options {
	positiveOr(&o.AuthTimeout, DefaultAuthTimeout)
	positiveOr(&o.PingInterval, DefaultPingInterval)
	positiveOr(&o.WriteTimeout, DefaultWriteTimeout)
	positiveOr(&o.QueueLimit, DefaultQueueLimit)
	positiveOr(&o.ReadLimit, DefaultReadLimit)
	positiveOr(&o.DrainTimeout, DefaultDrainTimeout)
	positiveOr(&o.MaxPendingLogins, DefaultMaxPendingLogins)
	positiveOr(&o.ReadBufferSize, DefaultReadBufferSize)
	o.ReadBufferSize = max(o.ReadBufferSize, minReadBufferSize)
	positiveOr(&o.Pollers, runtime.GOMAXPROCS(0))
	positiveOr(&o.MaxPendingPerAddress, DefaultMaxPendingPerAddress)
	positiveOr(&o.MaxChecksPerAddress, DefaultMaxChecksPerAddress)
	positiveOr(&o.FirstFrameTimeout, DefaultFirstFrameTimeout)
	o.FirstFrameTimeout = min(o.FirstFrameTimeout, o.AuthTimeout)
	positiveOr(&o.ClientFrameRate, domain.DefaultClientFrameRate)
	return o
}

// positiveOr sets *v to def unless it is positive.
func positiveOr[T int | int64 | float64 | time.Duration](v *T, def T) {
	if *v <= 0 {
		*v = def
	}
}
