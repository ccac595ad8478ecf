package soak

import (
	"github.com/notifypush/notify_push/internal/load/events"
	"github.com/notifypush/notify_push/internal/load/hist"
)

// Deliveries counts, for one kind of delivery, the pairs of event and
// connection that had to arrive, and what did.
type Deliveries struct {
	Expected uint64 `json:"expected"`
	Received uint64 `json:"received"`
	Lost     uint64 `json:"lost"`
	// Merged arrived inside a resync's plain notify_file (the server had a
	// resync pending for the connection when the event came) to a
	// connection that asked for ids: the change is noticed, its id is not.
	Merged     uint64 `json:"merged"`
	Duplicates uint64 `json:"duplicates"`
	// Late arrived more than the window after Redis answered.
	Late uint64 `json:"late"`
	// Latency is from Redis's answer to the PUBLISH to the first receipt:
	// the server's part, without the time a frozen Redis held the event
	// (the server gets the message when the publisher gets the answer, so
	// a fast delivery may read as 0).
	Latency hist.Latencies `json:"latency"`
	// MaxFromPublish is the longest from publish to receipt, µs.
	MaxFromPublish uint64 `json:"max_from_publish_us"`
}

func (d *Deliveries) add(o Deliveries) {
	d.Expected += o.Expected
	d.Received += o.Received
	d.Lost += o.Lost
	d.Merged += o.Merged
	d.Duplicates += o.Duplicates
	d.Late += o.Late
	d.Latency.Merge(o.Latency)
	d.MaxFromPublish = max(d.MaxFromPublish, o.MaxFromPublish)
}

// Excused counts pairs of event and connection that did not have to arrive,
// and how many arrived anyway.
type Excused struct {
	Pairs   uint64 `json:"pairs"`
	Arrived uint64 `json:"arrived"`
	// Otherwise and OtherwiseArrived are, for events excused for their
	// fate (unconfirmed, crash window), the pairs that the connection's
	// times would have required, and how many of them arrived: how much a
	// kill -9 really costs.
	Otherwise        uint64 `json:"otherwise_required"`
	OtherwiseArrived uint64 `json:"otherwise_arrived"`
}

func deliveryKind(k events.EventKind, listen bool) string {
	switch k {
	case events.KindHome, events.KindShared:
		if listen {
			return string(k) + " → ids"
		}
		return string(k) + " → notify_file"
	}
	return string(k)
}

// ResyncSeen is what the clients received of one outage's resync.
type ResyncSeen struct {
	// Frames counts the resync messages by text (notify_file, ...).
	Frames map[string]uint64 `json:"frames"`
	// Sessions counts the logins that got at least one.
	Sessions uint64 `json:"sessions"`
	// Covered counts the pairs of event and connection that only this
	// resync's messages made noticed.
	Covered uint64 `json:"covered"`
}

// FrameCount is every resync message.
func (r ResyncSeen) FrameCount() uint64 {
	var n uint64
	for _, v := range r.Frames {
		n += v
	}
	return n
}

// Noticed counts, for one kind of change, the pairs of event Redis
// accepted and connection it concerns.
type Noticed struct {
	Pairs    uint64 `json:"pairs"`
	Received uint64 `json:"received"`
	// Covered did not get the event but a later frame of its slot;
	// ByResync of them through a resync message.
	Covered   uint64 `json:"covered"`
	ByResync  uint64 `json:"by_resync"`
	Unnoticed uint64 `json:"unnoticed"`
	// Excused are pairs whose connection logged in less than --grace
	// before the event or closed before it could have been covered: the
	// client re-checks at its next login.
	Excused uint64 `json:"excused"`
}

func (n *Noticed) add(o Noticed) {
	n.Pairs += o.Pairs
	n.Received += o.Received
	n.Covered += o.Covered
	n.ByResync += o.ByResync
	n.Unnoticed += o.Unnoticed
	n.Excused += o.Excused
}

func noticedKind(ev *Event) string {
	if ev.Cold {
		return "home, database out"
	}
	return string(ev.Kind)
}
