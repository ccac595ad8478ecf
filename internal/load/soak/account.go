package soak

import (
	"fmt"
	"sort"

	"github.com/notifypush/notify_push/domain"
	"github.com/notifypush/notify_push/internal/load/events"
	"github.com/notifypush/notify_push/internal/load/hist"
	"github.com/notifypush/notify_push/internal/load/protocol"
)

// The soak's accounting: which connection had to receive which event, and
// what it did receive.
//
// An event can only reach the server through Redis, and Redis's pub/sub
// keeps nothing: it passes a message on to whoever is subscribed at that
// moment, and its answer to PUBLISH says to how many. So the publisher's
// answer decides first, per event:
//   - refused (no connection to Redis: it was down) and nobody subscribed
//     (answered 0: Redis had restarted and the server had not subscribed
//     again yet) are not delivered, by design, and expect nothing;
//   - unconfirmed (the connection died before the answer: Redis was killed
//     with it in flight) and answered less than --crash-guard before a kill -9
//     may or may not have reached the server: excused;
//   - delivered (answered ≥ 1): the server's subscription has it.
// Then, per delivered event and per connection of a user it concerns (the
// user addressed, the owner of a home storage, everyone who mounts the
// shared storage), the event must arrive exactly once when the connection
// was logged in at least --grace before the event was published (so that
// its listen command is through) and was still open --window after Redis
// answered (then the server has had that long to deliver). Connections that
// logged in later or closed earlier are excused; what they got anyway is
// counted. Frames that carry the event's id (custom messages, file ids) are
// matched by id; frames that carry none (activity, notification,
// notify_file) belong to the latest event of their slot published before
// they arrived: the generator keeps one event in flight per user and slot,
// spaced by the window, so this is exact while deliveries take less than
// the window; later ones are counted as late.
//
// Resyncs. Once its subscription is back after a Redis outage, the server
// tells every connection notify_file, notify_activity and
// notify_notification, each at a random moment within its resync spread;
// once the database answers again after updates could not be mapped, the
// users of those storages get notify_file. So after each outage, until its
// resync window closes (the server back, plus the spread, the debounce and
// the window), a frame without an id is a resync message when no event
// explains it: none of its slot was published before it, the one that was
// has arrived already or is past its window, or it is a plain notify_file
// to a connection that asked for ids. Resync messages are counted per
// outage, not as unattributed or duplicates. A resync pending when an event
// of its slot arrives goes out merged with it: to a connection that asked
// for ids, the event then comes as that plain notify_file, counted as
// merged rather than lost.
//
// Unnoticed changes. Clients stop polling while connected, so what counts
// in the end is whether every change reached them somehow: an event Redis
// accepted (answered PUBLISH, whatever the count, so also to nobody while
// the server was not subscribed) is unnoticed on a connection it concerns
// when that connection got neither the event nor a later frame of its slot
// that makes the client re-check the slot (a resync, or any later frame of
// the slot; for a connection that asked for ids, only its own id or a plain
// notify_file) before it closed. A connection is concerned when it was
// logged in --grace before the event and stayed open until the event could
// have been covered: its window, stretched to the end of the resync window
// of any outage that began before the window closed and ended after the
// event. Custom messages are not changes a client re-checks (no resync
// covers them): they are accounted above only.

// Why a pair is excused.
const (
	ExcuseFresh       = "fresh login"
	ExcuseClosing     = "closed within the window"
	excuseUnconfirmed = "unconfirmed"
	excuseCrash       = "crash window"
	// ExcuseUnmapped: a cold home update while the mapping tables were away;
	// the server cannot map it and resyncs its users afterwards instead.
	ExcuseUnmapped = "storage unmapped"
)

// Delivery kinds, in report order.
var DeliveryKinds = []string{"custom", "activity", "notification", "home → ids", "home → notify_file",
	"shared → ids", "shared → notify_file"}

