package run

import (
	"context"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/notifypush/notify_push/domain"
	"github.com/notifypush/notify_push/internal/load/events"
	"github.com/notifypush/notify_push/internal/load/harness"
	"github.com/notifypush/notify_push/internal/load/protocol"
	"github.com/notifypush/notify_push/internal/load/publish"
	"github.com/notifypush/notify_push/internal/load/report"
	"github.com/notifypush/notify_push/internal/load/world"
)

// The phases that publish into Redis and count what the clients receive.

// fanout publishes updates of storage, one at a time, to the connected
// users that mount it: one uncached round, then the measured rounds.
func (r *runner) fanout(ctx context.Context, svc service, what string, storage int, users []int) (Fanout, error) {
	o := r.opts
	f := Fanout{Users: len(users)}
	if o.FanoutRounds == 0 || f.Users == 0 {
		return f, nil
	}
	perServer := make([]int, len(svc.servers))
	for _, u := range users {
		if i := svc.owner(u); i >= 0 {
			perServer[i]++
		}
	}
	if err := r.warmRound(ctx, svc, storage, &f); err != nil {
		return f, err
	}
	all, err := r.fanoutRounds(ctx, svc, storage, &f, 1, o.FanoutRounds)
	if err != nil {
		return f, err
	}
	if len(svc.servers) > 1 {
		for i, srv := range svc.servers {
			if perServer[i] == 0 {
				continue
			}
			si := merged(all, r.slots[i])
			f.PerInstance = append(f.PerInstance, FanoutShare{Name: srv.Name, Users: perServer[i], Expected: uint64(perServer[i] * f.Rounds),
				Received: si.Received.FileIDs, Latency: *si.Latency})
		}
	}
	r.logFanout(what, f)
	for _, p := range f.PerInstance {
		r.Logf("  %s: %d/%d received, p50 %s, p99 %s", p.Name, p.Received, p.Expected,
			report.Micros(p.Latency.Quantile(0.5)), report.Micros(p.Latency.Quantile(0.99)))
	}
	return f, nil
}

func (r *runner) logFanout(what string, f Fanout) {
	r.Logf("%s: %d users × %d rounds: %d/%d received, p50 %s, p99 %s, max %s (first round: p99 %s, max %s); server CPU %.2f s",
		what, f.Users, f.Rounds, f.Received, f.Expected, report.Micros(f.Latency.Quantile(0.5)), report.Micros(f.Latency.Quantile(0.99)),
		report.Micros(f.Latency.Max), report.Micros(f.WarmLatency.Quantile(0.99)), report.Micros(f.WarmLatency.Max), f.CPUSeconds)
}

// publishRound publishes round k's update of storage.
func (r *runner) publishRound(ctx context.Context, storage, k int) error {
	_, err := publish.Pace(ctx, r.pub, 0, 1, func(_ int, nowUS int64, b []byte) (string, []byte) {
		return domain.ChannelStorageUpdate, events.AppendStorageUpdate(b, storage, "files/loadgen/round"+strconv.Itoa(k)+".txt", nowUS)
	})
	return err
}

// warmRound publishes the first update of storage, which loads its mapping
// from the database, and files what its f.Users users received and the
// queries each server of svc ran for it.
func (r *runner) warmRound(ctx context.Context, svc service, storage int, f *Fanout) error {
	queries := func() ([]int, error) {
		if !svc.servers[0].Metrics {
			return nil, nil
		}
		return r.metric(ctx, svc, "mapping_query_count")
	}
	if err := r.resetAll(ctx); err != nil {
		return err
	}
	q0, err := queries()
	if err != nil {
		return err
	}
	if err := r.publishRound(ctx, storage, 0); err != nil {
		return err
	}
	all, err := r.awaitDeliveries(ctx, func(rc protocol.Received) bool { return rc.FileIDs >= uint64(f.Users) })
	if err != nil {
		return err
	}
	s := merged(all, nil)
	f.WarmReceived, f.WarmLatency = s.Received.FileIDs, *s.Latency
	if q0 != nil {
		q1, err := queries()
		if err != nil {
			return err
		}
		f.WarmQueries = minus(q1, q0)
	}
	return nil
}

