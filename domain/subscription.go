package domain

import "time"

// Debounce timings of PROTOCOL §10.
const (
	NotificationDebounce = time.Second
	// QuietPeriod: a slot is not sent until this long after its last message,
	// so that a burst is delivered as one message.
	QuietPeriod = 100 * time.Millisecond
	// MinDebounce is the floor of the load-scaled debounce time.
	MinDebounce = time.Second
	// DefaultMaxDebounce is MAX_DEBOUNCE_TIME's default.
	DefaultMaxDebounce = 15 * time.Second
	// MaxPendingFileIDs bounds the ids a file slot collects; beyond it the slot
	// degrades to "ids unknown", which makes the client do a full sync.
	MaxPendingFileIDs = 4096
)

// DebounceBase is the load-scaled debounce time of the file and activity
// slots: one second per ten active connections, clamped to [1 s, max].
func DebounceBase(activeConnections int64, max time.Duration) time.Duration {
	if max < MinDebounce {
		max = MinDebounce
	}
	d := time.Duration(activeConnections/10) * time.Second
	switch {
	case d < MinDebounce:
		return MinDebounce
	case d > max:
		return max
	default:
		return d
	}
}

type slotKind uint8

const (
	slotFile slotKind = iota
	slotActivity
	slotNotification
	slotCount
)

// Subscription is the per-connection state of PROTOCOL §10: whether the client
// wants file ids, and the three debounce slots. Not safe for concurrent use.
//
// Every connection holds one, so it is kept small: the slots' times are
// offsets from epoch (the first message's time) rather than time.Time
// values, and the file ids live outside it, only while some are pending.
// Offsets taken with time.Time.Sub and turned back with Add keep to the
// monotonic clock wherever the times given have it.
type Subscription struct {
	epoch         time.Time
	factor        float32
	listenFileIDs bool
	// pending and sent are bit sets of slots: holding something to send,
	// and sent at least once (lastSent is meaningless until then).
	pending, sent uint8
	// unknownIDs: the file slot holds a change whose ids are unknown.
	unknownIDs   bool
	lastSent     [slotCount]time.Duration // since epoch
	lastReceived [slotCount]time.Duration // since epoch
	// ids are the file slot's pending ids, nil when it holds none.
	ids *pendingIDs
}

// pendingIDs are the file ids a file slot collects, in arrival order.
type pendingIDs struct {
	list []FileID
	// set holds the ids once there are more than linearIDSearch of them, so
	// that a burst of N ids costs O(N), not O(N²); nil before.
	set map[FileID]struct{}
	// first backs list for the usual few ids: one allocation holds them.
	first [4]FileID
}

// NewSubscription makes the state of a new connection. factor is the random
// spread in [0.5, 1.5) drawn once per connection; values outside are clamped.
func NewSubscription(factor float64) Subscription {
	if !(factor >= 0.5) { // also catches NaN
		factor = 0.5
	}
	if factor >= 1.5 {
		factor = 1.4999
	}
	return Subscription{factor: float32(factor)}
}

// ListenFileIDs records that the client sent "listen notify_file_id".
func (s *Subscription) ListenFileIDs() { s.listenFileIDs = true }

// ListensFileIDs reports whether the client opted in to file ids.
func (s *Subscription) ListensFileIDs() bool { return s.listenFileIDs }

// AddFile merges a file change into the file slot: ids are unioned in arrival
// order, and an unknown change makes the whole slot unknown.
func (s *Subscription) AddFile(id FileID, known bool, now time.Time) {
	s.mark(slotFile, now)
	switch {
	case s.unknownIDs:
	case !known || !s.listenFileIDs:
		// Ids are only ever shown to clients that opted in; a client that did
		// not gets "notify_file" either way, so keep nothing.
		s.unknownIDs, s.ids = true, nil
	case s.ids == nil:
		p := &pendingIDs{}
		p.list = append(p.first[:0], id)
		s.ids = p
	case s.ids.holds(id):
	case len(s.ids.list) >= MaxPendingFileIDs:
		s.unknownIDs, s.ids = true, nil
	default:
		s.ids.add(id)
	}
}

// linearIDSearch is how many ids a slot dedupes by scanning: the usual few
// without a map.
const linearIDSearch = 16

