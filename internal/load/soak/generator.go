package soak

import (
	"fmt"
	"math"
	"sync"

	"github.com/notifypush/notify_push/domain"
	"github.com/notifypush/notify_push/internal/load/events"
	"github.com/notifypush/notify_push/internal/load/world"
)

// eventFate is what became of one event the soak tried to publish.
type eventFate uint8

const (
	// fatePending: not answered yet.
	fatePending eventFate = iota
	// fateDelivered: PUBLISH answered ≥ 1: the server's subscription has it.
	fateDelivered
	// FateNobody: PUBLISH answered 0: nobody was subscribed (Redis had just
	// restarted and the server had not subscribed again yet).
	FateNobody
	// fateUnconfirmed: written, but the connection to Redis died before the
	// answer (a kill -9): Redis may or may not have passed it on.
	fateUnconfirmed
	// FateRefused: never written: Redis accepted no connection (down).
	FateRefused
)

var fateNames = [...]string{"pending", "delivered", "nobody subscribed", "unconfirmed", "refused"}

func (f eventFate) String() string { return fateNames[f] }

// Event is one event of the soak. Times are Unix microseconds.
type Event struct {
	ID   int64            `json:"id"`
	Kind events.EventKind `json:"kind"`
	// User is the user addressed (custom, activity, notification) or whose
	// home storage changed (home); -1 for the shared storage.
	User int `json:"user"`
	// Published is when it was handed to the publisher.
	Published int64 `json:"published"`
	// Answered is when Redis answered, or the publisher learnt it never would.
	Answered  int64     `json:"answered"`
	Receivers int64     `json:"receivers"`
	Fate      eventFate `json:"fate"`
	// Cold marks a home update published while the mapping tables were
	// away, on a storage the server had never mapped: it cannot be
	// delivered, and its users must hear of it through the resync once the
	// database is back.
	Cold bool `json:"cold,omitempty"`
}

// The debounce-free slots of a connection that carry no event identity: the
// server merges an unsent frame of a slot into the next (conn.Send), so
// events of one slot are spaced for the client to tell them apart.
const (
	slotActivity = iota
	slotNotification
	slotFile
	numSlots
)

func slotOf(k events.EventKind) int {
	switch k {
	case events.KindActivity:
		return slotActivity
	case events.KindNotification:
		return slotNotification
	case events.KindHome, events.KindShared:
		return slotFile
	}
	return -1
}

// busy marks a slot whose last event Redis has not answered yet.
const busy = math.MaxInt64

// generator picks the soak's events: the mix's kinds in turn, each to the
// next user (round robin) whose slot is free, and the shared storage every
// sharedEvery. A slot is free once Redis answered its previous event at
// least gap ago: one such event is then in flight per user and slot, and a
// frame without an id can be told apart from the next as long as delivery
// takes less than gap. The shared storage's update takes the file slot of
// every user who mounts it, so home updates to those users keep gap away
// from it on both sides.
//
// With keepCold, the last users' home storages get no update (so the
// server never caches their mapping) until the database outage: while it
// lasts, home updates go to them first, one each. Safe for concurrent use.
type generator struct {
	users, mounters int
	gap             int64 // µs
	sharedEvery     int64 // µs; 0 = no shared updates
	pattern         []events.EventKind

	mu             sync.Mutex
	next           int                      // into pattern
	cursor         map[events.EventKind]int // round robin over the users, per kind
	events         []Event
	freeAt         [numSlots][]int64
	mountersBusy   int   // home updates to mounters awaiting an answer
	mountersFreeAt int64 // when every mounter's file slot is free
	sharedFreeAt   int64
	nextShared     int64
	skipped        map[events.EventKind]int
	// coldFrom is the first cold user; coldNext the next one whose home an
	// update during the database outage takes; dbOut says it is on.
	coldFrom, coldNext int
	dbOut              bool
}

func newGenerator(users, mounters int, gapUS, sharedEveryUS int64, mix events.Mix, startUS int64) *generator {
	g := &generator{users: users, mounters: mounters, gap: gapUS, sharedEvery: sharedEveryUS, pattern: mix.Pattern(),
		skipped: map[events.EventKind]int{}, cursor: map[events.EventKind]int{}, nextShared: startUS + sharedEveryUS,
		coldFrom: users, coldNext: users}
	for s := range g.freeAt {
		g.freeAt[s] = make([]int64, users)
	}
	return g
}

// keepCold keeps the homes of the last n users for the database outage.
func (g *generator) keepCold(n int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.coldFrom = max(g.users-n, 0)
	g.coldNext = g.coldFrom
}

// setDatabaseOut says whether the mapping tables are away now.
func (g *generator) setDatabaseOut(out bool) {
	g.mu.Lock()
	g.dbOut = out
	g.mu.Unlock()
}