// fanoutRounds resets the workers' counts and publishes rounds first to
// first+n-1 of storage's updates to f.Users users, each once the one before
// has reached them all, and adds to f what they received and what the
// servers of svc spent. It returns the workers' stats over these rounds.
func (r *runner) fanoutRounds(ctx context.Context, svc service, storage int, f *Fanout, first, n int) ([]protocol.Stats, error) {
	if err := r.resetAll(ctx); err != nil {
		return nil, err
	}
	cpu0, err := cpuTicks(svc)
	if err != nil {
		return nil, err
	}
	var all []protocol.Stats
	for k := 1; k <= n; k++ {
		if err := r.publishRound(ctx, storage, first+k-1); err != nil {
			return nil, err
		}
		want := uint64(f.Users * k)
		if all, err = r.awaitDeliveries(ctx, func(rc protocol.Received) bool { return rc.FileIDs >= want }); err != nil {
			return nil, err
		}
		time.Sleep(50 * time.Millisecond)
	}
	cpu1, err := cpuTicks(svc)
	if err != nil {
		return nil, err
	}
	s := merged(all, nil)
	f.CPUSeconds += float64(cpu1-cpu0) / harness.ClockTicks
	f.Rounds += n
	f.Expected += uint64(f.Users * n)
	f.Received += s.Received.FileIDs
	f.Latency.Merge(*s.Latency)
	f.Dropped += s.Dropped
	return all, nil
}

// instanceBlock is how many rounds of an instance's own update run in a row
// with its neighbours running, or paused.
const instanceBlock = 5

// instanceFanouts measures, for each server g of svc, its fan-out of
// storage(g) to users[g], all held by g, with the other servers running
// (beside[g]) and paused (alone[g]): one instance alone with the same
// clients, heap and minutes.
//
// The rounds go in blocks of instanceBlock, the instances taking turns
// block by block, and each instance's blocks in the order running, paused,
// paused, running, …, so that a drift of the machine's speed over the
// phase falls on both sides alike. Taking turns also writes to every
// instance's clients every few seconds: were the instances measured one
// after the other, the clients of the one measured before would all fall
// due for their ping together in the next one's blocks (30 s after their
// last update), and a paused instance's due pings would go out in the
// running blocks after it: ping bursts the measurement makes, not the
// instances. Each instance's own idle pings are measured as CPU at rest.
func (r *runner) instanceFanouts(ctx context.Context, svc service, storage func(g int) int, users [][]int) (beside, alone []Fanout, err error) {
	n := len(svc.servers)
	beside, alone = make([]Fanout, n), make([]Fanout, n)
	rounds := r.opts.InstanceRounds
	for g := range n {
		beside[g], alone[g] = Fanout{Users: len(users[g])}, Fanout{Users: len(users[g])}
		if rounds == 0 || len(users[g]) == 0 {
			continue
		}
		if err := r.warmRound(ctx, svc, storage(g), &beside[g]); err != nil {
			return beside, alone, err
		}
		alone[g].WarmReceived, alone[g].WarmLatency, alone[g].WarmQueries = beside[g].WarmReceived, beside[g].WarmLatency, beside[g].WarmQueries
	}
	paused := make([]bool, n)
	// pauseAllBut pauses every server but g (none when g < 0). A resumed
	// server gets a moment for what arrived meanwhile (the updates it
	// missed, its ping tick) before the next round.
	pauseAllBut := func(g int) error {
		resumed := false
		for i, srv := range svc.servers {
			if paused[i] && (g < 0 || i == g) {
				if err := srv.Resume(); err != nil {
					return err
				}
				paused[i], resumed = false, true
			}
		}
		if resumed {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(resumeSettle):
			}
		}
		for i, srv := range svc.servers {
			if g >= 0 && i != g && !paused[i] {
				if err := srv.Pause(); err != nil {
					return err
				}
				paused[i] = true
			}
		}
		return nil
	}
	defer func() {
		if e := pauseAllBut(-1); err == nil {
			err = e
		}
	}()
	finished := func() bool {
		for g := range n {
			if len(users[g]) > 0 && (beside[g].Rounds < rounds || alone[g].Rounds < rounds) {
				return false
			}
		}
		return true
	}
	next := 1 // round numbers, so that every update's path differs
	for b := 0; !finished(); b++ {
		for g := range n {
			// Blocks b = 1, 2 (mod 4) run with every server but g paused.
			f, running := &beside[g], -1
			if b%4 == 1 || b%4 == 2 {
				f, running = &alone[g], g
			}
			k := min(instanceBlock, rounds-f.Rounds)
			if k <= 0 || f.Users == 0 {
				continue
			}
			if err := pauseAllBut(running); err != nil {
				return beside, alone, err
			}
			all, err := r.fanoutRounds(ctx, svc, storage(g), f, next, k)
			if err != nil {
				return beside, alone, err
			}
			next += k
			// What g's own clients received: all of it, when no update strays.
			if f.PerInstance == nil {
				f.PerInstance = []FanoutShare{{Name: svc.servers[g].Name, Users: f.Users}}
			}
			share, own := &f.PerInstance[0], merged(all, r.slots[g])
			share.Expected += uint64(f.Users * k)
			share.Received += own.Received.FileIDs
			share.Latency.Merge(*own.Latency)
		}
	}
	return beside, alone, nil
}

