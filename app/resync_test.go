package app

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/golang/mock/gomock"

	"github.com/notifypush/notify_push/domain"
)

// TestResubscribedTellsEveryClientToRecheck: the event source says its
// subscription is back after an interruption; every connection gets the
// three messages once, through the debounce, within the spread.
func TestResubscribedTellsEveryClientToRecheck(t *testing.T) {
	f := newFixture(t, HubOptions{ResyncSpread: 10 * time.Second})
	var recs []*recorder
	for _, u := range []domain.UserID{"alice", "alice", "bob", "carol"} {
		s, r := f.connect(t, u)
		if u == "bob" {
			s.ListenFileIDs()
		}
		recs = append(recs, r)
	}
	events := f.counters.EventsReceived.Load()
	f.handle(domain.Resubscribed{})
	f.handle(domain.Resubscribed{}) // a storm of reconnects: still once each
	if got := f.counters.EventsReceived.Load(); got != events {
		t.Fatalf("the resubscription counted as %d events", got-events)
	}
	if n, told := f.counters.Resyncs(domain.ResyncRedis), f.counters.ResyncedClients(domain.ResyncRedis); n != 2 || told != 8 {
		t.Fatalf("%d resyncs telling %d connections, want 2 telling 8", n, told)
	}
	f.hub.FlushDue(t0.Add(time.Minute))
	want := []string{"notify_file", "notify_activity", "notify_notification"}
	for i, r := range recs {
		got := slices.Clone(r.Texts())
		slices.Sort(got)
		w := slices.Clone(want)
		slices.Sort(w)
		if !slices.Equal(got, w) {
			t.Errorf("connection %d got %q, want each of %q once", i, r.Texts(), want)
		}
	}
}

// TestResyncSpreadsTheConnectionsOverTheWindow: with thousands of clients,
// the resync must not reach Nextcloud in one instant.
func TestResyncSpreadsTheConnectionsOverTheWindow(t *testing.T) {
	f := newFixture(t, HubOptions{ResyncSpread: 10 * time.Second})
	const n = 400
	recs := make([]*recorder, n)
	for i := range recs {
		_, recs[i] = f.connect(t, domain.UserID("user"+string(rune('a'+i%26))+string(rune('a'+i/26))))
	}
	if told := f.hub.Resync(everyKind, t0); told != n {
		t.Fatalf("told %d connections, want %d", told, n)
	}
	sent := func() int {
		k := 0
		for _, r := range recs {
			if len(r.Texts()) > 0 {
				k++
			}
		}
		return k
	}
	f.hub.FlushDue(t0)
	if k := sent(); k != 0 {
		t.Fatalf("%d connections told at once", k)
	}
	f.hub.FlushDue(t0.Add(5 * time.Second))
	if k := sent(); k < n/4 || k > 3*n/4 {
		t.Fatalf("%d of %d connections told after half the window, want about half", k, n)
	}
	f.hub.FlushDue(t0.Add(11 * time.Second))
	if k := sent(); k != n {
		t.Fatalf("%d of %d connections told after the window", k, n)
	}
}

// TestMapperTellsTheUsersOfDroppedUpdatesOnceTheDatabaseIsBack: updates of
// an uncached storage are dropped while the database fails; the mapper's own
// probe finds it back, and the users of that storage re-check their files.
func TestMapperTellsTheUsersOfDroppedUpdatesOnceTheDatabaseIsBack(t *testing.T) {
	f := newFixture(t, HubOptions{})
	_, alice := f.connect(t, "alice")
	_, bob := f.connect(t, "bob")
	down := errors.New("connection refused")
	f.db.EXPECT().MountsFor(gomock.Any(), domain.StorageID(3)).Return(nil, down)
	f.handle(update(3, "files/a.txt", 1))
	runQueued(f.mapper)
	f.handle(update(3, "files/b.txt", 2)) // in backoff: dropped at once
	if n := f.counters.DatabaseErrors.Load(); n != 2 {
		t.Fatalf("database errors = %d, want 2", n)
	}

	// The probe looks the storage up, whatever its backoff.
	f.clock.Advance(DefaultMinBackoff)
	f.db.EXPECT().MountsFor(gomock.Any(), domain.StorageID(3)).Return([]domain.Mount{{User: "alice", Root: "files"}}, nil)
	f.mapper.probeMissed(f.clock.Now())
	if n := runQueued(f.mapper); n != 1 {
		t.Fatalf("%d lookups, want the probe", n)
	}
	f.hub.FlushDue(f.clock.Now().Add(time.Minute))
	eq(t, "alice, who mounts the storage", alice.Texts(), []string{"notify_file"})
	eq(t, "bob, who does not", bob.Texts(), nil)
	if n, told := f.counters.Resyncs(domain.ResyncDatabase), f.counters.ResyncedClients(domain.ResyncDatabase); n != 1 || told != 1 {
		t.Fatalf("%d resyncs telling %d, want 1 telling 1", n, told)
	}
	// Told once: nothing is missed any more.
	f.mapper.probeMissed(f.clock.Now().Add(time.Hour))
	if n := runQueued(f.mapper); n != 0 {
		t.Fatalf("%d lookups once everything was told", n)
	}
}

