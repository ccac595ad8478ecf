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
}

// Defaults of PROTOCOL §3 and sizes that fit its short messages.
const (
	DefaultAuthTimeout  = 15 * time.Second
	DefaultPingInterval = 30 * time.Second
	DefaultWriteTimeout = 10 * time.Second
	DefaultQueueLimit   = 1024
	DefaultReadLimit    = 4096
	DefaultDrainTimeout = 5 * time.Second
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
	return o
}
