package main

import (
	"fmt"
	"math"
	"strconv"
	"sync"

	"github.com/notifypush/notify_push/domain"
)

// eventFate is what became of one event the soak tried to publish.
type eventFate uint8

const (
	// fatePending: not answered yet.
	fatePending eventFate = iota
	// fateDelivered: PUBLISH answered ≥ 1: the server's subscription has it.
	fateDelivered
	// fateNobody: PUBLISH answered 0: nobody was subscribed (Redis had just
	// restarted and the server had not subscribed again yet).
	fateNobody
	// fateUnconfirmed: written, but the connection to Redis died before the
	// answer (a kill -9): Redis may or may not have passed it on.
	fateUnconfirmed
	// fateRefused: never written: Redis accepted no connection (down).
	fateRefused
)

var fateNames = [...]string{"pending", "delivered", "nobody subscribed", "unconfirmed", "refused"}

func (f eventFate) String() string { return fateNames[f] }

// SoakEvent is one event of the soak. Times are Unix microseconds.
type SoakEvent struct {
	ID   int64     `json:"id"`
	Kind EventKind `json:"kind"`
	// User is the user addressed (custom, activity, notification) or whose
	// home storage changed (home); -1 for the shared storage.
	User int `json:"user"`
	// Published is when it was handed to the publisher.
	Published int64 `json:"published"`
	// Answered is when Redis answered, or the publisher learnt it never would.
	Answered  int64     `json:"answered"`
	Receivers int64     `json:"receivers"`
	Fate      eventFate `json:"fate"`
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

func slotOf(k EventKind) int {
	switch k {
	case KindActivity:
		return slotActivity
	case KindNotification:
		return slotNotification
	case KindHome, KindShared:
		return slotFile
	}
	return -1
}

// busy marks a slot whose last event Redis has not answered yet.
const busy = math.MaxInt64

// soakGen picks the soak's events: the mix's kinds in turn, each to the
// next user (round robin) whose slot is free, and the shared storage every
// sharedEvery. A slot is free once Redis answered its previous event at
// least gap ago: one such event is then in flight per user and slot, and a
// frame without an id can be told apart from the next as long as delivery
// takes less than gap. The shared storage's update takes the file slot of
// every user who mounts it, so home updates to those users keep gap away
// from it on both sides. Safe for concurrent use.
type soakGen struct {
	users, mounters int
	gap             int64 // µs
	sharedEvery     int64 // µs; 0 = no shared updates
	pattern         []EventKind

	mu             sync.Mutex
	next           int               // into pattern
	cursor         map[EventKind]int // round robin over the users, per kind
	events         []SoakEvent
	freeAt         [numSlots][]int64
	mountersBusy   int   // home updates to mounters awaiting an answer
	mountersFreeAt int64 // when every mounter's file slot is free
	sharedFreeAt   int64
	nextShared     int64
	skipped        map[EventKind]int
}

func newSoakGen(users, mounters int, gapUS, sharedEveryUS int64, mix Mix, startUS int64) *soakGen {
	g := &soakGen{users: users, mounters: mounters, gap: gapUS, sharedEvery: sharedEveryUS, pattern: mix.Pattern(),
		skipped: map[EventKind]int{}, cursor: map[EventKind]int{}, nextShared: startUS + sharedEveryUS}
	for s := range g.freeAt {
		g.freeAt[s] = make([]int64, users)
	}
	return g
}

// take picks up to n events of the mix (and the shared update when due) at
// now; kinds whose slots are all taken are skipped and counted.
func (g *soakGen) take(now int64, n int) []SoakEvent {
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []SoakEvent
	if g.sharedEvery > 0 && g.mounters > 0 && now >= g.nextShared && g.sharedFreeAt <= now &&
		g.mountersBusy == 0 && g.mountersFreeAt <= now {
		out = append(out, g.add(KindShared, -1, now))
		g.sharedFreeAt = busy
		g.nextShared = now + g.sharedEvery
	}
	for range n {
		k := g.pattern[g.next%len(g.pattern)]
		g.next++
		if u, ok := g.pick(k, now); ok {
			out = append(out, g.add(k, u, now))
		} else {
			g.skipped[k]++
		}
	}
	return out
}

// homeFor takes the file slot of user for a home update, if free.
func (g *soakGen) homeFor(user int, now int64) (SoakEvent, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.free(KindHome, user, now) {
		return SoakEvent{}, false
	}
	return g.add(KindHome, user, now), true
}

func (g *soakGen) free(k EventKind, u int, now int64) bool {
	s := slotOf(k)
	if s >= 0 && g.freeAt[s][u] > now {
		return false
	}
	if k == KindHome && u < g.mounters && g.sharedEvery > 0 {
		return g.sharedFreeAt <= now && now+g.gap <= g.nextShared
	}
	return true
}

func (g *soakGen) pick(k EventKind, now int64) (int, bool) {
	for range g.users {
		u := g.cursor[k] % g.users
		g.cursor[k]++
		if g.free(k, u, now) {
			return u, true
		}
	}
	return 0, false
}

func (g *soakGen) add(k EventKind, u int, now int64) SoakEvent {
	ev := SoakEvent{ID: int64(len(g.events)) + 1, Kind: k, User: u, Published: now, Receivers: -1}
	g.events = append(g.events, ev)
	if s := slotOf(k); s >= 0 && u >= 0 {
		g.freeAt[s][u] = busy
		if k == KindHome && u < g.mounters {
			g.mountersBusy++
		}
	}
	return ev
}

// settle records an event's fate and frees its slot at freeAt.
func (g *soakGen) settle(id int64, fate eventFate, receivers, at, freeAt int64) {
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
	case ev.Kind == KindShared:
		g.sharedFreeAt = freeAt
	case slotOf(ev.Kind) >= 0:
		g.freeAt[slotOf(ev.Kind)][ev.User] = freeAt
		if ev.Kind == KindHome && ev.User < g.mounters {
			g.mountersBusy--
			g.mountersFreeAt = max(g.mountersFreeAt, freeAt)
		}
	}
}

