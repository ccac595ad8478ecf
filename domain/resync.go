package domain

// Resubscribed is not a message from the app: the event source says that its
// subscription is back after an interruption, during which events published
// by the app may have been lost (Redis pub/sub keeps nothing for a
// subscriber that is away). Clients are told to re-check (a resync).
type Resubscribed struct{}

// Channel is empty: Resubscribed comes from no channel of PROTOCOL §2.
func (Resubscribed) Channel() string { return "" }

// ResyncReason says why clients were told to re-check without a change of
// their own to report.
type ResyncReason uint8

const (
	// ResyncRedis: the event subscription was interrupted and is back.
	ResyncRedis ResyncReason = iota
	// ResyncDatabase: storage updates could not be mapped to their users
	// while the database failed, and now can.
	ResyncDatabase
	resyncReasons
)

// ResyncReasons lists every reason, for the metrics.
var ResyncReasons = []ResyncReason{ResyncRedis, ResyncDatabase}

func (r ResyncReason) String() string {
	switch r {
	case ResyncRedis:
		return "redis"
	case ResyncDatabase:
		return "database"
	default:
		return "unknown"
	}
}

// Resynced counts one resync for reason that told clients connections.
func (c *Counters) Resynced(reason ResyncReason, clients int) {
	if reason < resyncReasons {
		c.resyncs[reason].Add(1)
		c.resyncClients[reason].Add(uint64(clients))
	}
}

// Resyncs is the number of resyncs for reason.
func (c *Counters) Resyncs(reason ResyncReason) uint64 {
	if reason < resyncReasons {
		return c.resyncs[reason].Load()
	}
	return 0
}

// ResyncedClients is the number of connections told to re-check for reason.
func (c *Counters) ResyncedClients(reason ResyncReason) uint64 {
	if reason < resyncReasons {
		return c.resyncClients[reason].Load()
	}
	return 0
}
