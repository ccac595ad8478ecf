package run

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/notifypush/notify_push/internal/load/harness"
	"github.com/notifypush/notify_push/internal/load/hist"
	"github.com/notifypush/notify_push/internal/load/protocol"
	"github.com/notifypush/notify_push/internal/load/publish"
	"github.com/notifypush/notify_push/internal/load/report"
	"github.com/notifypush/notify_push/internal/load/world"
	"github.com/notifypush/notify_push/internal/process"
)

// runner is one load run: the bench, the workers' connections and the report.
type runner struct {
	*harness.Bench
	opts options

	// redis is the private redis-server, or a cluster's nodes; nodes are
	// plain clients of each, for what Redis says of itself (INFO, CLIENT
	// LIST); redisURLs is what the servers get as REDIS_URL.
	redis     []*process.Redis
	nodes     []*goredis.Client
	redisURLs string
	pub       *publish.Publisher
	// groups[w][name] is how many connections worker w holds in group name.
	groups []map[string]int
	// slots[i] are the workers that hold the connections of server i of a
	// service: each worker's counts and latencies are one server's.
	slots [][]int
	// up lists the users holding one connection each to the service being
	// measured.
	up map[int]bool
	// aloneFirst is one instance alone's group fan-out before the instances.
	aloneFirst *Fanout

	report Report
}

// run measures everything the options ask for.
func run(ctx context.Context, opts options, progress io.Writer) (*Report, error) {
	b, err := harness.NewBench("loadgen-", opts.PerSource, progress)
	if err != nil {
		return nil, err
	}
	r := &runner{Bench: b, opts: opts, up: map[int]bool{}}
	r.report.Params = opts.params()
	defer b.Close(opts.Keep, "server logs, database")
	defer r.teardown()

	if err := r.setUp(ctx); err != nil {
		return nil, err
	}
	single := opts.Instances > 1 && !opts.NoSingle
	if single {
		if r.aloneFirst, err = r.measureAloneFirst(ctx); err != nil {
			return nil, err
		}
	}
	if err := r.measureNotifyPush(ctx); err != nil {
		return nil, err
	}
	if single {
		if err := r.measureSingle(ctx); err != nil {
			return nil, err
		}
	}
	if !opts.NoReference {
		if err := r.measureReference(ctx); err != nil {
			return nil, err
		}
	}
	r.report.RunInfo = b.RunInfo()
	r.report.Problems = b.Problems()
	return &r.report, nil
}

// clusterNodes is the size of --redis-cluster: the smallest cluster Redis
// accepts without replicas.
const clusterNodes = 3

func (r *runner) setUp(ctx context.Context) error {
	var err error
	if r.opts.ServerBin, err = r.ServerBinary(ctx, r.opts.ServerBin); err != nil {
		return err
	}
	var client goredis.UniversalClient
	if r.opts.RedisCluster {
		t0 := time.Now()
		if r.redis, err = harness.StartRedisCluster(ctx, r.Dir, clusterNodes); err != nil {
			return err
		}
		var addrs, urls []string
		for _, n := range r.redis {
			addrs = append(addrs, n.Addr)
			urls = append(urls, "redis://"+n.Addr)
		}
		r.redisURLs = strings.Join(urls, ",")
		client = goredis.NewClusterClient(&goredis.ClusterOptions{Addrs: addrs})
		r.Logf("redis: cluster of %d masters on %s (%.1f s)", len(addrs), strings.Join(addrs, ", "), time.Since(t0).Seconds())
	} else {
		node, err := harness.StartRedis(r.Dir)
		if err != nil {
			return err
		}
		r.redis = []*process.Redis{node}
		r.redisURLs = "redis://" + node.Addr
		client = goredis.NewClient(&goredis.Options{Addr: node.Addr})
	}
	for _, n := range r.redis {
		r.nodes = append(r.nodes, goredis.NewClient(&goredis.Options{Addr: n.Addr}))
	}
	// PUBLISH on any node of a cluster reaches the subscribers of every node.
	if r.pub, err = publish.DialPublisher(ctx, r.redis[0].Addr); err != nil {
		return err
	}
	t0 := time.Now()
	if err := r.StartWorldOn(ctx, client, r.opts.Conns, r.opts.FanoutUsers); err != nil {
		return err
	}
	if r.opts.Instances > 1 {
		if err := world.SeedGroupStorages(ctx, r.DatabasePath(), r.opts.FanoutUsers, r.opts.Instances); err != nil {
			return err
		}
	}
	r.Logf("database: %d users with home storages, storage %d shared with %d of them (%.1f s)",
		r.opts.Conns, world.SharedStorage, r.opts.FanoutUsers, time.Since(t0).Seconds())
	if v, err := r.nodes[0].ConfigGet(ctx, "client-output-buffer-limit").Result(); err == nil {
		r.Env.RedisBuffer = pubsubLimit(v["client-output-buffer-limit"])
	}
	n := r.opts.Instances
	perSlot := (ceilDiv(r.opts.Conns, n) + r.opts.PerWorker - 1) / r.opts.PerWorker
	r.slots = workerSlots(n, perSlot)
	r.groups = make([]map[string]int, n*perSlot)
	for i := range r.groups {
		r.groups[i] = map[string]int{}
	}
	return r.StartWorkers(n*perSlot, r.opts.ClientSched == "batch")
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// teardown stops what the bench does not own; the bench closes after.
func (r *runner) teardown() {
	if r.pub != nil {
		r.pub.Close()
	}
	for _, c := range r.nodes {
		_ = c.Close()
	}
	for _, n := range r.redis {
		n.Kill()
	}
}

// pubsubLimit picks the pubsub class out of client-output-buffer-limit.
func pubsubLimit(v string) string {
	f := strings.Fields(v)
	for i := 0; i+3 < len(f); i += 4 {
		if f[i] == "pubsub" {
			return fmt.Sprintf("hard %s, soft %s for %s s", report.Bytes(atoiOr(f[i+1])), report.Bytes(atoiOr(f[i+2])), f[i+3])
		}
	}
	return v
}

func atoiOr(s string) int64 {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return -1
	}
	return n
}

