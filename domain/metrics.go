package domain

import "sync/atomic"

// Counters are the server's metrics (PROTOCOL §8). They are updated on the hot
// path, so every field is a lone atomic; a Snapshot is consistent per field only.
type Counters struct {
	ActiveConnections atomic.Int64
	ActiveUsers       atomic.Int64
	TotalConnections  atomic.Uint64
	MappingQueries    atomic.Uint64
	EventsReceived    atomic.Uint64
	// SlowClientCloses counts connections closed because the client let
	// messages pile up unread (not part of upstream's notify_query JSON).
	SlowClientCloses atomic.Uint64
	// FloodingClientCloses counts connections closed because the client sent
	// frames past its allowance (CloseFlood).
	FloodingClientCloses atomic.Uint64
	messagesSent         [KindCustom + 1]atomic.Uint64

	// DatabaseErrors counts storage updates dropped because their mapping
	// could not be loaded (a failed query, a storage backing off after one,
	// too many lookups waiting); RedisErrors lost or failed Redis operations.
	DatabaseErrors atomic.Uint64
	RedisErrors    atomic.Uint64
	// Instances is the number of servers sharing the Redis, this one
	// included, seen when the metrics were last summed.
	Instances atomic.Int64

	eventsByChannel   [channelCount]atomic.Uint64
	clientConnections [clientKinds]atomic.Int64
	clientMessages    [clientKinds]stripedCounter
	authFailures      [authFailures]atomic.Uint64
	resyncs           [resyncReasons]atomic.Uint64
	resyncClients     [resyncReasons]atomic.Uint64
}

// NewCounters makes zeroed counters.
func NewCounters() *Counters { return &Counters{} }

// MessageSent counts one message of kind k delivered to a connection's queue.
func (c *Counters) MessageSent(k MessageKind) {
	if int(k) < len(c.messagesSent) {
		c.messagesSent[k].Add(1)
	}
}

// MessagesSentN counts n messages of kind k at once.
func (c *Counters) MessagesSentN(k MessageKind, n uint64) {
	if int(k) < len(c.messagesSent) && n > 0 {
		c.messagesSent[k].Add(n)
	}
}

// MessagesSent is the number of messages sent of kind k.
func (c *Counters) MessagesSent(k MessageKind) uint64 {
	if int(k) < len(c.messagesSent) {
		return c.messagesSent[k].Load()
	}
	return 0
}

// channelCount is len(Channels), as a constant for the counters' array.
const channelCount = 11

// EventOn counts one event received on channel (one of Channels).
func (c *Counters) EventOn(channel string) {
	for i, ch := range Channels {
		if ch == channel {
			c.eventsByChannel[i].Add(1)
			return
		}
	}
}

// EventsOn is the number of events received on channel.
func (c *Counters) EventsOn(channel string) uint64 {
	for i, ch := range Channels {
		if ch == channel {
			return c.eventsByChannel[i].Load()
		}
	}
	return 0
}

// ClientConnected counts a connection of kind k in, ClientDisconnected out.
func (c *Counters) ClientConnected(k ClientKind) {
	if k < clientKinds {
		c.clientConnections[k].Add(1)
	}
}

// ClientDisconnected undoes ClientConnected.
func (c *Counters) ClientDisconnected(k ClientKind) {
	if k < clientKinds {
		c.clientConnections[k].Add(-1)
	}
}

// ClientConnections is the number of open connections of kind k.
func (c *Counters) ClientConnections(k ClientKind) int64 {
	if k < clientKinds {
		return c.clientConnections[k].Load()
	}
	return 0
}

// ClientMessageWritten counts one message written to a client of kind k.
// stripe is any number fixed per writer, such as one drawn per connection:
// writers with different stripes do not contend for the counter, which a
// fan-out writing on every core at once would otherwise do per message.
func (c *Counters) ClientMessageWritten(k ClientKind, stripe uint32) {
	if k < clientKinds {
		c.clientMessages[k][stripe%counterStripes].n.Add(1)
	}
}