// Account is the outcome of one soak round.
type Account struct {
	Deliveries map[string]*Deliveries `json:"deliveries"`
	Total      Deliveries             `json:"total"`
	// Fates counts events by kind and fate.
	Fates map[events.EventKind]map[string]int `json:"fates"`
	// CrashEvents were answered less than the crash guard before a kill -9.
	CrashEvents int                 `json:"crash_events"`
	Excused     map[string]*Excused `json:"excused"`
	// Misdelivered are frames with an id that the connection had no business
	// receiving: unknown, for another user, never passed on by Redis, or
	// file ids to a connection that did not ask for them.
	Misdelivered uint64 `json:"misdelivered"`
	// Unattributed are frames without an id that no event could have caused.
	Unattributed uint64 `json:"unattributed"`
	// FileWithoutIDs are required storage deliveries to connections that
	// asked for ids but came as plain notify_file.
	FileWithoutIDs uint64 `json:"file_without_ids"`
	// Resyncs are the resync messages the clients saw, per outage (in the
	// order of accountParams.Outages).
	Resyncs []ResyncSeen `json:"resyncs,omitempty"`
	// Noticed is, per kind of change, whether every change reached the
	// connections it concerns, by itself or covered by a later frame.
	Noticed      map[string]*Noticed `json:"noticed"`
	NoticedTotal Noticed             `json:"noticed_total"`
	// Samples describe the first few losses, duplicates and misdeliveries,
	// to reproduce them from the server's log.
	LostSamples      []string `json:"lost_samples,omitempty"`
	DuplicateSamples []string `json:"duplicate_samples,omitempty"`
	OtherSamples     []string `json:"other_samples,omitempty"`
	UnnoticedSamples []string `json:"unnoticed_samples,omitempty"`
}

// NoticedKinds are the kinds of change whose noticing is accounted, in
// report order; "home, database out" are the cold home updates.
var NoticedKinds = []string{"activity", "notification", "home", "home, database out", "shared"}

// accountParams are the accounting's rules, times in µs.
type accountParams struct {
	Mounters   int
	Grace      int64
	Window     int64
	CrashGuard int64
	// Start is the round's start, to write sample times relative to it.
	Start int64
	// Outages are the round's outages in time order.
	Outages []outage
}

// outage is one outage as the accounting sees it, times in µs.
type outage struct {
	// Database: the mapping tables were away (only the file slot is
	// resynced); otherwise Redis was down or frozen.
	Database  bool
	At, Until int64
	// RecoveredBy is when the server had its subscription (Redis) or its
	// database (mapping tables) back at the latest: events published until
	// then may be lost and left to the resync.
	RecoveredBy int64
	// ResyncTo closes the resync window: by then every connection open
	// since has had the resync's messages.
	ResyncTo int64
}

const maxSamples = 8

type pairKey struct {
	event   int64
	session int32
}

type pairGot struct {
	n       uint32
	first   int64 // µs of the first receipt
	viaFile bool  // a notify_file (no ids) was among them
}

