package app

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/notifypush/notify_push/domain"
	"github.com/notifypush/notify_push/internal/fakeclock"
	"github.com/notifypush/notify_push/ports"
)

// countingConn is the cheapest possible transport, so that benchmarks
// measure the hub and dispatcher, not a mock.
type countingConn struct{ sent atomic.Int64 }

func (c *countingConn) Send(domain.Outgoing)     { c.sent.Add(1) }
func (c *countingConn) Close(domain.CloseReason) {}

// fixedMounts is a database holding the same rows for every storage.
type fixedMounts []domain.Mount

func (m fixedMounts) MountsFor(context.Context, domain.StorageID) ([]domain.Mount, error) {
	return m, nil
}

// benchDispatcher is the event path over db, with the mapping of the warm
// storages in the cache: what the dispatcher does once the database has
// answered.
func benchDispatcher(opts HubOptions, db ports.MountStore, warm ...domain.StorageID) (*Hub, *Dispatcher) {
	clock := fakeclock.New(t0)
	counters := domain.NewCounters()
	hub := NewHub(opts, clock, counters, discard())
	cache, err := NewMountCache(db, MountCacheOptions{}, clock, discard())
	if err != nil {
		panic(err)
	}
	for _, s := range warm {
		if _, err := cache.MountsFor(context.Background(), s); err != nil {
			panic(err)
		}
	}
	mapper, err := NewMapper(MapperOptions{}, hub, cache, clock, counters, discard())
	if err != nil {
		panic(err)
	}
	d := NewDispatcher(nil, nil, hub, mapper, nil, NewPreAuth(), nil, clock, counters, discard())
	return hub, d
}

// BenchmarkDispatchToUser is one per-user event delivered to each of a
// user's K connections at once (debounce disabled).
func BenchmarkDispatchToUser(b *testing.B) {
	for _, k := range []int{1, 4, domain.MaxConnectionsPerUser} {
		b.Run("conns="+strconv.Itoa(k), func(b *testing.B) {
			hub, d := benchDispatcher(HubOptions{DebounceDisable: true}, fixedMounts(nil))
			conns := make([]*countingConn, k)
			for i := range conns {
				conns[i] = &countingConn{}
				if _, err := hub.Connect("alice", conns[i]); err != nil {
					b.Fatal(err)
				}
			}
			ctx := context.Background()
			ev := domain.Activity{User: "alice"}
			b.ReportAllocs()
			for b.Loop() {
				d.HandleEvent(ctx, ev)
			}
			if conns[k-1].sent.Load() == 0 {
				b.Fatal("nothing delivered")
			}
		})
	}
}

// BenchmarkDispatchDebounced is the same event with debouncing on: it fills
// the slot and schedules the connection.
func BenchmarkDispatchDebounced(b *testing.B) {
	hub, d := benchDispatcher(HubOptions{}, fixedMounts(nil))
	if _, err := hub.Connect("alice", &countingConn{}); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		d.HandleEvent(ctx, domain.Activity{User: "alice"})
	}
}

// BenchmarkFanout is one storage update reaching every one of M users that
// have the storage mounted (mapping cached, debounce disabled).
func BenchmarkFanout(b *testing.B) {
	for _, m := range []int{100, 1000, 10000} {
		b.Run("users="+strconv.Itoa(m), func(b *testing.B) {
			conns := runFanout(b, HubOptions{DebounceDisable: true}, m, "files/Team", "user")
			if conns[m-1].sent.Load() == 0 {
				b.Fatal("nothing delivered")
			}
		})
	}
}

// runFanout times updates of a storage that users user0…user<m-1> mount at
// root, with m connections of users prefix0…prefix<m-1> attached: the
// storage's users when prefix is "user", someone else's otherwise.
func runFanout(b *testing.B, opts HubOptions, m int, root, prefix string) []*countingConn {
	mounts := make(fixedMounts, m)
	for i := range mounts {
		mounts[i] = domain.Mount{User: domain.UserID("user" + strconv.Itoa(i)), Root: root}
	}
	hub, d := benchDispatcher(opts, mounts, 10)
	conns := make([]*countingConn, m)
	for i := range conns {
		conns[i] = &countingConn{}
		if _, err := hub.Connect(domain.UserID(prefix+strconv.Itoa(i)), conns[i]); err != nil {
			b.Fatal(err)
		}
	}
	ctx := context.Background()
	ev := domain.StorageUpdate{Storage: 10, Path: "files/Team/notes.md", FileID: 42}
	b.ReportAllocs()
	for b.Loop() {
		d.HandleEvent(ctx, ev)
	}
	return conns
}

