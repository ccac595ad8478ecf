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
	messagesSent      [KindCustom + 1]atomic.Uint64
}

// NewCounters makes zeroed counters.
func NewCounters() *Counters { return &Counters{} }

// MessageSent counts one message of kind k delivered to a connection's queue.
func (c *Counters) MessageSent(k MessageKind) {
	if int(k) < len(c.messagesSent) {
		c.messagesSent[k].Add(1)
	}
}

// MessagesSent is the number of messages sent of kind k.
func (c *Counters) MessagesSent(k MessageKind) uint64 {
	if int(k) < len(c.messagesSent) {
		return c.messagesSent[k].Load()
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
