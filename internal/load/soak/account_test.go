package soak

import (
	"strings"
	"testing"

	"github.com/notifypush/notify_push/domain"
	"github.com/notifypush/notify_push/internal/load/events"
	"github.com/notifypush/notify_push/internal/load/protocol"
)

// The accounting's rules, on a hand-made round: times in ms for legibility.
func TestAccountRequiresStableConnectionsAndExcusesTheRest(t *testing.T) {
	ms := func(v int64) int64 { return v * 1000 }
	p := accountParams{Mounters: 2, Grace: ms(1000), Window: ms(2000), CrashGuard: ms(100)}
	ev := func(id int64, k events.EventKind, user int, published, answered int64, fate eventFate) Event {
		return Event{ID: id, Kind: k, User: user, Published: ms(published), Answered: ms(answered), Receivers: 1, Fate: fate}
	}
	evs := []Event{
		ev(1, events.KindCustom, 0, 5000, 5001, fateDelivered),        // user0: stable session gets it
		ev(2, events.KindCustom, 0, 6000, 6001, fateDelivered),        // user0: lost
		ev(3, events.KindCustom, 0, 7000, 7001, fateDelivered),        // user0: twice
		ev(4, events.KindActivity, 0, 8000, 8001, fateDelivered),      // user0: frame without id, attributed
		ev(5, events.KindActivity, 0, 12000, 12001, fateDelivered),    // user0: its frame never comes
		ev(6, events.KindHome, 1, 5000, 5001, fateDelivered),          // user1 listens: gets the id
		ev(7, events.KindShared, -1, 9000, 9001, fateDelivered),       // users 0 and 1 mount it
		ev(8, events.KindCustom, 0, 4000, 0, FateRefused),             // Redis down: nothing required
		ev(9, events.KindCustom, 0, 4100, 4101, FateNobody),           // nobody subscribed: nothing required
		ev(10, events.KindCustom, 0, 13000, 13001, fateDelivered),     // answered 50 ms before a kill: excused
		ev(11, events.KindCustom, 0, 13100, 13150, fateUnconfirmed),   // the connection died first: excused
		ev(12, events.KindNotification, 2, 5000, 5001, fateDelivered), // user2: session too fresh, then closed too soon
		ev(13, events.KindNotification, 2, 8000, 8001, fateDelivered), // user2: second session closes too soon
	}
	sessions := []protocol.SoakSession{
		{Slot: 0, User: 0, Auth: ms(1000), End: ms(20000), Receipts: []int64{
			protocol.ReceiptCustom, 1, ms(5002),
			protocol.ReceiptCustom, 3, ms(7002), protocol.ReceiptCustom, 3, ms(7003),
			protocol.ReceiptActivity, -1, ms(8002),
			protocol.ReceiptFile, -1, ms(9002), // the shared update, as notify_file
			protocol.ReceiptCustom, 10, ms(13002),
			protocol.ReceiptCustom, 9, ms(4102), // an event Redis passed to nobody cannot arrive
		}},
		{Slot: 1, User: 1, Listen: true, Auth: ms(1000), End: ms(20000), Receipts: []int64{
			protocol.ReceiptFileID, 6, ms(5002),
			protocol.ReceiptFile, -1, ms(9002), // asked for ids, got notify_file
			protocol.ReceiptCustom, 1, ms(5002), // user0's message
		}},
		{Slot: 2, User: 2, Auth: ms(4500), End: ms(6000), Receipts: []int64{protocol.ReceiptNotification, -1, ms(5002)}},
		{Slot: 2, User: 2, Auth: ms(6500), End: ms(9000)},
	}
	a := account(evs, sessions, []int64{ms(13051)}, p)

	want := map[string]Deliveries{
		"custom":               {Expected: 3, Received: 2, Lost: 1, Duplicates: 1},
		"activity":             {Expected: 2, Received: 1, Lost: 1},
		"home → ids":           {Expected: 1, Received: 1},
		"shared → notify_file": {Expected: 1, Received: 1},
		"shared → ids":         {Expected: 1, Received: 1},
	}
	for _, k := range DeliveryKinds {
		got := *a.Deliveries[k]
		w := want[k]
		if got.Expected != w.Expected || got.Received != w.Received || got.Lost != w.Lost || got.Duplicates != w.Duplicates {
			t.Errorf("%s: %+v, want %+v", k, got, w)
		}
	}
	if a.Total.Lost != 2 || a.Total.Expected != 8 || a.Total.Duplicates != 1 {
		t.Errorf("total %+v", a.Total)
	}
	if a.Misdelivered != 2 { // event 9 (nobody) and user0's message on user1's connection
		t.Errorf("misdelivered %d: %v", a.Misdelivered, a.OtherSamples)
	}
	if a.FileWithoutIDs != 1 {
		t.Errorf("file without ids %d", a.FileWithoutIDs)
	}
	if x := a.Excused[excuseCrash]; x.Pairs != 1 || x.Arrived != 1 || x.Otherwise != 1 || x.OtherwiseArrived != 1 || a.CrashEvents != 1 {
		t.Errorf("crash window %+v (%d events)", *x, a.CrashEvents)
	}
	if x := a.Excused[excuseUnconfirmed]; x.Pairs != 1 || x.Arrived != 0 {
		t.Errorf("unconfirmed %+v", *x)
	}
	// Event 12: the first session logged in 0.5 s before it, the second
	// after it (both fresh; the first received it anyway); event 13: the
	// second closed 1 s after it.
	if x := a.Excused[ExcuseFresh]; x.Pairs != 2 || x.Arrived != 1 {
		t.Errorf("fresh %+v", *x)
	}
	if x := a.Excused[ExcuseClosing]; x.Pairs != 1 || x.Arrived != 0 {
		t.Errorf("closing %+v", *x)
	}
	if a.Fates[events.KindCustom][FateRefused.String()] != 1 || a.Fates[events.KindCustom][FateNobody.String()] != 1 ||
		a.Fates[events.KindCustom][fateDelivered.String()] != 4 {
		t.Errorf("fates %v", a.Fates)
	}
	if len(a.LostSamples) != 2 || !strings.Contains(a.LostSamples[0], "event 2 (custom for user0") {
		t.Errorf("lost samples %q", a.LostSamples)
	}
	if d := a.Deliveries["custom"]; d.Latency.Count != 2 || d.Latency.Max != 1000 || d.MaxFromPublish != 2000 {
		t.Errorf("custom latency %+v", d.Latency)
	}
}

