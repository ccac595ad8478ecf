package run

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/notifypush/notify_push/domain"
	"github.com/notifypush/notify_push/internal/load/harness"
	"github.com/notifypush/notify_push/internal/load/publish"
)

// What the run asks Redis itself: who subscribes, what it costs, and the
// app's metrics query.

// awaitSubscribers waits (10 s at most) until n clients subscribe to the
// storage updates, summed over the nodes (a cluster's subscriptions are
// each on one node).
func (r *runner) awaitSubscribers(ctx context.Context, n int) error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := int64(0)
		for _, c := range r.nodes {
			m, err := c.PubSubNumSub(ctx, domain.ChannelStorageUpdate).Result()
			if err != nil {
				return fmt.Errorf("PUBSUB NUMSUB on %s: %w", c.Options().Addr, err)
			}
			got += m[domain.ChannelStorageUpdate]
		}
		if got == int64(n) {
			return nil
		}
		if time.Now().After(deadline) {
			r.Problem("%d clients subscribe to %s, want %d", got, domain.ChannelStorageUpdate, n)
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// subscriber is one client of Redis subscribed to channels.
type subscriber struct {
	id   string // node address and client id
	omem int64
}

// subscribers lists the clients subscribed to channels on every node.
func (r *runner) subscribers(ctx context.Context) ([]subscriber, error) {
	var all []subscriber
	for _, c := range r.nodes {
		list, err := c.ClientList(ctx).Result()
		if err != nil {
			return nil, fmt.Errorf("CLIENT LIST on %s: %w", c.Options().Addr, err)
		}
		for _, s := range parseSubscribers(list) {
			s.id = c.Options().Addr + "/" + s.id
			all = append(all, s)
		}
	}
	if len(all) == 0 {
		return nil, errors.New("no client is subscribed")
	}
	slices.SortFunc(all, func(a, b subscriber) int { return strings.Compare(a.id, b.id) })
	return all, nil
}

// parseSubscribers finds the clients subscribed to channels in CLIENT LIST
// output: their ids and output memory.
func parseSubscribers(list string) []subscriber {
	var out []subscriber
	for _, line := range strings.Split(list, "\n") {
		fields := map[string]string{}
		for _, kv := range strings.Fields(line) {
			if k, v, ok := strings.Cut(kv, "="); ok {
				fields[k] = v
			}
		}
		if n, _ := strconv.Atoi(fields["sub"]); n > 0 {
			om, _ := strconv.ParseInt(fields["omem"], 10, 64)
			out = append(out, subscriber{id: fields["id"], omem: om})
		}
	}
	return out
}

// sameClients says whether a and b list the same subscribed clients.
func sameClients(a, b []subscriber) bool {
	return slices.EqualFunc(a, b, func(x, y subscriber) bool { return x.id == y.id })
}

// bufferDisconnects counts the clients Redis dropped for their output
// buffer, over the nodes: from each one's log, which says so in every
// version, or from INFO's counter (Redis 7.2 and later) when that is higher.
func (r *runner) bufferDisconnects(ctx context.Context) int64 {
	var total int64
	for i, c := range r.nodes {
		n := int64(strings.Count(r.redis[i].Output(), "overcoming of output buffer limits"))
		if s, err := harness.ReadRedisStats(ctx, c); err == nil {
			n = max(n, s.BufferDisconnects)
		}
		total += n
	}
	return total
}

// redisStats is what the nodes say of their cost, summed.
func (r *runner) redisStats(ctx context.Context) (harness.RedisStats, error) {
	var sum harness.RedisStats
	for i, c := range r.nodes {
		s, err := harness.ReadRedisStats(ctx, c)
		if err != nil {
			return sum, err
		}
		if i == 0 {
			sum = s
		} else {
			sum = sum.Plus(s)
		}
	}
	return sum, nil
}

// costMeter samples Redis's CPU time at the end of each phase.
type costMeter struct {
	r      *runner
	at     time.Time
	last   harness.RedisStats
	sent   uint64
	phases []RedisPhase
	broken bool
}

// redisCost starts measuring what Redis spends from now on.
func (r *runner) redisCost(ctx context.Context) *costMeter {
	m := &costMeter{r: r, at: time.Now(), sent: r.pub.Sent()}
	var err error
	if m.last, err = r.redisStats(ctx); err != nil {
		r.Problem("Redis's own figures: %v", err)
		m.broken = true
	}
	return m
}

// phase closes a phase named name: Redis's CPU time since the last one and
// the events published meanwhile.
func (m *costMeter) phase(ctx context.Context, name string) {
	if m.broken {
		return
	}
	s, err := m.r.redisStats(ctx)
	if err != nil {
		m.r.Problem("Redis's own figures: %v", err)
		m.broken = true
		return
	}
	now, sent := time.Now(), m.r.pub.Sent()
	p := RedisPhase{Name: name, Seconds: now.Sub(m.at).Seconds(), CPUSeconds: s.CPUSeconds - m.last.CPUSeconds,
		Published: sent - m.sent, UsedMemory: s.UsedMemory, RSS: s.RSS}
	m.phases = append(m.phases, p)
	m.r.Logf("redis, %s: %.2f s of CPU in %.1f s (%.1f %% of a core), %d published, memory %s, RSS %s", name, p.CPUSeconds,
		p.Seconds, p.CPUPercent(), p.Published, mib(s.UsedMemory), mib(s.RSS))
	m.at, m.last, m.sent = now, s, sent
}

func mib(v uint64) string { return fmt.Sprintf("%.1f MiB", float64(v)/(1<<20)) }

// metricsKey is where a server writes its answer to the app's metrics query.
const metricsKey = "notify_push_metrics"

// queryMetrics asks the service for its metrics the way the app does (occ
// notify_push:metrics): notify_query "metrics" into Redis, the answer read
// from the key the servers write. With several instances every one of them
// answers, each with the sum over all.
func (r *runner) queryMetrics(ctx context.Context, svc service) (*AppMetrics, error) {
	if err := r.Redis.Del(ctx, metricsKey).Err(); err != nil {
		return nil, fmt.Errorf("DEL %s: %w", metricsKey, err)
	}
	if _, err := publish.Pace(ctx, r.pub, 0, 1, func(_ int, _ int64, b []byte) (string, []byte) {
		return domain.ChannelQuery, append(b, `"metrics"`...)
	}); err != nil {
		return nil, err
	}
	deadline := time.Now().Add(5 * time.Second)
	var answer string
	for {
		v, err := r.Redis.Get(ctx, metricsKey).Result()
		if err == nil {
			answer = v
			break
		}
		if time.Now().After(deadline) {
			r.Problem("the app's metrics query: no answer in %s after 5 s (%v)", metricsKey, err)
			return nil, nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	var snap domain.MetricsSnapshot
	if err := json.Unmarshal([]byte(answer), &snap); err != nil {
		r.Problem("the app's metrics query: %s holds %q: %v", metricsKey, answer, err)
		return nil, nil
	}
	m := &AppMetrics{Connections: snap.ActiveConnectionCount, EventsReceived: snap.EventsReceived}
	for _, srv := range svc.servers {
		s, err := srv.Scrape(ctx)
		if err != nil {
			return nil, err
		}
		m.Held += int64(s["active_connection_count"])
		m.InstanceCounts = append(m.InstanceCounts, int(s["instance_count"]))
	}
	r.Logf("the app's metrics query: %d connections (the servers hold %d), instance_count %v", m.Connections, m.Held, m.InstanceCounts)
	return m, nil
}