// ClientMessages is the number of messages written to clients of kind k.
func (c *Counters) ClientMessages(k ClientKind) uint64 {
	if k >= clientKinds {
		return 0
	}
	var sum uint64
	for i := range c.clientMessages[k] {
		sum += c.clientMessages[k][i].n.Load()
	}
	return sum
}

// counterStripes is how many cache lines a striped counter spreads over.
const counterStripes = 8

// stripedCounter is a counter whose value is the sum of its stripes.
type stripedCounter [counterStripes]struct {
	n atomic.Uint64
	_ [56]byte // the rest of a 64-byte cache line
}

// AuthFailed counts one failed login.
func (c *Counters) AuthFailed(f AuthFailure) {
	if f < authFailures {
		c.authFailures[f].Add(1)
	}
}

// AuthFailuresOf is the number of logins that failed for reason f.
func (c *Counters) AuthFailuresOf(f AuthFailure) uint64 {
	if f < authFailures {
		return c.authFailures[f].Load()
	}
	return 0
}

// MetricsSnapshot is the JSON answer to notify_query "metrics", field order
// and names as upstream writes them.
type MetricsSnapshot struct {
	ActiveConnectionCount    int64  `json:"active_connection_count"`
	ActiveUserCount          int64  `json:"active_user_count"`
	TotalConnectionCount     uint64 `json:"total_connection_count"`
	MappingQueryCount        uint64 `json:"mapping_query_count"`
	EventsReceived           uint64 `json:"events_received"`
	MessagesSent             uint64 `json:"messages_sent"`
	MessagesSentFile         uint64 `json:"messages_sent_file"`
	MessagesSentActivity     uint64 `json:"messages_sent_activity"`
	MessagesSentNotification uint64 `json:"messages_sent_notification"`
	MessagesSentCustom       uint64 `json:"messages_sent_custom"`
}

// Snapshot reads every counter once.
func (c *Counters) Snapshot() MetricsSnapshot {
	s := MetricsSnapshot{
		ActiveConnectionCount:    c.ActiveConnections.Load(),
		ActiveUserCount:          c.ActiveUsers.Load(),
		TotalConnectionCount:     c.TotalConnections.Load(),
		MappingQueryCount:        c.MappingQueries.Load(),
		EventsReceived:           c.EventsReceived.Load(),
		MessagesSentFile:         c.MessagesSent(KindFile),
		MessagesSentActivity:     c.MessagesSent(KindActivity),
		MessagesSentNotification: c.MessagesSent(KindNotification),
		MessagesSentCustom:       c.MessagesSent(KindCustom),
	}
	s.MessagesSent = s.MessagesSentFile + s.MessagesSentActivity + s.MessagesSentNotification + s.MessagesSentCustom
	return s
}

// Plus sums two instances' snapshots: the service's figures when several
// servers share one Redis. A user connected to two of them counts twice in
// ActiveUserCount.
func (s MetricsSnapshot) Plus(o MetricsSnapshot) MetricsSnapshot {
	return MetricsSnapshot{
		ActiveConnectionCount:    s.ActiveConnectionCount + o.ActiveConnectionCount,
		ActiveUserCount:          s.ActiveUserCount + o.ActiveUserCount,
		TotalConnectionCount:     s.TotalConnectionCount + o.TotalConnectionCount,
		MappingQueryCount:        s.MappingQueryCount + o.MappingQueryCount,
		EventsReceived:           s.EventsReceived + o.EventsReceived,
		MessagesSent:             s.MessagesSent + o.MessagesSent,
		MessagesSentFile:         s.MessagesSentFile + o.MessagesSentFile,
		MessagesSentActivity:     s.MessagesSentActivity + o.MessagesSentActivity,
		MessagesSentNotification: s.MessagesSentNotification + o.MessagesSentNotification,
		MessagesSentCustom:       s.MessagesSentCustom + o.MessagesSentCustom,
	}
}