// A frame without an id belongs to the latest event of its slot published
// before it; one that no event precedes is unattributable.
func TestAccountAttributesFramesWithoutIDs(t *testing.T) {
	p := accountParams{Mounters: 1, Grace: 0, Window: 1000}
	evs := []Event{
		{ID: 1, Kind: events.KindHome, User: 0, Published: 100, Answered: 110, Fate: fateDelivered},
		{ID: 2, Kind: events.KindShared, User: -1, Published: 2000, Answered: 2010, Fate: fateDelivered},
		{ID: 3, Kind: events.KindHome, User: 0, Published: 4000, Answered: 4010, Fate: fateDelivered},
	}
	sessions := []protocol.SoakSession{{User: 0, Auth: 0, End: 10000, Receipts: []int64{
		protocol.ReceiptFile, -1, 50, // before any event
		protocol.ReceiptFile, -1, 150, protocol.ReceiptFile, -1, 2050, protocol.ReceiptFile, -1, 4050, protocol.ReceiptFile, -1, 4060,
	}}}
	a := account(evs, sessions, nil, p)
	d := a.Deliveries["home → notify_file"]
	if d.Expected != 2 || d.Received != 2 || d.Duplicates != 1 || a.Deliveries["shared → notify_file"].Received != 1 {
		t.Errorf("home %+v, shared %+v", *d, *a.Deliveries["shared → notify_file"])
	}
	if a.Unattributed != 1 {
		t.Errorf("unattributed %d", a.Unattributed)
	}
}