func (g *soakGen) answered(id, receivers, at int64) {
	fate := fateDelivered
	if receivers <= 0 {
		fate = fateNobody
	}
	g.settle(id, fate, receivers, at, at+g.gap)
}

func (g *soakGen) unconfirmed(id, at int64) { g.settle(id, fateUnconfirmed, -1, at, at+g.gap) }

func (g *soakGen) refused(id, at int64) { g.settle(id, fateRefused, -1, at, at) }

// snapshot copies the events and the skip counts.
func (g *soakGen) snapshot() ([]SoakEvent, map[EventKind]int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	skipped := make(map[EventKind]int, len(g.skipped))
	for k, v := range g.skipped {
		skipped[k] = v
	}
	return append([]SoakEvent(nil), g.events...), skipped
}

// soakPayload is the channel and payload of ev.
func soakPayload(b []byte, ev SoakEvent) (string, []byte) {
	switch ev.Kind {
	case KindActivity:
		return domain.ChannelActivity, appendUserEvent(b, ev.User)
	case KindNotification:
		return domain.ChannelNotification, appendUserEvent(b, ev.User)
	case KindHome:
		return domain.ChannelStorageUpdate, appendStorageUpdate(b, homeStorage(ev.User), soakPath(ev.ID), ev.ID)
	case KindShared:
		return domain.ChannelStorageUpdate, appendStorageUpdate(b, sharedStorage, soakPath(ev.ID), ev.ID)
	default:
		b = append(b, `{"user":"user`...)
		b = strconv.AppendInt(b, int64(ev.User), 10)
		b = append(b, `","message":"`+soakMessage+`","body":{"e":`...)
		b = strconv.AppendInt(b, ev.ID, 10)
		return domain.ChannelCustom, append(b, `}}`...)
	}
}

func soakPath(id int64) string { return fmt.Sprintf("files/soak/%d.txt", id) }