// connect opens the connections of users first… first+count-1 to the
// servers of svc that serve them, as group name, each server's share spread
// over the workers of its slot with room. It returns the whole batch, each
// server's part, and the users whose login failed.
func (r *runner) connect(ctx context.Context, svc service, name string, first, count int, preAuth string) (Connect, []Connect, []int, error) {
	requested := 0
	parts := make([]Connect, len(svc.servers))
	specs := make([]*protocol.ConnectSpec, len(r.Workers))
	for i, srv := range svc.servers {
		start, n := svc.share(i, first, count)
		parts[i].Requested = n
		requested += n
		if n == 0 {
			continue
		}
		free := make([]int, len(r.slots[i]))
		for k, w := range r.slots[i] {
			free[k] = r.opts.PerWorker
			for _, c := range r.groups[w] {
				free[k] -= c
			}
		}
		shares, err := split(n, free)
		if err != nil {
			return Connect{Requested: requested}, parts, nil, err
		}
		user := start
		for k, m := range shares {
			if m == 0 {
				continue
			}
			srcs, err := r.Sources.Take(m)
			if err != nil {
				return Connect{Requested: requested}, parts, nil, err
			}
			specs[r.slots[i][k]] = &protocol.ConnectSpec{Group: name, URL: srv.WSURL, Sources: srcs, FirstUser: user, Count: m,
				Stride: svc.stride, PreAuthPrefix: preAuth, Listen: true, Concurrency: r.opts.Concurrency, TimeoutMS: 30_000}
			user += m * svc.stride
		}
	}
	if requested == 0 {
		return Connect{}, parts, nil, nil
	}
	results := make([]*protocol.ConnectResult, len(r.Workers))
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	err := r.EachWorker(func(i int, w *protocol.Worker) error {
		if specs[i] == nil {
			return nil
		}
		reply, err := w.Call(ctx, protocol.Command{Op: protocol.OpConnect, Connect: specs[i]})
		if err != nil {
			return err
		}
		results[i] = reply.Connect
		return nil
	})
	if err != nil {
		return Connect{Requested: requested}, parts, nil, err
	}
	var failed []int
	var tStart, tEnd int64
	for i := range svc.servers {
		var start, end int64
		for _, w := range r.slots[i] {
			c := results[w]
			if c == nil {
				continue
			}
			r.groups[w][name] += c.OK
			parts[i].add(c)
			failed = append(failed, c.FailedUsers...)
			if start == 0 || c.Start < start {
				start = c.Start
			}
			end = max(end, c.End)
		}
		parts[i].Seconds = float64(end-start) / 1e9
		if start != 0 && (tStart == 0 || start < tStart) {
			tStart = start
		}
		tEnd = max(tEnd, end)
	}
	var total Connect
	for _, p := range parts {
		total.merge(p)
	}
	total.Seconds = float64(tEnd-tStart) / 1e9
	return total, parts, failed, nil
}

// add counts one worker's logins into c.
func (c *Connect) add(res *protocol.ConnectResult) {
	c.OK += res.OK
	c.Failed += res.Failed
	c.Errors = protocol.MergeCounts(c.Errors, res.Errors)
	c.Latency.Merge(res.Latency)
}

// merge sums o's logins into c (not the time: that is the batch's own).
func (c *Connect) merge(o Connect) {
	c.Requested += o.Requested
	c.add(&protocol.ConnectResult{OK: o.OK, Failed: o.Failed, Errors: o.Errors, Latency: o.Latency})
}

func (r *runner) closeGroup(ctx context.Context, name string) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	return r.EachWorker(func(i int, w *protocol.Worker) error {
		if r.groups[i][name] == 0 {
			return nil
		}
		if _, err := w.Call(ctx, protocol.Command{Op: protocol.OpClose, Group: name}); err != nil {
			return err
		}
		delete(r.groups[i], name)
		return nil
	})
}

func (r *runner) closeAll(ctx context.Context) error {
	names := map[string]bool{}
	for _, g := range r.groups {
		for n := range g {
			names[n] = true
		}
	}
	for n := range names {
		if err := r.closeGroup(ctx, n); err != nil {
			return err
		}
	}
	return nil
}