// After an outage, frames without ids that no event explains are the
// resync's messages, counted per outage; a change lost to the outage is
// noticed through them, and one that nothing covers is unnoticed.
func TestAccountCountsResyncsAndUnnoticedChanges(t *testing.T) {
	ms := func(v int64) int64 { return v * 1000 }
	// Redis down 10-11 s, the server back by 12 s, its resync window to
	// 20 s; the mapping tables away 30-33 s, back by 39 s, window to 45 s.
	p := accountParams{Mounters: 0, Grace: ms(1000), Window: ms(2000), Outages: []outage{
		{At: ms(10000), Until: ms(11000), RecoveredBy: ms(12000), ResyncTo: ms(20000)},
		{Database: true, At: ms(30000), Until: ms(33000), RecoveredBy: ms(39000), ResyncTo: ms(45000)},
	}}
	ev := func(id int64, k events.EventKind, user int, published, answered int64, fate eventFate) Event {
		return Event{ID: id, Kind: k, User: user, Published: ms(published), Answered: ms(answered), Receivers: 1, Fate: fate}
	}
	evs := []Event{
		ev(1, events.KindActivity, 0, 5000, 5001, fateDelivered),        // received before the outage
		ev(2, events.KindActivity, 0, 11500, 11501, FateNobody),         // to nobody: only the resync covers it
		ev(3, events.KindNotification, 3, 11500, 11501, FateNobody),     // to nobody, and no frame after it: unnoticed
		ev(4, events.KindHome, 1, 5000, 5001, fateDelivered),            // user1 listens: id received
		ev(5, events.KindHome, 1, 11800, 11801, FateNobody),             // covered by the resync's plain notify_file
		ev(6, events.KindHome, 1, 16000, 16001, fateDelivered),          // merged into the pending resync
		ev(7, events.KindHome, 0, 31000, 31001, fateDelivered),          // cold: unmapped, covered by the database resync
		ev(8, events.KindCustom, 0, 11500, 11501, FateNobody),           // custom: not a change a client re-checks
		ev(9, events.KindActivity, 2, 11500, 11501, FateNobody),         // user2's connection closed before the resync
		ev(10, events.KindNotification, 0, 25000, 25001, fateDelivered), // arrives twice, outside any window: a duplicate
	}
	evs[6].Cold = true
	sessions := []protocol.SoakSession{
		{Slot: 0, User: 0, Auth: ms(1000), End: ms(50000), Receipts: []int64{
			protocol.ReceiptActivity, -1, ms(5002),
			protocol.ReceiptActivity, -1, ms(14000), // the resync: event 1 arrived long ago
			protocol.ReceiptFile, -1, ms(15000), // the resync: no file event before it
			protocol.ReceiptNotification, -1, ms(25002),
			protocol.ReceiptNotification, -1, ms(25003),
			protocol.ReceiptFile, -1, ms(40000), // the database resync: event 7 is cold
		}},
		{Slot: 1, User: 1, Listen: true, Auth: ms(1000), End: ms(50000), Receipts: []int64{
			protocol.ReceiptFileID, 4, ms(5002),
			protocol.ReceiptFile, -1, ms(16002), // resync pending when event 6 came: merged
			protocol.ReceiptActivity, -1, ms(17000), // the resync, with no activity event at all
		}},
		{Slot: 2, User: 2, Auth: ms(1000), End: ms(13000)},
		{Slot: 3, User: 3, Auth: ms(1000), End: ms(50000)},
	}
	a := account(evs, sessions, nil, p)

	if a.Unattributed != 0 || a.Misdelivered != 0 || a.FileWithoutIDs != 0 {
		t.Errorf("unattributed %d, misdelivered %d, file without ids %d: %v", a.Unattributed, a.Misdelivered, a.FileWithoutIDs,
			a.OtherSamples)
	}
	if d := a.Deliveries["notification"]; d.Received != 1 || d.Duplicates != 1 {
		t.Errorf("notification %+v", *d)
	}
	if d := a.Deliveries["home → ids"]; d.Expected != 2 || d.Received != 1 || d.Merged != 1 || d.Lost != 0 {
		t.Errorf("home → ids %+v", *d)
	}
	if x := a.Excused[ExcuseUnmapped]; x.Pairs != 1 || x.Arrived != 0 {
		t.Errorf("unmapped %+v", *x)
	}
	if len(a.Resyncs) != 2 {
		t.Fatalf("resyncs %+v", a.Resyncs)
	}
	redis, db := a.Resyncs[0], a.Resyncs[1]
	if redis.Frames[domain.TextNotifyActivity] != 2 || redis.Frames[domain.TextNotifyFile] != 2 || redis.Sessions != 2 {
		t.Errorf("redis resync %+v", redis)
	}
	if db.Frames[domain.TextNotifyFile] != 1 || db.FrameCount() != 1 || db.Sessions != 1 || db.Covered != 1 {
		t.Errorf("database resync %+v", db)
	}
	// Events 2 and 5 covered by the Redis resync (and 6 too, though it
	// merged), 3 unnoticed, 7 covered by the database's, 9 excused.
	if n := a.Noticed["activity"]; n.Pairs != 2 || n.Received != 1 || n.ByResync != 1 || n.Excused != 1 {
		t.Errorf("activity %+v", *n)
	}
	if n := a.Noticed["notification"]; n.Pairs != 2 || n.Unnoticed != 1 || n.Received != 1 {
		t.Errorf("notification %+v", *n)
	}
	if n := a.Noticed["home"]; n.Pairs != 3 || n.Received != 1 || n.Covered != 2 || n.ByResync != 2 {
		t.Errorf("home %+v", *n)
	}
	if n := a.Noticed["home, database out"]; n.Pairs != 1 || n.ByResync != 1 {
		t.Errorf("home, database out %+v", *n)
	}
	if tot := a.NoticedTotal; tot.Unnoticed != 1 || tot.Pairs != 8 || len(a.UnnoticedSamples) != 1 ||
		!strings.Contains(a.UnnoticedSamples[0], "event 3 (notification for user3") {
		t.Errorf("total %+v, samples %q", tot, a.UnnoticedSamples)
	}
}