// resumeSettle is how long a resumed server gets before the next round.
const resumeSettle = 500 * time.Millisecond

// cpuTicks is the CPU time the servers of svc have used, summed.
func cpuTicks(svc service) (uint64, error) {
	var sum uint64
	for _, srv := range svc.servers {
		t, err := harness.ReadCPUTicks(srv.PID())
		if err != nil {
			return 0, err
		}
		sum += t
	}
	return sum, nil
}

func (r *runner) throughput(ctx context.Context, svc service) error {
	o := r.opts
	t := &r.report.Through
	users := r.upUsers(o.Conns, nil)
	shared := len(r.upUsers(o.FanoutUsers, nil))
	total := int(float64(o.Rate) * o.Duration.Seconds())
	if total == 0 || len(users) == 0 {
		return nil
	}
	pattern := o.mix.Pattern()
	t.Expected = map[events.EventKind]uint64{}
	for i := range total {
		switch k := pattern[i%len(pattern)]; k {
		case events.KindShared:
			t.Expected[k] += uint64(shared)
		default:
			t.Expected[k]++
		}
	}
	if err := r.resetAll(ctx); err != nil {
		return err
	}
	before, err := r.metric(ctx, svc, "event_count_total")
	if err != nil {
		return err
	}
	r.Logf("throughput: %d events at %d/s (%s)", total, o.Rate, o.mix)
	cpu0, err := cpuTicks(svc)
	if err != nil {
		return err
	}
	paced, err := publish.Pace(ctx, r.pub, float64(o.Rate), total, func(i int, nowUS int64, b []byte) (string, []byte) {
		u := users[i%len(users)]
		switch pattern[i%len(pattern)] {
		case events.KindActivity:
			return domain.ChannelActivity, events.AppendUserEvent(b, u)
		case events.KindNotification:
			return domain.ChannelNotification, events.AppendUserEvent(b, u)
		case events.KindHome:
			return domain.ChannelStorageUpdate, events.AppendStorageUpdate(b, world.HomeStorage(u), "files/loadgen.txt", nowUS)
		case events.KindShared:
			return domain.ChannelStorageUpdate, events.AppendStorageUpdate(b, world.SharedStorage, "files/loadgen.txt", nowUS)
		default:
			return domain.ChannelCustom, events.AppendCustom(b, u, events.CustomMessage, "t", nowUS)
		}
	})
	if err != nil {
		return err
	}
	t.Published, t.PublishRate = paced.Sent, paced.Rate()
	n, at, err := r.awaitEvents(ctx, svc, plus(before, total))
	if err != nil {
		return err
	}
	// Every instance reads every event: the service keeps up when the
	// slowest one does.
	t.Accepted = slices.Min(minus(n, before))
	if d := at.Sub(paced.Start).Seconds(); d > 0 {
		t.AcceptRate = float64(t.Accepted) / d
	}
	all, err := r.awaitDeliveries(ctx, func(rc protocol.Received) bool {
		return rc.Custom >= t.Expected[events.KindCustom] && rc.Activity >= t.Expected[events.KindActivity] &&
			rc.Notification >= t.Expected[events.KindNotification] && rc.FileIDs >= t.Expected[events.KindHome]+t.Expected[events.KindShared]
	})
	if err != nil {
		return err
	}
	cpu1, err := cpuTicks(svc)
	if err != nil {
		return err
	}
	t.CPUSeconds = float64(cpu1-cpu0) / harness.ClockTicks
	s := merged(all, nil)
	t.Received, t.Latency, t.Dropped = s.Received, *s.Latency, s.Dropped
	if s.LastReceive > 0 {
		t.Seconds = float64(s.LastReceive-paced.Start.UnixNano()) / 1e9
	}
	for _, kv := range []struct {
		want, got uint64
	}{
		{t.Expected[events.KindCustom], s.Received.Custom},
		{t.Expected[events.KindActivity], s.Received.Activity},
		{t.Expected[events.KindNotification], s.Received.Notification},
		{t.Expected[events.KindHome] + t.Expected[events.KindShared], s.Received.FileIDs},
	} {
		if kv.got < kv.want {
			t.Lost += kv.want - kv.got
		} else {
			t.Extra += kv.got - kv.want
		}
	}
	r.Logf("throughput: published %s/s, server counted %s/s, delivered %d in %.2f s (%s/s), lost %d, p99 %s",
		report.Count(t.PublishRate), report.Count(t.AcceptRate), t.Received.Deliveries(), t.Seconds, report.Count(t.DeliveredRate()), t.Lost,
		report.Micros(t.Latency.Quantile(0.99)))
	return nil
}