// account matches sessions' receipts to events. kills are the times of the
// kill -9s.
func account(evs []Event, sessions []protocol.SoakSession, kills []int64, p accountParams) Account {
	a := Account{Deliveries: map[string]*Deliveries{}, Fates: map[events.EventKind]map[string]int{}, Excused: map[string]*Excused{},
		Noticed: map[string]*Noticed{}, Resyncs: make([]ResyncSeen, len(p.Outages))}
	for _, k := range DeliveryKinds {
		a.Deliveries[k] = &Deliveries{}
	}
	for _, k := range NoticedKinds {
		a.Noticed[k] = &Noticed{}
	}
	for _, r := range []string{ExcuseFresh, ExcuseClosing, excuseUnconfirmed, excuseCrash, ExcuseUnmapped} {
		a.Excused[r] = &Excused{}
	}
	for i := range a.Resyncs {
		a.Resyncs[i].Frames = map[string]uint64{}
	}
	rel := func(us int64) string { return fmt.Sprintf("%.3f s", float64(us-p.Start)/1e6) }
	byID := func(id int64) *Event {
		if id < 1 || id > int64(len(evs)) || evs[id-1].ID != id {
			return nil
		}
		return &evs[id-1]
	}
	mayArrive := func(ev *Event) bool {
		return ev.Fate == fateDelivered || ev.Fate == fateUnconfirmed || ev.Fate == fatePending
	}
	concerns := func(ev *Event, user int) bool {
		if ev.Kind == events.KindShared {
			return user < p.Mounters
		}
		return ev.User == user
	}
	deadline := func(ev *Event) int64 { return max(ev.Answered, ev.Published) + p.Window }
	// resyncOf is the outage whose resync a frame of slot at may belong
	// to: the latest whose window holds it (a database outage resyncs
	// files only), or -1.
	resyncOf := func(slot int, at int64) int {
		for i := len(p.Outages) - 1; i >= 0; i-- {
			o := &p.Outages[i]
			if at >= o.Until && at <= o.ResyncTo && (slot == slotFile || !o.Database) {
				return i
			}
		}
		return -1
	}

	// Events that frames without ids may belong to, per user and slot, in
	// publish order (ids are handed out in publish order).
	var perUser [numSlots]map[int][]int64
	for s := range perUser {
		perUser[s] = map[int][]int64{}
	}
	var shared []int64
	for i := range evs {
		ev := &evs[i]
		if !mayArrive(ev) {
			continue
		}
		switch ev.Kind {
		case events.KindShared:
			shared = append(shared, ev.ID)
		case events.KindActivity, events.KindNotification, events.KindHome:
			s := slotOf(ev.Kind)
			perUser[s][ev.User] = append(perUser[s][ev.User], ev.ID)
		}
	}
	// latestBefore is the last event of list published before at, or 0.
	latestBefore := func(list []int64, at int64) int64 {
		i := sort.Search(len(list), func(i int) bool { return evs[list[i]-1].Published >= at })
		if i == 0 {
			return 0
		}
		return list[i-1]
	}

	got := map[pairKey]pairGot{}
	// covers holds, per session and slot, the frames that make the client
	// re-check the whole slot, in arrival order.
	covers := make([][numSlots][]cover, len(sessions))
	other := func(format string, args ...any) {
		if len(a.OtherSamples) < maxSamples {
			a.OtherSamples = append(a.OtherSamples, fmt.Sprintf(format, args...))
		}
	}
	for si := range sessions {
		s := &sessions[si]
		resynced := map[int]bool{} // outages whose resync this session got
		for i := 0; i+2 < len(s.Receipts); i += 3 {
			kind, id, at := int(s.Receipts[i]), s.Receipts[i+1], s.Receipts[i+2]
			var ev *Event
			switch kind {
			case protocol.ReceiptCustom, protocol.ReceiptFileID:
				ev = byID(id)
				ok := ev != nil && mayArrive(ev) && concerns(ev, s.User) && at > ev.Published
				if ok && kind == protocol.ReceiptCustom {
					ok = ev.Kind == events.KindCustom
				} else if ok {
					ok = (ev.Kind == events.KindHome || ev.Kind == events.KindShared) && s.Listen
				}
				if !ok {
					a.Misdelivered++
					other("misdelivered: user%d (slot %d, listen %v) got event %d (%s) at %s", s.User, s.Slot, s.Listen, id,
						describeEvent(ev), rel(at))
					continue
				}
			case protocol.ReceiptActivity, protocol.ReceiptNotification, protocol.ReceiptFile:
				slot := receiptSlot(kind)
				cand := latestBefore(perUser[slot][s.User], at)
				if kind == protocol.ReceiptFile && s.User < p.Mounters {
					if c := latestBefore(shared, at); c > cand {
						cand = c
					}
				}
				if o := resyncOf(slot, at); o >= 0 {
					var c *Event
					if cand != 0 {
						c = byID(cand)
					}
					plainToListener := kind == protocol.ReceiptFile && s.Listen
					if plainToListener || c == nil || c.Cold || got[pairKey{event: c.ID, session: int32(si)}].n > 0 || at > deadline(c) {
						r := &a.Resyncs[o]
						r.Frames[receiptText(kind)]++
						if !resynced[o] {
							resynced[o] = true
							r.Sessions++
						}
						covers[si][slot] = append(covers[si][slot], cover{at: at, outage: o})
						continue
					}
				}
				covers[si][slot] = append(covers[si][slot], cover{at: at, outage: -1})
				if cand == 0 {
					a.Unattributed++
					other("unattributed: user%d (slot %d) got a frame of kind %d at %s that no event published before could cause",
						s.User, s.Slot, kind, rel(at))
					continue
				}
				ev = byID(cand)
			default:
				a.Unattributed++
				continue
			}
			k := pairKey{event: ev.ID, session: int32(si)}
			g := got[k]
			if g.n == 0 || at < g.first {
				g.first = at
			}
			g.n++
			g.viaFile = g.viaFile || kind == protocol.ReceiptFile
			got[k] = g
		}
	}
	// coveredAfter is the first frame of slot to session si after from and
	// no later than to, if any.
	coveredAfter := func(si int32, slot int, from, to int64) (cover, bool) {
		list := covers[si][slot]
		i := sort.Search(len(list), func(i int) bool { return list[i].at > from })
		if i < len(list) && list[i].at <= to {
			return list[i], true
		}
		return cover{}, false
	}

	// Sessions by user, and of everyone who mounts the shared storage.
	byUser := map[int][]int32{}
	var mounterSessions []int32
	for si := range sessions {
		u := sessions[si].User
		byUser[u] = append(byUser[u], int32(si))
		if u < p.Mounters {
			mounterSessions = append(mounterSessions, int32(si))
		}
	}
	crashed := func(ev *Event) bool {
		for _, k := range kills {
			if ev.Answered <= k && k-ev.Answered < p.CrashGuard {
				return true
			}
		}
		return false
	}
	// coverBy is when a change must have been noticed on a connection that
	// stayed open: its window, stretched to the resync window's end of
	// every outage that may have cost it.
	coverBy := func(ev *Event) int64 {
		by := deadline(ev)
		for i := range p.Outages {
			o := &p.Outages[i]
			if o.Database && slotOf(ev.Kind) != slotFile {
				continue
			}
			if o.At <= by && ev.Published <= o.RecoveredBy {
				by = max(by, o.ResyncTo)
			}
		}
		return by
	}
	lat := map[string]*hist.Histogram{}
	for _, k := range DeliveryKinds {
		lat[k] = &hist.Histogram{}
	}
	for i := range evs {
		ev := &evs[i]
		if a.Fates[ev.Kind] == nil {
			a.Fates[ev.Kind] = map[string]int{}
		}
		fate := ev.Fate
		if fate == fatePending {
			fate = fateUnconfirmed
		}
		a.Fates[ev.Kind][fate.String()]++
		targets := byUser[ev.User]
		if ev.Kind == events.KindShared {
			targets = mounterSessions
		}
		if ev.Kind != events.KindCustom && (ev.Fate == fateDelivered || ev.Fate == FateNobody) {
			a.notice(ev, targets, sessions, got, coverBy(ev), coveredAfter, p, rel)
		}
		if !mayArrive(ev) {
			continue
		}
		crash := ev.Fate == fateDelivered && crashed(ev)
		if crash {
			a.CrashEvents++
		}
		deadline := deadline(ev)
		for _, si := range targets {
			s := &sessions[si]
			if s.End <= ev.Published || s.Auth >= deadline {
				continue // not open while the event was under way
			}
			g := got[pairKey{event: ev.ID, session: si}]
			reason := ""
			switch {
			case s.Auth+p.Grace > ev.Published:
				reason = ExcuseFresh
			case s.End < ev.Answered+p.Window:
				reason = ExcuseClosing
			}
			if ev.Fate != fateDelivered || crash {
				x := a.Excused[excuseCrash]
				if ev.Fate != fateDelivered {
					x = a.Excused[excuseUnconfirmed]
				}
				x.Pairs++
				if g.n > 0 {
					x.Arrived++
				}
				if reason == "" {
					x.Otherwise++
					if g.n > 0 {
						x.OtherwiseArrived++
					}
				}
				continue
			}
			if ev.Cold && reason == "" {
				reason = ExcuseUnmapped
			}
			if reason != "" {
				a.Excused[reason].Pairs++
				if g.n > 0 {
					a.Excused[reason].Arrived++
				}
				continue
			}
			kind := deliveryKind(ev.Kind, s.Listen)
			d := a.Deliveries[kind]
			d.Expected++
			where := func() string {
				return fmt.Sprintf("event %d (%s) published at %s, Redis answered at %s; user%d's connection (slot %d, listen %v, "+
					"pre-auth %v) up from %s to %s", ev.ID, describeEvent(ev), rel(ev.Published), rel(ev.Answered), s.User, s.Slot,
					s.Listen, s.PreAuth, rel(s.Auth), rel(s.End))
			}
			if g.n == 0 {
				if c, ok := coveredAfter(si, slotFile, ev.Published, deadline); ok && c.outage >= 0 && s.Listen && slotOf(ev.Kind) == slotFile {
					d.Merged++
					continue
				}
				d.Lost++
				if len(a.LostSamples) < maxSamples {
					a.LostSamples = append(a.LostSamples, where())
				}
				continue
			}
			d.Received++
			if g.n > 1 {
				d.Duplicates += uint64(g.n - 1)
				if len(a.DuplicateSamples) < maxSamples {
					a.DuplicateSamples = append(a.DuplicateSamples, fmt.Sprintf("%d× %s", g.n, where()))
				}
			}
			if g.first > ev.Answered+p.Window {
				d.Late++
			}
			if g.viaFile && s.Listen {
				a.FileWithoutIDs++
			}
			lat[kind].Record(uint64(max(g.first-ev.Answered, 0)))
			d.MaxFromPublish = max(d.MaxFromPublish, uint64(max(g.first-ev.Published, 0)))
		}
	}
	for _, k := range DeliveryKinds {
		d := a.Deliveries[k]
		d.Latency = lat[k].Snapshot()
		a.Total.add(*d)
	}
	for _, k := range NoticedKinds {
		a.NoticedTotal.add(*a.Noticed[k])
	}
	return a
}