// BenchmarkFanoutElsewhere is a storage update whose users are all
// connected to another instance: behind a proxy every instance receives
// every update, and the ones holding none of its users should spend as
// little as possible on it, since they share machines with the one that
// does the writing.
func BenchmarkFanoutElsewhere(b *testing.B) {
	for _, m := range []int{1000, 19000} {
		b.Run("users="+strconv.Itoa(m), func(b *testing.B) {
			for _, c := range runFanout(b, HubOptions{}, m, "", "other") {
				if c.sent.Load() != 0 {
					b.Fatal("delivered to a user who does not mount the storage")
				}
			}
		})
	}
}

// storageRows is a database holding rows per storage.
type storageRows map[domain.StorageID][]domain.Mount

func (r storageRows) MountsFor(_ context.Context, s domain.StorageID) ([]domain.Mount, error) {
	return r[s], nil
}

// BenchmarkFanoutWarmCache is storage updates spread over S storages of ten
// users each, every mapping cached (debounce disabled): the dispatcher's
// storage-update path when the database has no part in it.
func BenchmarkFanoutWarmCache(b *testing.B) {
	const usersPerStorage = 10
	for _, storages := range []int{1, 1000} {
		b.Run("storages="+strconv.Itoa(storages), func(b *testing.B) {
			rows := make(storageRows, storages)
			var users []domain.UserID
			for s := range storages {
				for u := range usersPerStorage {
					user := domain.UserID("user" + strconv.Itoa(s*usersPerStorage+u))
					root := "" // half of them see the whole storage, half one folder
					if u%2 == 1 {
						root = "files/Team"
					}
					rows[domain.StorageID(s)] = append(rows[domain.StorageID(s)], domain.Mount{User: user, Root: root})
					users = append(users, user)
				}
			}
			warm := make([]domain.StorageID, storages)
			for s := range warm {
				warm[s] = domain.StorageID(s)
			}
			hub, d := benchDispatcher(HubOptions{DebounceDisable: true}, rows, warm...)
			conns := make([]*countingConn, len(users))
			for i, u := range users {
				conns[i] = &countingConn{}
				if _, err := hub.Connect(u, conns[i]); err != nil {
					b.Fatal(err)
				}
			}
			evs := make([]domain.StorageUpdate, storages)
			for s := range evs {
				evs[s] = domain.StorageUpdate{Storage: domain.StorageID(s), Path: "files/Team/notes.md", FileID: 42}
			}
			ctx := context.Background()
			i := 0
			b.ReportAllocs()
			for b.Loop() {
				d.HandleEvent(ctx, evs[i%storages])
				i++
			}
			if conns[len(conns)-1].sent.Load() == 0 {
				b.Fatal("nothing delivered")
			}
		})
	}
}

// BenchmarkFlushDue is the debounce scheduler sending N due connections'
// messages in one wake-up.
func BenchmarkFlushDue(b *testing.B) {
	for _, n := range []int{100, 10000} {
		b.Run("conns="+strconv.Itoa(n), func(b *testing.B) {
			hub, d := benchDispatcher(HubOptions{}, fixedMounts(nil))
			for i := range n {
				if _, err := hub.Connect(domain.UserID("user"+strconv.Itoa(i)), &countingConn{}); err != nil {
					b.Fatal(err)
				}
			}
			ctx := context.Background()
			now := t0
			b.ReportAllocs()
			for b.Loop() {
				b.StopTimer()
				for i := range n {
					d.HandleEvent(ctx, domain.Notification{User: domain.UserID("user" + strconv.Itoa(i))})
				}
				now = now.Add(time.Hour)
				b.StartTimer()
				hub.FlushDue(now)
			}
		})
	}
}

// benchCache is a MountCache with storage 10 (three users, as in the demo)
// loaded: what every storage update of a known storage asks.
func benchCache(b *testing.B) *MountCache {
	cache, err := NewMountCache(fixedMounts{
		{User: "alice", Root: ""}, {User: "bob", Root: "files/Team"}, {User: "carol", Root: "files/Team/Design"},
	}, MountCacheOptions{}, fakeclock.New(t0), discard())
	if err != nil {
		b.Fatal(err)
	}
	if _, err := cache.MountsFor(context.Background(), 10); err != nil {
		b.Fatal(err)
	}
	return cache
}

// BenchmarkMountsForCached is the hot path of a storage update: the cached
// rows of its storage.
func BenchmarkMountsForCached(b *testing.B) {
	cache := benchCache(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := cache.MountsFor(ctx, 10); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMountsForCachedParallel is the same from every core at once.
func BenchmarkMountsForCachedParallel(b *testing.B) {
	cache := benchCache(b)
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := cache.MountsFor(ctx, 10); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
