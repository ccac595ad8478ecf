package websocket

import "time"

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
)

func (o Options) withDefaults() Options {
	if o.AuthTimeout <= 0 {
		o.AuthTimeout = DefaultAuthTimeout
	}
	if o.PingInterval <= 0 {
		o.PingInterval = DefaultPingInterval
	}
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = DefaultWriteTimeout
	}
	if o.QueueLimit <= 0 {
		o.QueueLimit = DefaultQueueLimit
	}
	if o.ReadLimit <= 0 {
		o.ReadLimit = DefaultReadLimit
	}
	if o.DrainTimeout <= 0 {
		o.DrainTimeout = DefaultDrainTimeout
	}
	if o.MaxPendingLogins <= 0 {
		o.MaxPendingLogins = DefaultMaxPendingLogins
	}
	if o.ReadBufferSize <= 0 {
		o.ReadBufferSize = DefaultReadBufferSize
	}
	o.ReadBufferSize = max(o.ReadBufferSize, minReadBufferSize)
	return o
}