// cover is a frame that makes a client re-check a whole slot; outage is
// the outage whose resync it was, or -1.
type cover struct {
	at     int64
	outage int
}

// notice accounts whether ev, which Redis accepted, reached each of the
// connections of targets it concerns, by itself or covered by a later
// frame of its slot, by coverBy.
func (a *Account) notice(ev *Event, targets []int32, sessions []protocol.SoakSession, got map[pairKey]pairGot, coverBy int64,
	coveredAfter func(si int32, slot int, from, to int64) (cover, bool), p accountParams, rel func(int64) string) {
	n := a.Noticed[noticedKind(ev)]
	slot := slotOf(ev.Kind)
	for _, si := range targets {
		s := &sessions[si]
		if s.Auth >= ev.Published || s.End <= ev.Published {
			continue // not open when the change was made
		}
		if s.Auth+p.Grace > ev.Published || s.End < coverBy {
			n.Excused++
			continue
		}
		n.Pairs++
		if got[pairKey{event: ev.ID, session: si}].n > 0 {
			n.Received++
			continue
		}
		if c, ok := coveredAfter(si, slot, ev.Published, s.End); ok {
			n.Covered++
			if c.outage >= 0 {
				n.ByResync++
				a.Resyncs[c.outage].Covered++
			}
			continue
		}
		n.Unnoticed++
		if len(a.UnnoticedSamples) < maxSamples {
			a.UnnoticedSamples = append(a.UnnoticedSamples, fmt.Sprintf("event %d (%s) published at %s, Redis answered at %s; "+
				"user%d's connection (slot %d, listen %v) up from %s to %s got nothing of its slot after it", ev.ID, describeEvent(ev),
				rel(ev.Published), rel(ev.Answered), s.User, s.Slot, s.Listen, rel(s.Auth), rel(s.End)))
		}
	}
}

// receiptText is the frame a receipt without an id was.
func receiptText(kind int) string {
	switch kind {
	case protocol.ReceiptActivity:
		return domain.TextNotifyActivity
	case protocol.ReceiptNotification:
		return domain.TextNotifyNotification
	}
	return domain.TextNotifyFile
}

func describeEvent(ev *Event) string {
	if ev == nil {
		return "unknown"
	}
	if ev.Kind == events.KindShared {
		return fmt.Sprintf("shared storage, %s", ev.Fate)
	}
	if ev.Cold {
		return fmt.Sprintf("home for user%d while the database was out, %s", ev.User, ev.Fate)
	}
	return fmt.Sprintf("%s for user%d, %s", ev.Kind, ev.User, ev.Fate)
}

// Lost is every required delivery that did not arrive.
func (a Account) Lost() uint64 { return a.Total.Lost }

// receiptSlot is the slot of a frame without an id.
func receiptSlot(kind int) int {
	switch kind {
	case protocol.ReceiptActivity:
		return slotActivity
	case protocol.ReceiptNotification:
		return slotNotification
	}
	return slotFile
}