func (r *runner) drain(ctx context.Context, svc service) error {
	o := r.opts
	d := &r.report.Drain
	storages := r.upUsers(o.DrainStorages, nil)
	total := int(float64(o.DrainRate) * o.DrainDuration.Seconds())
	d.Storages = len(storages)
	if total == 0 || len(storages) == 0 {
		return nil
	}
	// Warm the mapping cache with one update per storage: a burst of cold
	// updates, which costs every instance one query per storage.
	if err := r.resetAll(ctx); err != nil {
		return err
	}
	q0, err := r.metric(ctx, svc, "mapping_query_count")
	if err != nil {
		return err
	}
	if _, err := publish.Pace(ctx, r.pub, 0, len(storages), func(i int, nowUS int64, b []byte) (string, []byte) {
		return domain.ChannelStorageUpdate, events.AppendStorageUpdate(b, world.HomeStorage(storages[i]), "files/warm.txt", nowUS)
	}); err != nil {
		return err
	}
	if _, err := r.awaitDeliveries(ctx, func(rc protocol.Received) bool { return rc.FileIDs >= uint64(len(storages)) }); err != nil {
		return err
	}
	q1, err := r.metric(ctx, svc, "mapping_query_count")
	if err != nil {
		return err
	}
	d.WarmQueries = minus(q1, q0)
	if err := r.resetAll(ctx); err != nil {
		return err
	}
	before, err := r.metric(ctx, svc, "event_count_total")
	if err != nil {
		return err
	}
	subsBefore, err := r.subscribers(ctx)
	if err != nil {
		return err
	}
	discBefore := r.bufferDisconnects(ctx)

	// Sample the subscribers' output buffers and the servers' lag meanwhile.
	pubBase := int(r.pub.Sent())
	sampleCtx, stopSampling := context.WithCancel(ctx)
	var sampleWG sync.WaitGroup
	sampleWG.Go(func() {
		for sampleCtx.Err() == nil {
			if subs, err := r.subscribers(sampleCtx); err == nil {
				for _, s := range subs {
					d.MaxOmem = max(d.MaxOmem, s.omem)
				}
			}
			if n, err := r.metric(sampleCtx, svc, "event_count_total"); err == nil {
				for i := range n {
					d.MaxLag = max(d.MaxLag, int(r.pub.Sent())-pubBase-(n[i]-before[i]))
				}
			}
			select {
			case <-sampleCtx.Done():
			case <-time.After(100 * time.Millisecond):
			}
		}
	})
	r.Logf("drain: %d storage updates at %d/s over %d cached storages", total, o.DrainRate, len(storages))
	paced, err := publish.Pace(ctx, r.pub, float64(o.DrainRate), total, func(i int, nowUS int64, b []byte) (string, []byte) {
		return domain.ChannelStorageUpdate, events.AppendStorageUpdate(b, world.HomeStorage(storages[i%len(storages)]), "files/drain.txt", nowUS)
	})
	if err != nil {
		stopSampling()
		sampleWG.Wait()
		return err
	}
	n, at, err := r.awaitEvents(ctx, svc, plus(before, total))
	stopSampling()
	sampleWG.Wait()
	if err != nil {
		return err
	}
	counted := slices.Min(minus(n, before))
	d.Published, d.PublishRate = paced.Sent, paced.Rate()
	d.Counted = counted >= total
	d.Behind = max(at.Sub(paced.End).Seconds(), 0)
	if s := at.Sub(paced.Start).Seconds(); s > 0 {
		d.AcceptRate = float64(counted) / s
	}
	d.Disconnects = r.bufferDisconnects(ctx) - discBefore
	subsAfter, err := r.subscribers(ctx)
	d.Resubscribe = err != nil || !sameClients(subsBefore, subsAfter)
	all, err := r.awaitDeliveries(ctx, func(rc protocol.Received) bool { return rc.FileIDs >= uint64(total) })
	if err != nil {
		return err
	}
	q2, err := r.metric(ctx, svc, "mapping_query_count")
	if err != nil {
		return err
	}
	d.Queries = minus(q2, q1)
	s := merged(all, nil)
	d.Received, d.Latency, d.Dropped = s.Received.FileIDs, *s.Latency, s.Dropped
	if d.Received < uint64(total) {
		d.Lost = uint64(total) - d.Received
	}
	r.Logf("drain: published %s/s, server counted %s/s, %.2f s behind at the end, max lag %d, max omem %s, delivered %d, lost %d; "+
		"mapping queries per instance: %v for the %d cold storages, %v while draining",
		report.Count(d.PublishRate), report.Count(d.AcceptRate), d.Behind, d.MaxLag, report.Bytes(d.MaxOmem), d.Received, d.Lost,
		d.WarmQueries, len(storages), d.Queries)
	return nil
}
