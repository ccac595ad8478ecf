package run

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
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

func (r *runner) fanout(ctx context.Context, srv *harness.Server) error {
	o := r.opts
	f := &r.report.Fanout
	f.Users = len(r.upUsers(o.FanoutUsers))
	if o.FanoutRounds == 0 || f.Users == 0 {
		return nil
	}
	round := func(k int) error {
		_, err := publish.Pace(ctx, r.pub, 0, 1, func(_ int, nowUS int64, b []byte) (string, []byte) {
			return domain.ChannelStorageUpdate, events.AppendStorageUpdate(b, world.SharedStorage, "files/loadgen/round"+strconv.Itoa(k)+".txt", nowUS)
		})
		return err
	}
	// The first round loads the mapping from the database.
	if err := r.resetAll(ctx); err != nil {
		return err
	}
	if err := round(0); err != nil {
		return err
	}
	s, err := r.awaitDeliveries(ctx, func(rc protocol.Received) bool { return rc.FileIDs >= uint64(f.Users) })
	if err != nil {
		return err
	}
	f.WarmReceived, f.WarmLatency = s.Received.FileIDs, *s.Latency
	if err := r.resetAll(ctx); err != nil {
		return err
	}
	for k := 1; k <= o.FanoutRounds; k++ {
		if err := round(k); err != nil {
			return err
		}
		want := uint64(f.Users * k)
		if s, err = r.awaitDeliveries(ctx, func(rc protocol.Received) bool { return rc.FileIDs >= want }); err != nil {
			return err
		}
		time.Sleep(50 * time.Millisecond)
	}
	f.Rounds = o.FanoutRounds
	f.Expected = uint64(f.Users * o.FanoutRounds)
	f.Received, f.Latency, f.Dropped = s.Received.FileIDs, *s.Latency, s.Dropped
	r.Logf("fan-out: %d users × %d rounds: %d/%d received, p50 %s, p99 %s, max %s (first round: p99 %s, max %s)",
		f.Users, f.Rounds, f.Received, f.Expected, report.Micros(f.Latency.Quantile(0.5)), report.Micros(f.Latency.Quantile(0.99)), report.Micros(f.Latency.Max),
		report.Micros(f.WarmLatency.Quantile(0.99)), report.Micros(f.WarmLatency.Max))
	return nil
}

func (r *runner) throughput(ctx context.Context, srv *harness.Server) error {
	o := r.opts
	t := &r.report.Through
	users := r.upUsers(o.Conns)
	shared := len(r.upUsers(o.FanoutUsers))
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
	before, err := r.events(ctx, srv)
	if err != nil {
		return err
	}
	r.Logf("throughput: %d events at %d/s (%s)", total, o.Rate, o.mix)
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
	n, at, err := r.awaitEvents(ctx, srv, before+total)
	if err != nil {
		return err
	}
	t.Accepted = n - before
	if d := at.Sub(paced.Start).Seconds(); d > 0 {
		t.AcceptRate = float64(t.Accepted) / d
	}
	s, err := r.awaitDeliveries(ctx, func(rc protocol.Received) bool {
		return rc.Custom >= t.Expected[events.KindCustom] && rc.Activity >= t.Expected[events.KindActivity] &&
			rc.Notification >= t.Expected[events.KindNotification] && rc.FileIDs >= t.Expected[events.KindHome]+t.Expected[events.KindShared]
	})
	if err != nil {
		return err
	}
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

// subscriber reads the server's subscription from Redis: its client id and
// output buffer.
func (r *runner) subscriber(ctx context.Context) (id string, omem int64, err error) {
	list, err := r.Redis.ClientList(ctx).Result()
	if err != nil {
		return "", 0, fmt.Errorf("CLIENT LIST: %w", err)
	}
	return parseSubscriber(list)
}

// parseSubscriber finds the client subscribed to channels in CLIENT LIST
// output and returns its id and output memory.
func parseSubscriber(list string) (id string, omem int64, err error) {
	for _, line := range strings.Split(list, "\n") {
		fields := map[string]string{}
		for _, kv := range strings.Fields(line) {
			if k, v, ok := strings.Cut(kv, "="); ok {
				fields[k] = v
			}
		}
		if n, _ := strconv.Atoi(fields["sub"]); n > 0 {
			om, _ := strconv.ParseInt(fields["omem"], 10, 64)
			return fields["id"], om, nil
		}
	}
	return "", 0, errors.New("no client is subscribed")
}

// bufferDisconnects counts the clients Redis dropped for their output
// buffer: from its log, which says so in every version, or from INFO's
// counter (Redis 7.2 and later) when that is higher.
func (r *runner) bufferDisconnects(ctx context.Context) int64 {
	n := int64(strings.Count(r.redis.Output(), "overcoming of output buffer limits"))
	info, err := r.Redis.Info(ctx, "stats").Result()
	if err != nil {
		return n
	}
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "client_output_buffer_limit_disconnections:"); ok {
			n = max(n, atoiOr(v))
		}
	}
	return n
}