func (r *runner) resetAll(ctx context.Context) error {
	return r.EachWorker(func(_ int, w *protocol.Worker) error {
		_, err := w.Call(ctx, protocol.Command{Op: protocol.OpReset})
		return err
	})
}

// gather asks every worker for its stats (latencies too when full).
func (r *runner) gather(ctx context.Context, full bool) ([]protocol.Stats, error) {
	op := protocol.OpCount
	if full {
		op = protocol.OpStats
	}
	return r.Gather(ctx, op)
}

// merged sums the stats of workers (every worker when nil).
func merged(all []protocol.Stats, workers []int) protocol.Stats {
	var s protocol.Stats
	if workers == nil {
		for _, o := range all {
			s.Merge(o)
		}
	} else {
		for _, w := range workers {
			s.Merge(all[w])
		}
	}
	if s.Latency == nil {
		s.Latency = &hist.Latencies{}
	}
	return s
}

// awaitDeliveries polls the workers until done says the expected messages
// are in, or nothing new arrived for the settle time; then it returns each
// worker's full stats.
func (r *runner) awaitDeliveries(ctx context.Context, done func(protocol.Received) bool) ([]protocol.Stats, error) {
	var last uint64
	lastChange := time.Now()
	for {
		all, err := r.gather(ctx, false)
		if err != nil {
			return all, err
		}
		s := merged(all, nil)
		total := s.Received.Deliveries() + s.Received.File + s.Received.Other
		if done(s.Received) {
			break
		}
		if total != last {
			last, lastChange = total, time.Now()
		} else if time.Since(lastChange) > r.opts.Settle {
			break
		}
		select {
		case <-ctx.Done():
			return all, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
	return r.gather(ctx, true)
}

// metric reads one figure of every server of svc's /metrics.
func (r *runner) metric(ctx context.Context, svc service, name string) ([]int, error) {
	out := make([]int, len(svc.servers))
	for i, srv := range svc.servers {
		m, err := srv.Scrape(ctx)
		if err != nil {
			return nil, err
		}
		out[i] = int(m[name])
	}
	return out, nil
}

// awaitEvents waits until every server of svc has counted want[i] events
// (event_count_total), or settle passes without progress. It returns what
// each counted and when the last one got there.
func (r *runner) awaitEvents(ctx context.Context, svc service, want []int) ([]int, time.Time, error) {
	last, lastChange := -1, time.Now()
	for {
		n, err := r.metric(ctx, svc, "event_count_total")
		if err != nil {
			return n, time.Time{}, err
		}
		now := time.Now()
		short, sum := false, 0
		for i := range n {
			short = short || n[i] < want[i]
			sum += n[i]
		}
		if !short {
			return n, now, nil
		}
		if sum != last {
			last, lastChange = sum, now
		} else if now.Sub(lastChange) > r.opts.Settle {
			return n, now, nil
		}
		select {
		case <-ctx.Done():
			return n, now, ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// plus adds k to each of n.
func plus(n []int, k int) []int {
	out := make([]int, len(n))
	for i, v := range n {
		out[i] = v + k
	}
	return out
}

// minus is a[i]-b[i].
func minus(a, b []int) []int {
	out := make([]int, len(a))
	for i := range a {
		out[i] = a[i] - b[i]
	}
	return out
}

func (r *runner) markUp(svc service, first, count int, failed []int) {
	for u := first; u < first+count; u++ {
		if svc.owner(u) >= 0 {
			r.up[u] = true
		}
	}
	for _, u := range failed {
		delete(r.up, u)
	}
}

// upUsers lists, in order, the connected users below limit that keep
// returns true for (nil: all of them).
func (r *runner) upUsers(limit int, keep func(u int) bool) []int {
	var users []int
	for u := range limit {
		if r.up[u] && (keep == nil || keep(u)) {
			users = append(users, u)
		}
	}
	return users
}

func (r *runner) logConnect(what string, c Connect) {
	if c.Requested == 0 {
		return
	}
	r.Logf("%s: %d/%d up in %.2f s (%s/s)%s", what, c.OK, c.Requested, c.Seconds, report.Count(c.Rate()), report.Tally("; failures: ", c.Errors))
}

func tokenPrefix() (string, error) {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

// split shares n new connections among workers with free[i] sockets to
// spare, as evenly as their room allows.
func split(n int, free []int) ([]int, error) {
	total := 0
	for _, f := range free {
		total += max(f, 0)
	}
	if n > total {
		return nil, fmt.Errorf("%d more connections do not fit: the workers have room for %d (raise --per-worker)", n, total)
	}
	out := make([]int, len(free))
	for n > 0 {
		// Give each worker with room an equal share of what is left.
		open := 0
		for i := range free {
			if free[i]-out[i] > 0 {
				open++
			}
		}
		share := max(n/open, 1)
		for i := range free {
			if n == 0 {
				break
			}
			if room := free[i] - out[i]; room > 0 {
				k := min(share, room, n)
				out[i] += k
				n -= k
			}
		}
	}
	return out, nil
}