// TestMapperOneSuccessEndsEveryBackoff: a storage in backoff is looked up
// again at its next update once any query succeeded, not a minute later.
func TestMapperOneSuccessEndsEveryBackoff(t *testing.T) {
	f := newFixture(t, HubOptions{DebounceDisable: true})
	_, r := f.connect(t, "alice")
	rows := []domain.Mount{{User: "alice"}}
	f.db.EXPECT().MountsFor(gomock.Any(), domain.StorageID(3)).Return(nil, errors.New("connection refused"))
	f.handle(update(3, "files/a.txt", 1))
	runQueued(f.mapper)
	// Another storage's lookup succeeds: the database is back. It also looks
	// storage 3 up again, to tell alice about the dropped update.
	f.db.EXPECT().MountsFor(gomock.Any(), domain.StorageID(4)).Return(rows, nil)
	f.db.EXPECT().MountsFor(gomock.Any(), domain.StorageID(3)).Return(rows, nil)
	f.handle(update(4, "files/b.txt", 2))
	if n := runQueued(f.mapper); n != 2 {
		t.Fatalf("%d lookups, want storage 4's and the recovery of 3", n)
	}
	// Storage 3 is cached now, and not in backoff: its update is delivered.
	f.handle(update(3, "files/c.txt", 3))
	if n := f.counters.DatabaseErrors.Load(); n != 1 {
		t.Fatalf("database errors = %d, want only the first failure", n)
	}
	if got := r.Texts(); len(got) < 2 || got[len(got)-1] != "notify_file" {
		t.Fatalf("alice got %q", got)
	}
}

// TestMapperOverflowTellsEveryone: more storages missed than remembered:
// every client re-checks its files once the database answers.
func TestMapperOverflowTellsEveryone(t *testing.T) {
	f := newFixture(t, HubOptions{})
	f.withMapper(t, MapperOptions{MaxMissedStorages: 2})
	_, alice := f.connect(t, "alice")
	_, bob := f.connect(t, "bob")
	f.db.EXPECT().MountsFor(gomock.Any(), gomock.Any()).Return(nil, errors.New("connection refused")).Times(3)
	for s := range domain.StorageID(3) {
		f.handle(update(s, "files/x", 1))
	}
	runQueued(f.mapper)
	f.db.EXPECT().MountsFor(gomock.Any(), domain.StorageID(7)).Return(nil, nil)
	f.handle(update(7, "files/y", 2))
	runQueued(f.mapper)
	f.hub.FlushDue(f.clock.Now().Add(time.Minute))
	eq(t, "alice", alice.Texts(), []string{"notify_file"})
	eq(t, "bob", bob.Texts(), []string{"notify_file"})
	if n, told := f.counters.Resyncs(domain.ResyncDatabase), f.counters.ResyncedClients(domain.ResyncDatabase); n != 1 || told != 2 {
		t.Fatalf("%d resyncs telling %d, want 1 telling everyone (2)", n, told)
	}
}

// TestMapperFailedProbeIsNoResync: the probe finds the database still away;
// nothing was told, and nothing is counted or logged as a resync.
func TestMapperFailedProbeIsNoResync(t *testing.T) {
	f := newFixture(t, HubOptions{})
	f.connect(t, "alice")
	down := errors.New("no such table: oc_mounts")
	f.db.EXPECT().MountsFor(gomock.Any(), domain.StorageID(3)).Return(nil, down).Times(2)
	f.handle(update(3, "files/a.txt", 1))
	runQueued(f.mapper)
	f.mapper.probeMissed(f.clock.Now())
	if n := runQueued(f.mapper); n != 1 {
		t.Fatalf("%d lookups, want the probe", n)
	}
	if n := f.counters.Resyncs(domain.ResyncDatabase); n != 0 {
		t.Fatalf("%d resyncs counted for a probe that failed", n)
	}
	f.mapper.mu.Lock()
	_, still := f.mapper.missed[3]
	f.mapper.mu.Unlock()
	if !still {
		t.Fatal("the storage is forgotten after a failed probe")
	}
}