func (r *runner) drain(ctx context.Context, srv *harness.Server) error {
	o := r.opts
	d := &r.report.Drain
	storages := r.upUsers(o.DrainStorages)
	total := int(float64(o.DrainRate) * o.DrainDuration.Seconds())
	d.Storages = len(storages)
	if total == 0 || len(storages) == 0 {
		return nil
	}
	// Warm the mapping cache: one update per storage.
	if err := r.resetAll(ctx); err != nil {
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
	if err := r.resetAll(ctx); err != nil {
		return err
	}
	before, err := r.events(ctx, srv)
	if err != nil {
		return err
	}
	subBefore, _, err := r.subscriber(ctx)
	if err != nil {
		return err
	}
	discBefore := r.bufferDisconnects(ctx)

	// Sample the subscriber's output buffer and the server's lag meanwhile.
	pubBase := int(r.pub.Sent())
	sampleCtx, stopSampling := context.WithCancel(ctx)
	var sampleWG sync.WaitGroup
	sampleWG.Add(1)
	go func() {
		defer sampleWG.Done()
		for sampleCtx.Err() == nil {
			if _, om, err := r.subscriber(sampleCtx); err == nil {
				d.MaxOmem = max(d.MaxOmem, om)
			}
			if n, err := r.events(sampleCtx, srv); err == nil {
				d.MaxLag = max(d.MaxLag, int(r.pub.Sent())-pubBase-(n-before))
			}
			select {
			case <-sampleCtx.Done():
			case <-time.After(100 * time.Millisecond):
			}
		}
	}()
	r.Logf("drain: %d storage updates at %d/s over %d cached storages", total, o.DrainRate, len(storages))
	paced, err := publish.Pace(ctx, r.pub, float64(o.DrainRate), total, func(i int, nowUS int64, b []byte) (string, []byte) {
		return domain.ChannelStorageUpdate, events.AppendStorageUpdate(b, world.HomeStorage(storages[i%len(storages)]), "files/drain.txt", nowUS)
	})
	if err != nil {
		stopSampling()
		sampleWG.Wait()
		return err
	}
	n, at, err := r.awaitEvents(ctx, srv, before+total)
	stopSampling()
	sampleWG.Wait()
	if err != nil {
		return err
	}
	d.Published, d.PublishRate = paced.Sent, paced.Rate()
	d.Counted = n-before >= total
	d.Behind = max(at.Sub(paced.End).Seconds(), 0)
	if s := at.Sub(paced.Start).Seconds(); s > 0 {
		d.AcceptRate = float64(n-before) / s
	}
	d.Disconnects = r.bufferDisconnects(ctx) - discBefore
	subAfter, _, err := r.subscriber(ctx)
	d.Resubscribe = err != nil || subAfter != subBefore
	s, err := r.awaitDeliveries(ctx, func(rc protocol.Received) bool { return rc.FileIDs >= uint64(total) })
	if err != nil {
		return err
	}
	d.Received, d.Latency, d.Dropped = s.Received.FileIDs, *s.Latency, s.Dropped
	if d.Received < uint64(total) {
		d.Lost = uint64(total) - d.Received
	}
	r.Logf("drain: published %s/s, server counted %s/s, %.2f s behind at the end, max lag %d, max omem %s, delivered %d, lost %d",
		report.Count(d.PublishRate), report.Count(d.AcceptRate), d.Behind, d.MaxLag, report.Bytes(d.MaxOmem), d.Received, d.Lost)
	return nil
}