// holds reports whether p already has id.
func (p *pendingIDs) holds(id FileID) bool {
	if p.set != nil {
		_, ok := p.set[id]
		return ok
	}
	for _, x := range p.list {
		if x == id {
			return true
		}
	}
	return false
}

// add appends id, which p does not hold.
func (p *pendingIDs) add(id FileID) {
	p.list = append(p.list, id)
	switch {
	case p.set != nil:
		p.set[id] = struct{}{}
	case len(p.list) > linearIDSearch:
		p.set = make(map[FileID]struct{}, 2*len(p.list))
		for _, x := range p.list {
			p.set[x] = struct{}{}
		}
	}
}

// AddActivity marks the activity slot pending.
func (s *Subscription) AddActivity(now time.Time) { s.mark(slotActivity, now) }

// AddNotification marks the notification slot pending.
func (s *Subscription) AddNotification(now time.Time) { s.mark(slotNotification, now) }

func (s *Subscription) mark(k slotKind, now time.Time) {
	if s.epoch.IsZero() {
		s.epoch = now
	}
	s.pending |= 1 << k
	s.lastReceived[k] = now.Sub(s.epoch)
}

// Pending reports whether any slot holds something to send.
func (s *Subscription) Pending() bool { return s.pending != 0 }

func (s *Subscription) isPending(k slotKind) bool { return s.pending&(1<<k) != 0 }

// debounce is the minimum time between two sends of one slot.
func (s *Subscription) debounce(k slotKind, base time.Duration) time.Duration {
	if k == slotNotification {
		return NotificationDebounce
	}
	return time.Duration(float64(base) * float64(s.factor))
}

// due is when pending slot k may be sent, as an offset from epoch.
func (s *Subscription) due(k slotKind, base time.Duration) time.Duration {
	due := s.lastReceived[k] + QuietPeriod
	if s.sent&(1<<k) != 0 {
		due = max(due, s.lastSent[k]+s.debounce(k, base))
	}
	return due
}

// NextDue is the earliest time at which a pending slot may be sent, and false
// when nothing is pending. base is DebounceBase for the current load.
func (s *Subscription) NextDue(base time.Duration) (time.Time, bool) {
	var next time.Duration
	found := false
	for k := slotKind(0); k < slotCount; k++ {
		if !s.isPending(k) {
			continue
		}
		if d := s.due(k, base); !found || d < next {
			next, found = d, true
		}
	}
	if !found {
		return time.Time{}, false
	}
	return s.epoch.Add(next), true
}

// Outgoing is one debounced message ready to be sent.
type Outgoing struct {
	Kind MessageKind
	Text string
}

// Flush appends to out the messages of every pending slot that is due at now,
// empties those slots and records now as their send time. It returns out.
func (s *Subscription) Flush(now time.Time, base time.Duration, out []Outgoing) []Outgoing {
	if s.pending == 0 {
		return out
	}
	at := now.Sub(s.epoch)
	for k := slotKind(0); k < slotCount; k++ {
		if !s.isPending(k) || at < s.due(k, base) {
			continue
		}
		out = append(out, s.take(k, at))
	}
	return out
}

// FlushAll empties every pending slot regardless of timing (debouncing off).
func (s *Subscription) FlushAll(now time.Time, out []Outgoing) []Outgoing {
	if s.pending == 0 {
		return out
	}
	at := now.Sub(s.epoch)
	for k := slotKind(0); k < slotCount; k++ {
		if s.isPending(k) {
			out = append(out, s.take(k, at))
		}
	}
	return out
}

// take empties slot k, sent at offset at, and returns its message.
func (s *Subscription) take(k slotKind, at time.Duration) Outgoing {
	var o Outgoing
	switch k {
	case slotFile:
		var ids []FileID
		if s.ids != nil {
			ids = s.ids.list
		}
		o = Outgoing{Kind: KindFile, Text: EncodeFile(ids, s.unknownIDs, s.listenFileIDs)}
		s.unknownIDs, s.ids = false, nil
	case slotActivity:
		o = Outgoing{Kind: KindActivity, Text: TextNotifyActivity}
	default:
		o = Outgoing{Kind: KindNotification, Text: TextNotifyNotification}
	}
	s.pending &^= 1 << k
	s.sent |= 1 << k
	s.lastSent[k] = at
	return o
}
