package app

import (
	"context"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/notifypush/notify_push/domain"
	"github.com/notifypush/notify_push/ports"
)

// countingConn is the cheapest possible transport, so that benchmarks
// measure the hub and dispatcher, not a mock.
type countingConn struct{ sent atomic.Int64 }

func (c *countingConn) Send(domain.Outgoing)     { c.sent.Add(1) }
func (c *countingConn) Close(domain.CloseReason) {}

// fixedMounts is a cache holding the same rows for every storage.
type fixedMounts []domain.Mount

func (m fixedMounts) MountsFor(context.Context, domain.StorageID) ([]domain.Mount, error) {
	return m, nil
}

func (m fixedMounts) CachedMounts(domain.StorageID) ([]domain.Mount, bool, bool) {
	return m, false, true
}

type benchClock struct{ now time.Time }

func (c *benchClock) Now() time.Time { return c.now }

func benchDispatcher(opts HubOptions, mounts ports.MountCache) (*Hub, *Dispatcher) {
	clock := &benchClock{now: t0}
	counters := domain.NewCounters()
	hub := NewHub(opts, clock, counters, discard())
	mapper, err := NewMapper(MapperOptions{}, hub, mounts, clock, counters, discard())
	if err != nil {
		panic(err)
	}
	d := NewDispatcher(hub, mapper, nil, NewPreAuth(), nil, clock, counters, discard())
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
			mounts := make(fixedMounts, m)
			for i := range mounts {
				mounts[i] = domain.Mount{User: domain.UserID("user" + strconv.Itoa(i)), Root: "files/Team"}
			}
			hub, d := benchDispatcher(HubOptions{DebounceDisable: true}, mounts)
			conns := make([]*countingConn, m)
			for i := range conns {
				conns[i] = &countingConn{}
				if _, err := hub.Connect(mounts[i].User, conns[i]); err != nil {
					b.Fatal(err)
				}
			}
			ctx := context.Background()
			ev := domain.StorageUpdate{Storage: 10, Path: "files/Team/notes.md", FileID: 42}
			b.ReportAllocs()
			for b.Loop() {
				d.HandleEvent(ctx, ev)
			}
			if conns[m-1].sent.Load() == 0 {
				b.Fatal("nothing delivered")
			}
		})
	}
}

// warmCache holds fresh rows for many storages behind a lock, as the
// database adapter's cache does, so that the benchmark pays for the lookup.
type warmCache struct {
	mu   sync.RWMutex
	rows map[domain.StorageID][]domain.Mount
}

func (c *warmCache) MountsFor(_ context.Context, s domain.StorageID) ([]domain.Mount, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.rows[s], nil
}

func (c *warmCache) CachedMounts(s domain.StorageID) ([]domain.Mount, bool, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	m, ok := c.rows[s]
	return m, false, ok
}

// BenchmarkFanoutWarmCache is storage updates spread over S storages of ten
// users each, every mapping cached (debounce disabled): the dispatcher's
// storage-update path when the database has no part in it.
func BenchmarkFanoutWarmCache(b *testing.B) {
	const usersPerStorage = 10
	for _, storages := range []int{1, 1000} {
		b.Run("storages="+strconv.Itoa(storages), func(b *testing.B) {
			cache := &warmCache{rows: make(map[domain.StorageID][]domain.Mount, storages)}
			var users []domain.UserID
			for s := range storages {
				for u := range usersPerStorage {
					user := domain.UserID("user" + strconv.Itoa(s*usersPerStorage+u))
					root := "" // half of them see the whole storage, half one folder
					if u%2 == 1 {
						root = "files/Team"
					}
					cache.rows[domain.StorageID(s)] = append(cache.rows[domain.StorageID(s)], domain.Mount{User: user, Root: root})
					users = append(users, user)
				}
			}
			hub, d := benchDispatcher(HubOptions{DebounceDisable: true}, cache)
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
