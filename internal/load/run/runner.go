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

	"github.com/notifypush/notify_push/domain"
	"github.com/notifypush/notify_push/internal/load/events"
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

	redis *process.Redis
	pub   *publish.Publisher
	// groups[w][name] is how many connections worker w holds in group name.
	groups []map[string]int
	// up lists the users holding one notify_push connection each.
	up map[int]bool

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
	if err := r.measureNotifyPush(ctx); err != nil {
		return nil, err
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

func (r *runner) setUp(ctx context.Context) error {
	var err error
	if r.opts.ServerBin, err = r.ServerBinary(ctx, r.opts.ServerBin); err != nil {
		return err
	}
	if r.redis, err = harness.StartRedis(r.Dir); err != nil {
		return err
	}
	if r.pub, err = publish.DialPublisher(ctx, r.redis.Addr); err != nil {
		return err
	}
	t0 := time.Now()
	if err := r.StartWorld(ctx, r.redis.Addr, r.opts.Conns, r.opts.FanoutUsers); err != nil {
		return err
	}
	r.Logf("database: %d users with home storages, storage %d shared with %d of them (%.1f s)",
		r.opts.Conns, world.SharedStorage, r.opts.FanoutUsers, time.Since(t0).Seconds())
	if v, err := r.Redis.ConfigGet(ctx, "client-output-buffer-limit").Result(); err == nil {
		r.Env.RedisBuffer = pubsubLimit(v["client-output-buffer-limit"])
	}
	nWorkers := (r.opts.Conns + r.opts.PerWorker - 1) / r.opts.PerWorker
	r.groups = make([]map[string]int, nWorkers)
	for i := range r.groups {
		r.groups[i] = map[string]int{}
	}
	return r.StartWorkers(nWorkers, r.opts.ClientSched == "batch")
}

// teardown stops what the bench does not own; the bench closes after.
func (r *runner) teardown() {
	if r.pub != nil {
		r.pub.Close()
	}
	if r.redis != nil {
		r.redis.Kill()
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

// connect opens count connections for users first… to srv as group name,
// spread over the workers with room.
func (r *runner) connect(ctx context.Context, srv *harness.Server, name string, first, count int, preAuth string) (Connect, []int, error) {
	res := Connect{Requested: count}
	if count == 0 {
		return res, nil, nil
	}
	free := make([]int, len(r.Workers))
	for i, g := range r.groups {
		free[i] = r.opts.PerWorker
		for _, n := range g {
			free[i] -= n
		}
	}
	shares, err := split(count, free)
	if err != nil {
		return res, nil, err
	}
	specs := make([]*protocol.ConnectSpec, len(r.Workers))
	user := first
	for i, n := range shares {
		if n == 0 {
			continue
		}
		srcs, err := r.Sources.Take(n)
		if err != nil {
			return res, nil, err
		}
		specs[i] = &protocol.ConnectSpec{Group: name, URL: srv.WSURL, Sources: srcs, FirstUser: user, Count: n,
			PreAuthPrefix: preAuth, Listen: true, Concurrency: r.opts.Concurrency, TimeoutMS: 30_000}
		user += n
	}
	results := make([]*protocol.ConnectResult, len(r.Workers))
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	err = r.EachWorker(func(i int, w *protocol.Worker) error {
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
		return res, nil, err
	}
	var start, end int64
	var failed []int
	for i, c := range results {
		if c == nil {
			continue
		}
		r.groups[i][name] += c.OK
		res.OK += c.OK
		res.Failed += c.Failed
		failed = append(failed, c.FailedUsers...)
		for e, n := range c.Errors {
			if res.Errors == nil {
				res.Errors = map[string]int{}
			}
			res.Errors[e] += n
		}
		if start == 0 || c.Start < start {
			start = c.Start
		}
		end = max(end, c.End)
		res.Latency.Merge(c.Latency)
	}
	res.Seconds = float64(end-start) / 1e9
	return res, failed, nil
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

// gather merges every worker's stats (latencies too when full).
func (r *runner) gather(ctx context.Context, full bool) (protocol.Stats, error) {
	op := protocol.OpCount
	if full {
		op = protocol.OpStats
	}
	all := make([]protocol.Stats, len(r.Workers))
	err := r.EachWorker(func(i int, w *protocol.Worker) error {
		reply, err := w.Call(ctx, protocol.Command{Op: op})
		if err == nil && reply.Stats != nil {
			all[i] = *reply.Stats
		}
		return err
	})
	var s protocol.Stats
	for _, o := range all {
		s.Merge(o)
	}
	if full && s.Latency == nil {
		s.Latency = &hist.Latencies{}
	}
	return s, err
}

// awaitDeliveries polls the workers until done says the expected messages
// are in, or nothing new arrived for the settle time; then it returns the
// full stats.
func (r *runner) awaitDeliveries(ctx context.Context, done func(protocol.Received) bool) (protocol.Stats, error) {
	var last uint64
	lastChange := time.Now()
	for {
		s, err := r.gather(ctx, false)
		if err != nil {
			return s, err
		}
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
			return s, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
	return r.gather(ctx, true)
}

// events is the server's event_count_total.
func (r *runner) events(ctx context.Context, srv *harness.Server) (int, error) {
	m, err := srv.Scrape(ctx)
	if err != nil {
		return 0, err
	}
	return int(m["event_count_total"]), nil
}

// awaitEvents waits until the server has counted want events, or settle
// passes without progress. It returns the count and when it was reached.
func (r *runner) awaitEvents(ctx context.Context, srv *harness.Server, want int) (int, time.Time, error) {
	last, lastChange := -1, time.Now()
	for {
		n, err := r.events(ctx, srv)
		if err != nil {
			return n, time.Time{}, err
		}
		now := time.Now()
		if n >= want {
			return n, now, nil
		}
		if n != last {
			last, lastChange = n, now
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

// snapshot forces a GC in srv and reads its memory.
func (r *runner) snapshot(ctx context.Context, srv *harness.Server) (Snapshot, error) {
	s := Snapshot{MetricsRSS: -1, MetricsGoroutines: -1, MetricsConns: -1}
	stats, err := r.gather(ctx, false)
	if err != nil {
		return s, err
	}
	s.Conns = stats.Open
	if _, err := srv.GC(ctx); err != nil {
		return s, err
	}
	// Let the scavenger's returns show in RSS.
	time.Sleep(300 * time.Millisecond)
	if s.Memory, err = harness.ReadMemory(srv.PID()); err != nil {
		return s, err
	}
	if s.Runtime, err = srv.Runtime(ctx); err != nil {
		return s, err
	}
	if srv.Metrics {
		m, err := srv.Scrape(ctx)
		if err != nil {
			return s, err
		}
		s.MetricsRSS, s.MetricsGoroutines, s.MetricsConns = m["process_resident_memory_bytes"], m["go_goroutines"], m["active_connection_count"]
	}
	return s, nil
}

// idle holds the connections untouched for the idle window (at least two
// ping cycles), measures the CPU srv used meanwhile, then its memory.
func (r *runner) idle(ctx context.Context, srv *harness.Server, m *Measured) error {
	if err := r.resetAll(ctx); err != nil {
		return err
	}
	wait := max(r.opts.Idle, 2*r.opts.PingInterval+harness.PingTick(r.opts.PingInterval)+2*time.Second)
	r.Logf("%s: idle for %.0f s (CPU at rest, %d ping cycles)", srv.Name, wait.Seconds(), int(wait/r.opts.PingInterval))
	t0 := time.Now()
	cpu0, err := harness.ReadCPUTicks(srv.PID())
	if err != nil {
		return err
	}
	deadline := t0.Add(wait)
	for time.Now().Before(deadline) {
		if err := srv.Alive(); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(min(time.Second, time.Until(deadline))):
		}
	}
	cpu1, err := harness.ReadCPUTicks(srv.PID())
	if err != nil {
		return err
	}
	elapsed := time.Since(t0).Seconds()
	m.IdleSeconds = elapsed
	m.CPUPercent = float64(cpu1-cpu0) / harness.ClockTicks / elapsed * 100
	stats, err := r.gather(ctx, false)
	if err != nil {
		return err
	}
	if stats.Open > 0 {
		m.PingsPerConn = float64(stats.Pings) / float64(stats.Open)
	}
	m.IdleDropped = stats.Dropped
	if m.PingsPerConn < 2 {
		r.Problem("%s: %.2f pings per connection in the idle window: the memory figure is not after two ping cycles",
			srv.Name, m.PingsPerConn)
	}
	if stats.Dropped > 0 {
		r.Problem("%s: %d connections dropped while idle: %v", srv.Name, stats.Dropped, stats.DropReasons)
	}
	if m.Loaded, err = r.snapshot(ctx, srv); err != nil {
		return err
	}
	r.Logf("%s: %d connections: RSS %s, CPU at rest %.2f %%, %.1f pings per connection", srv.Name, m.Loaded.Conns,
		report.MiB(m.Loaded.Memory.RSS), m.CPUPercent, m.PingsPerConn)
	return nil
}

func (r *runner) markUp(first, count int, failed []int) {
	for u := first; u < first+count; u++ {
		r.up[u] = true
	}
	for _, u := range failed {
		delete(r.up, u)
	}
}

// upUsers lists, in order, the connected users below limit.
func (r *runner) upUsers(limit int) []int {
	var users []int
	for u := range limit {
		if r.up[u] {
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

func (r *runner) measureNotifyPush(ctx context.Context) error {
	o := r.opts
	srv, err := r.StartNotifyPush(ctx, o.ServerBin, r.redis.Addr, o.PingInterval, "warn")
	if err != nil {
		return err
	}
	defer srv.Stop()
	m := &r.report.Server
	m.Name = "notify_push"
	r.Logf("notify_push: up (pid %d), ws %s", srv.PID(), srv.WSURL)
	if err := r.populate(ctx, srv, m, true); err != nil {
		return err
	}
	if err := r.idle(ctx, srv, m); err != nil {
		return err
	}
	if err := r.fanout(ctx, srv); err != nil {
		return err
	}
	if err := r.throughput(ctx, srv); err != nil {
		return err
	}
	if err := r.drain(ctx, srv); err != nil {
		return err
	}
	if err := srv.Alive(); err != nil {
		return err
	}
	r.report.CredentialChecks = r.Nextcloud.Logins.Load()
	return r.closeAll(ctx)
}

// populate brings srv to N connections along the same path for both
// servers, so that their heaps have the same history: the baseline (and its
// snapshot), a Basic-checked storm that is closed again, a second storm that
// stays (pre-auth tokens for notify_push; the reference checks nothing),
// then the rest up to N.
func (r *runner) populate(ctx context.Context, srv *harness.Server, m *Measured, preAuth bool) error {
	o := r.opts
	track := func(first int, c Connect, failed []int) {
		if preAuth { // notify_push: the later phases address connected users
			r.markUp(first, c.Requested, failed)
		}
	}
	c, failed, err := r.connect(ctx, srv, "base", 0, o.Baseline, "")
	if err != nil {
		return err
	}
	track(0, c, failed)
	if c.Failed > 0 {
		r.Problem("%s baseline: %d of %d logins failed%s", srv.Name, c.Failed, c.Requested, report.Tally("; failures: ", c.Errors))
	}
	if m.Baseline, err = r.snapshot(ctx, srv); err != nil {
		return err
	}
	r.Logf("%s: baseline %d connections, RSS %s", srv.Name, m.Baseline.Conns, report.MiB(m.Baseline.Memory.RSS))

	first := o.Baseline
	if m.Storm1, _, err = r.connect(ctx, srv, "storm-1", first, o.Storm, ""); err != nil {
		return err
	}
	r.logConnect(srv.Name+": connect storm 1 (Basic-checked)", m.Storm1)
	if err := r.closeGroup(ctx, "storm-1"); err != nil {
		return err
	}
	if srv.Metrics {
		if err := r.awaitConnections(ctx, srv, c.OK); err != nil {
			return err
		}
	}

	prefix := ""
	if preAuth {
		if prefix, err = r.publishTokens(ctx, srv, first, o.Storm); err != nil {
			return err
		}
	}
	if m.Storm2, failed, err = r.connect(ctx, srv, "storm-2", first, o.Storm, prefix); err != nil {
		return err
	}
	track(first, m.Storm2, failed)
	what := "pre-auth"
	if !preAuth {
		what = "the same logins"
	}
	r.logConnect(srv.Name+": connect storm 2 ("+what+")", m.Storm2)

	first += o.Storm
	if m.TopUp, failed, err = r.connect(ctx, srv, "rest", first, o.Conns-first, ""); err != nil {
		return err
	}
	track(first, m.TopUp, failed)
	r.logConnect(srv.Name+": top-up to N", m.TopUp)
	return nil
}

// publishTokens publishes a pre-auth token for each of count users and
// waits until the server has read them all.
func (r *runner) publishTokens(ctx context.Context, srv *harness.Server, first, count int) (string, error) {
	prefix, err := tokenPrefix()
	if err != nil {
		return "", err
	}
	before, err := r.events(ctx, srv)
	if err != nil {
		return "", err
	}
	if _, err := publish.Pace(ctx, r.pub, 0, count, func(i int, _ int64, b []byte) (string, []byte) {
		u := first + i
		b = append(b, `{"user":"user`...)
		b = strconv.AppendInt(b, int64(u), 10)
		b = append(b, `","token":"`...)
		b = append(b, events.PreAuthToken(prefix, u)...)
		return domain.ChannelPreAuth, append(b, `"}`...)
	}); err != nil {
		return "", err
	}
	n, _, err := r.awaitEvents(ctx, srv, before+count)
	if err != nil {
		return "", err
	}
	if n < before+count {
		r.Problem("pre-auth: the server read %d of %d tokens", n-before, count)
	}
	return prefix, nil
}

// awaitConnections waits (10 s at most) until the server counts want connections.
func (r *runner) awaitConnections(ctx context.Context, srv *harness.Server, want int) error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		m, err := srv.Scrape(ctx)
		if err != nil {
			return err
		}
		if int(m["active_connection_count"]) == want {
			return nil
		}
		if time.Now().After(deadline) {
			r.Problem("notify_push counts %.0f connections, want %d", m["active_connection_count"], want)
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func tokenPrefix() (string, error) {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

func (r *runner) measureReference(ctx context.Context) error {
	srv, err := harness.StartReference(ctx, r.Self, r.Dir, r.opts.PingInterval)
	if err != nil {
		return err
	}
	defer srv.Stop()
	m := &Measured{Name: "reference"}
	r.report.Ref = m
	r.Logf("reference: up (pid %d), ws %s", srv.PID(), srv.WSURL)
	if err := r.populate(ctx, srv, m, false); err != nil {
		return err
	}
	if err := r.idle(ctx, srv, m); err != nil {
		return err
	}
	return r.closeAll(ctx)
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
