package soak

import (
	"encoding/json"
	"testing"

	"github.com/notifypush/notify_push/internal/load/events"
)

func kindsOf(evs []Event) map[events.EventKind]int {
	m := map[events.EventKind]int{}
	for _, e := range evs {
		m[e.Kind]++
	}
	return m
}

// A user's slot takes a second event only once Redis answered the first at
// least gap ago; custom messages carry their id and are never held back.
func TestSoakGenSpacesEventsWithoutIDs(t *testing.T) {
	mix, err := events.ParseMix("custom=1,activity=1")
	if err != nil {
		t.Fatal(err)
	}
	g := newGenerator(2, 0, 1000, 0, mix, 0)
	first := g.take(0, 4) // custom, activity, custom, activity
	if k := kindsOf(first); k[events.KindCustom] != 2 || k[events.KindActivity] != 2 {
		t.Fatalf("first take: %v", k)
	}
	// Both users' activity slots await an answer: no activity now.
	if k := kindsOf(g.take(10, 2)); k[events.KindActivity] != 0 || k[events.KindCustom] != 1 {
		t.Fatalf("second take: %v", k)
	}
	for _, ev := range first {
		if ev.Kind == events.KindActivity {
			g.answered(ev.ID, 1, 100)
		}
	}
	if k := kindsOf(g.take(1099, 2)); k[events.KindActivity] != 0 {
		t.Fatalf("activity within gap of the answer: %v", k)
	}
	if k := kindsOf(g.take(1100, 2)); k[events.KindActivity] != 1 {
		t.Fatalf("activity once the gap passed: %v", k)
	}
	_, skipped := g.snapshot()
	if skipped[events.KindActivity] != 2 {
		t.Fatalf("skipped %v", skipped)
	}
	evs, _ := g.snapshot()
	for i, ev := range evs {
		if ev.ID != int64(i+1) {
			t.Fatalf("event %d has id %d", i, ev.ID)
		}
	}
}

// The shared update takes every mounter's file slot: home updates to
// mounters keep gap away from it, and it waits for theirs.
func TestSoakGenKeepsHomeUpdatesAwayFromTheSharedOne(t *testing.T) {
	mix, _ := events.ParseMix("home=1")
	g := newGenerator(4, 2, 100, 1000, mix, 0) // users 0, 1 mount; shared due at 1000
	evs := g.take(0, 4)
	if len(evs) != 4 {
		t.Fatalf("%d home updates at 0", len(evs))
	}
	for _, ev := range evs {
		g.answered(ev.ID, 1, 10)
	}
	// At 950 a home update to a mounter would come within gap of the shared
	// one: only users 2 and 3 get theirs.
	for _, ev := range g.take(950, 4) {
		if ev.User < 2 {
			t.Fatalf("home update to mounter %d at 950", ev.User)
		}
	}
	// A mounter's home update still unanswered holds the shared one back.
	g2 := newGenerator(2, 2, 100, 1000, mix, 0)
	pending := g2.take(0, 1)
	if k := kindsOf(g2.take(1000, 0)); k[events.KindShared] != 0 {
		t.Fatalf("shared update while a mounter's home update is in flight")
	}
	g2.answered(pending[0].ID, 1, 1000)
	if k := kindsOf(g2.take(1050, 0)); k[events.KindShared] != 0 {
		t.Fatalf("shared update within gap of a mounter's home update")
	}
	shared := g2.take(1100, 0)
	if k := kindsOf(shared); k[events.KindShared] != 1 || shared[0].User != -1 {
		t.Fatalf("no shared update once free: %v", shared)
	}
	// …and home updates to mounters wait for its answer and gap.
	if k := kindsOf(g2.take(1200, 2)); k[events.KindHome] != 0 {
		t.Fatalf("home update to a mounter while the shared one is in flight")
	}
	g2.refused(shared[0].ID, 1200)
	if k := kindsOf(g2.take(1300, 2)); k[events.KindHome] != 2 {
		t.Fatalf("home updates after a refused shared one: %v", k)
	}
}

func TestSoakPayloads(t *testing.T) {
	for _, c := range []struct {
		ev      Event
		channel string
		payload string
	}{
		{Event{ID: 7, Kind: events.KindCustom, User: 3}, "notify_custom", `{"user":"user3","message":"soak","body":{"e":7}}`},
		{Event{ID: 8, Kind: events.KindActivity, User: 3}, "notify_activity", `{"user":"user3"}`},
		{Event{ID: 9, Kind: events.KindNotification, User: 3}, "notify_notification", `{"user":"user3"}`},
		{Event{ID: 10, Kind: events.KindHome, User: 3}, "notify_storage_update", `{"storage":4,"path":"files/soak/10.txt","file_id":10}`},
		{Event{ID: 11, Kind: events.KindShared, User: -1}, "notify_storage_update",
			`{"storage":1000000,"path":"files/soak/11.txt","file_id":11}`},
	} {
		ch, p := soakPayload(nil, c.ev)
		if ch != c.channel || string(p) != c.payload || !json.Valid(p) {
			t.Errorf("%s: %s %s", c.ev.Kind, ch, p)
		}
	}
	if id, err := events.SoakEventID(`{"e":42}`); err != nil || id != 42 {
		t.Errorf("soakEventID: %d, %v", id, err)
	}
	if _, err := events.SoakEventID(`{"t":42}`); err == nil {
		t.Error("soakEventID read an id out of a body without one")
	}
}

// The cold users' homes get no update (the warm-up's priming included)
// until the database is out; then home updates go to them first, one each.
func TestSoakGenKeepsColdHomesForTheDatabaseOutage(t *testing.T) {
	mix, _ := events.ParseMix("home=1")
	g := newGenerator(4, 0, 1000, 0, mix, 0)
	g.keepCold(2)
	for u := range 4 {
		if _, ok := g.homeFor(u, 0); ok != (u < 2) {
			t.Errorf("priming user%d: %v", u, ok)
		}
	}
	if evs := g.take(5000, 4); len(evs) != 0 {
		t.Fatalf("home updates to cold users before the outage: %+v", evs)
	}
	g.setDatabaseOut(true)
	evs := g.take(10_000, 3)
	if len(evs) != 2 || evs[0].User != 2 || !evs[0].Cold || evs[1].User != 3 || !evs[1].Cold {
		t.Fatalf("during the outage: %+v", evs)
	}
	for _, ev := range evs {
		g.answered(ev.ID, 1, 10_001)
	}
	g.setDatabaseOut(false)
	if evs := g.take(20_000, 4); len(evs) != 0 {
		t.Fatalf("cold users' homes after the outage: %+v", evs)
	}
	all, _ := g.snapshot()
	if cold := kindsOf(all); cold[events.KindHome] != 4 || !all[2].Cold || all[0].Cold {
		t.Fatalf("events %+v", all)
	}
}
