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

type slot struct {
	pending    bool
	unknownIDs bool
	ids        []FileID
	// idSet holds ids once there are more than linearIDSearch of them, so
	// that a burst of N ids costs O(N), not O(N²); nil before.
	idSet        map[FileID]struct{}
	lastSent     time.Time
	lastReceived time.Time
}

// Subscription is the per-connection state of PROTOCOL §10: whether the client
// wants file ids, and the three debounce slots. Not safe for concurrent use.
type Subscription struct {
	listenFileIDs bool
	factor        float64
	slots         [slotCount]slot
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
	return Subscription{factor: factor}
}

// ListenFileIDs records that the client sent "listen notify_file_id".
func (s *Subscription) ListenFileIDs() { s.listenFileIDs = true }

// ListensFileIDs reports whether the client opted in to file ids.
func (s *Subscription) ListensFileIDs() bool { return s.listenFileIDs }

// AddFile merges a file change into the file slot: ids are unioned in arrival
// order, and an unknown change makes the whole slot unknown.
func (s *Subscription) AddFile(id FileID, known bool, now time.Time) {
	sl := &s.slots[slotFile]
	sl.pending = true
	sl.lastReceived = now
	switch {
	case sl.unknownIDs:
	case !known || !s.listenFileIDs:
		// Ids are only ever shown to clients that opted in; a client that did
		// not gets "notify_file" either way, so keep nothing.
		sl.unknownIDs = true
		sl.ids, sl.idSet = nil, nil
	case sl.holds(id):
	case len(sl.ids) >= MaxPendingFileIDs:
		sl.unknownIDs = true
		sl.ids, sl.idSet = nil, nil
	default:
		sl.ids = append(sl.ids, id)
		switch {
		case sl.idSet != nil:
			sl.idSet[id] = struct{}{}
		case len(sl.ids) > linearIDSearch:
			sl.idSet = make(map[FileID]struct{}, 2*len(sl.ids))
			for _, x := range sl.ids {
				sl.idSet[x] = struct{}{}
			}
		}
	}
}

// linearIDSearch is how many ids a slot dedupes by scanning: the usual few
// without a map.
const linearIDSearch = 16

// holds reports whether the slot already has id.
func (sl *slot) holds(id FileID) bool {
	if sl.idSet != nil {
		_, ok := sl.idSet[id]
		return ok
	}
	for _, x := range sl.ids {
		if x == id {
			return true
		}
	}
	return false
}

// AddActivity marks the activity slot pending.
func (s *Subscription) AddActivity(now time.Time) { s.mark(slotActivity, now) }

// AddNotification marks the notification slot pending.
func (s *Subscription) AddNotification(now time.Time) { s.mark(slotNotification, now) }

func (s *Subscription) mark(k slotKind, now time.Time) {
	s.slots[k].pending = true
	s.slots[k].lastReceived = now
}

// Pending reports whether any slot holds something to send.
func (s *Subscription) Pending() bool {
	for i := range s.slots {
		if s.slots[i].pending {
			return true
		}
	}
	return false
}

// debounce is the minimum time between two sends of one slot.
func (s *Subscription) debounce(k slotKind, base time.Duration) time.Duration {
	if k == slotNotification {
		return NotificationDebounce
	}
	return time.Duration(float64(base) * s.factor)
}

func (s *Subscription) due(k slotKind, base time.Duration) time.Time {
	sl := &s.slots[k]
	a := sl.lastSent.Add(s.debounce(k, base))
	b := sl.lastReceived.Add(QuietPeriod)
	if a.After(b) {
		return a
	}
	return b
}

// NextDue is the earliest time at which a pending slot may be sent, and false
// when nothing is pending. base is DebounceBase for the current load.
func (s *Subscription) NextDue(base time.Duration) (time.Time, bool) {
	var next time.Time
	found := false
	for k := slotKind(0); k < slotCount; k++ {
		if !s.slots[k].pending {
			continue
		}
		d := s.due(k, base)
		if !found || d.Before(next) {
			next, found = d, true
		}
	}
	return next, found
}

// Outgoing is one debounced message ready to be sent.
type Outgoing struct {
	Kind MessageKind
	Text string
}

// Flush appends to out the messages of every pending slot that is due at now,
// empties those slots and records now as their send time. It returns out.
func (s *Subscription) Flush(now time.Time, base time.Duration, out []Outgoing) []Outgoing {
	for k := slotKind(0); k < slotCount; k++ {
		sl := &s.slots[k]
		if !sl.pending || now.Before(s.due(k, base)) {
			continue
		}
		out = append(out, s.take(k, now))
	}
	return out
}

// FlushAll empties every pending slot regardless of timing (debouncing off).
func (s *Subscription) FlushAll(now time.Time, out []Outgoing) []Outgoing {
	for k := slotKind(0); k < slotCount; k++ {
		if s.slots[k].pending {
			out = append(out, s.take(k, now))
		}
	}
	return out
}

func (s *Subscription) take(k slotKind, now time.Time) Outgoing {
	sl := &s.slots[k]
	var o Outgoing
	switch k {
	case slotFile:
		o = Outgoing{Kind: KindFile, Text: EncodeFile(sl.ids, sl.unknownIDs, s.listenFileIDs)}
	case slotActivity:
		o = Outgoing{Kind: KindActivity, Text: TextNotifyActivity}
	default:
		o = Outgoing{Kind: KindNotification, Text: TextNotifyNotification}
	}
	sl.pending = false
	sl.unknownIDs = false
	sl.ids, sl.idSet = sl.ids[:0:0], nil
	sl.lastSent = now
	return o
}