// take picks up to n events of the mix (and the shared update when due) at
// now; kinds whose slots are all taken are skipped and counted.
func (g *generator) take(now int64, n int) []Event {
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []Event
	if g.sharedEvery > 0 && g.mounters > 0 && now >= g.nextShared && g.sharedFreeAt <= now &&
		g.mountersBusy == 0 && g.mountersFreeAt <= now {
		out = append(out, g.add(events.KindShared, -1, now))
		g.sharedFreeAt = busy
		g.nextShared = now + g.sharedEvery
	}
	for range n {
		k := g.pattern[g.next%len(g.pattern)]
		g.next++
		if k == events.KindHome && g.dbOut && g.coldNext < g.users && g.coldFree(g.coldNext, now) {
			out = append(out, g.add(k, g.coldNext, now))
			g.events[len(g.events)-1].Cold = true
			out[len(out)-1].Cold = true
			g.coldNext++
		} else if u, ok := g.pick(k, now); ok {
			out = append(out, g.add(k, u, now))
		} else {
			g.skipped[k]++
		}
	}
	return out
}

// homeFor takes the file slot of user for a home update, if free.
func (g *generator) homeFor(user int, now int64) (Event, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.free(events.KindHome, user, now) {
		return Event{}, false
	}
	return g.add(events.KindHome, user, now), true
}

func (g *generator) free(k events.EventKind, u int, now int64) bool {
	if k == events.KindHome && u >= g.coldFrom {
		return false // kept for the database outage
	}
	return g.slotFree(k, u, now)
}

// coldFree reports whether cold user u's home may take an update now.
func (g *generator) coldFree(u int, now int64) bool { return g.slotFree(events.KindHome, u, now) }

func (g *generator) slotFree(k events.EventKind, u int, now int64) bool {
	s := slotOf(k)
	if s >= 0 && g.freeAt[s][u] > now {
		return false
	}
	if k == events.KindHome && u < g.mounters && g.sharedEvery > 0 {
		return g.sharedFreeAt <= now && now+g.gap <= g.nextShared
	}
	return true
}

func (g *generator) pick(k events.EventKind, now int64) (int, bool) {
	for range g.users {
		u := g.cursor[k] % g.users
		g.cursor[k]++
		if g.free(k, u, now) {
			return u, true
		}
	}
	return 0, false
}

func (g *generator) add(k events.EventKind, u int, now int64) Event {
	ev := Event{ID: int64(len(g.events)) + 1, Kind: k, User: u, Published: now, Receivers: -1}
	g.events = append(g.events, ev)
	if s := slotOf(k); s >= 0 && u >= 0 {
		g.freeAt[s][u] = busy
		if k == events.KindHome && u < g.mounters {
			g.mountersBusy++
		}
	}
	return ev
}

// settle records an event's fate and frees its slot at freeAt.
func (g *generator) settle(id int64, fate eventFate, receivers, at, freeAt int64) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if id < 1 || id > int64(len(g.events)) {
		return
	}
	ev := &g.events[id-1]
	if ev.Fate != fatePending {
		return
	}
	ev.Fate, ev.Receivers, ev.Answered = fate, receivers, at
	switch {
	case ev.Kind == events.KindShared:
		g.sharedFreeAt = freeAt
	case slotOf(ev.Kind) >= 0:
		g.freeAt[slotOf(ev.Kind)][ev.User] = freeAt
		if ev.Kind == events.KindHome && ev.User < g.mounters {
			g.mountersBusy--
			g.mountersFreeAt = max(g.mountersFreeAt, freeAt)
		}
	}
}

func (g *generator) answered(id, receivers, at int64) {
	fate := fateDelivered
	if receivers <= 0 {
		fate = FateNobody
	}
	g.settle(id, fate, receivers, at, at+g.gap)
}

func (g *generator) unconfirmed(id, at int64) { g.settle(id, fateUnconfirmed, -1, at, at+g.gap) }

func (g *generator) refused(id, at int64) { g.settle(id, FateRefused, -1, at, at) }

// snapshot copies the events and the skip counts.
func (g *generator) snapshot() ([]Event, map[events.EventKind]int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	skipped := make(map[events.EventKind]int, len(g.skipped))
	for k, v := range g.skipped {
		skipped[k] = v
	}
	return append([]Event(nil), g.events...), skipped
}

// soakPayload is the channel and payload of ev.
func soakPayload(b []byte, ev Event) (string, []byte) {
	switch ev.Kind {
	case events.KindActivity:
		return domain.ChannelActivity, events.AppendUserEvent(b, ev.User)
	case events.KindNotification:
		return domain.ChannelNotification, events.AppendUserEvent(b, ev.User)
	case events.KindHome:
		return domain.ChannelStorageUpdate, events.AppendStorageUpdate(b, world.HomeStorage(ev.User), soakPath(ev.ID), ev.ID)
	case events.KindShared:
		return domain.ChannelStorageUpdate, events.AppendStorageUpdate(b, world.SharedStorage, soakPath(ev.ID), ev.ID)
	default:
		return domain.ChannelCustom, events.AppendCustom(b, ev.User, events.SoakMessage, "e", ev.ID)
	}
}

func soakPath(id int64) string { return fmt.Sprintf("files/soak/%d.txt", id) }
