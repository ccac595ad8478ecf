package run

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/notifypush/notify_push/domain"
	"github.com/notifypush/notify_push/internal/load/events"
	"github.com/notifypush/notify_push/internal/load/harness"
	"github.com/notifypush/notify_push/internal/load/protocol"
	"github.com/notifypush/notify_push/internal/load/publish"
	"github.com/notifypush/notify_push/internal/load/report"
	"github.com/notifypush/notify_push/internal/load/world"
)

// The three services a run measures, one after the other on the same
// clients: notify_push (one instance or several on one Redis), one instance
// alone holding one instance's share, and the reference server holding the
// same share.

func (r *runner) measureNotifyPush(ctx context.Context) error {
	o := r.opts
	n := o.Instances
	var servers []*harness.Server
	defer func() {
		for _, srv := range servers {
			srv.Stop()
		}
	}()
	for i := range n {
		var env []string
		if n > 1 {
			env = append(env, "NOTIFY_PUSH_INSTANCE_ID=loadgen-"+strconv.Itoa(i+1))
		}
		srv, err := r.StartInstance(ctx, instanceName(i, n), o.ServerBin, r.redisURLs, o.PingInterval, "warn", env...)
		if err != nil {
			return err
		}
		servers = append(servers, srv)
		r.Logf("%s: up (pid %d), ws %s", srv.Name, srv.PID(), srv.WSURL)
	}
	svc := newService(n, servers...)
	if err := r.awaitSubscribers(ctx, n); err != nil {
		return err
	}
	checks0 := r.Nextcloud.Logins.Load() // an instance alone may have run before
	parts := make([]*Measured, n)
	for i, srv := range servers {
		parts[i] = &Measured{Name: srv.Name}
	}
	total := parts[0]
	if n > 1 {
		total = &Measured{Name: fmt.Sprintf("notify_push ×%d", n)}
	}
	r.up = map[int]bool{}
	cost := r.redisCost(ctx)
	if err := r.populate(ctx, svc, total, parts, true); err != nil {
		return err
	}
	cost.phase(ctx, "connect")
	if err := r.idle(ctx, svc, total, parts); err != nil {
		return err
	}
	cost.phase(ctx, "idle")
	r.report.Redis.Loaded = cost.last
	var err error
	if r.report.AppMetrics, err = r.queryMetrics(ctx, svc); err != nil {
		return err
	}
	if r.report.Fanout, err = r.fanout(ctx, svc, "fan-out", world.SharedStorage, r.upUsers(o.FanoutUsers, nil)); err != nil {
		return err
	}
	if n > 1 {
		users := make([][]int, n)
		for g := range n {
			users[g] = r.upUsers(o.FanoutUsers, func(u int) bool { return u%n == g })
		}
		beside, alone, err := r.instanceFanouts(ctx, svc, world.GroupStorage, users)
		if err != nil {
			return err
		}
		for g := range n {
			r.logFanout("fan-out to "+servers[g].Name+"'s users alone, the others running", beside[g])
			r.logFanout("fan-out to "+servers[g].Name+"'s users alone, the others paused", alone[g])
		}
		r.report.InstanceFanout, r.report.InstanceFanoutPaused = beside, alone
	}
	cost.phase(ctx, "fan-out")
	if err := r.throughput(ctx, svc); err != nil {
		return err
	}
	cost.phase(ctx, "throughput")
	if err := r.drain(ctx, svc); err != nil {
		return err
	}
	cost.phase(ctx, "drain")
	r.report.Redis.Nodes, r.report.Redis.Phases = len(r.nodes), cost.phases
	if err := svc.alive(); err != nil {
		return err
	}
	r.report.CredentialChecks = r.Nextcloud.Logins.Load() - checks0
	r.report.Server = *total
	if n > 1 {
		for _, m := range parts {
			r.report.Instances = append(r.report.Instances, *m)
		}
	}
	return r.closeAll(ctx)
}

// measureSingle runs one instance alone with the users one of N instances
// holds, through the phases the goal compares: memory at rest and fan-out.
func (r *runner) measureSingle(ctx context.Context) error {
	o := r.opts
	srv, err := r.StartInstance(ctx, "notify_push-alone", o.ServerBin, r.redisURLs, o.PingInterval, "warn",
		"NOTIFY_PUSH_INSTANCE_ID=loadgen-alone")
	if err != nil {
		return err
	}
	defer srv.Stop()
	r.Logf("%s: up (pid %d), ws %s, with the users of instance 1 of %d", srv.Name, srv.PID(), srv.WSURL, o.Instances)
	if err := r.awaitSubscribers(ctx, 1); err != nil {
		return err
	}
	svc := newService(o.Instances, srv)
	m := &Measured{Name: srv.Name}
	r.up = map[int]bool{}
	if err := r.populate(ctx, svc, m, []*Measured{m}, true); err != nil {
		return err
	}
	if err := r.idle(ctx, svc, m, []*Measured{m}); err != nil {
		return err
	}
	users := r.upUsers(o.FanoutUsers, nil)
	shared, err := r.fanout(ctx, svc, srv.Name+": fan-out", world.SharedStorage, users)
	if err != nil {
		return err
	}
	group, err := r.fanout(ctx, svc, srv.Name+": fan-out of its group storage", world.GroupStorage(0), users)
	if err != nil {
		return err
	}
	if err := srv.Alive(); err != nil {
		return err
	}
	r.report.Single = &Single{Measured: *m, Fanout: shared, GroupFanout: group, GroupFanoutFirst: r.aloneFirst}
	return r.closeAll(ctx)
}

// measureAloneFirst runs one instance alone with instance 1's users before
// the instances, for its group storage's fan-out only. With measureSingle's
// after them it brackets the instances in time: this VM's latencies drift
// over minutes (1.03× to 1.5× between runs of the same commit when one
// instance alone ran only after them), and the pooled pair puts the drift
// on neither side.
func (r *runner) measureAloneFirst(ctx context.Context) (*Fanout, error) {
	o := r.opts
	srv, err := r.StartInstance(ctx, "notify_push-alone-first", o.ServerBin, r.redisURLs, o.PingInterval, "warn",
		"NOTIFY_PUSH_INSTANCE_ID=loadgen-alone-first")
	if err != nil {
		return nil, err
	}
	defer srv.Stop()
	r.Logf("%s: up (pid %d), ws %s, with the users of instance 1 of %d", srv.Name, srv.PID(), srv.WSURL, o.Instances)
	if err := r.awaitSubscribers(ctx, 1); err != nil {
		return nil, err
	}
	svc := newService(o.Instances, srv)
	r.up = map[int]bool{}
	c, _, failed, err := r.connect(ctx, svc, "alone-first", 0, o.Conns, "")
	if err != nil {
		return nil, err
	}
	r.markUp(svc, 0, o.Conns, failed)
	r.logConnect(srv.Name+": connect", c)
	f, err := r.fanout(ctx, svc, srv.Name+": fan-out of its group storage", world.GroupStorage(0), r.upUsers(o.FanoutUsers, nil))
	if err != nil {
		return nil, err
	}
	if err := srv.Alive(); err != nil {
		return nil, err
	}
	return &f, r.closeAll(ctx)
}

// measureReference runs the reference server with one instance's users:
// memory at rest, and the fan-out of the shared storage written the plain way.
func (r *runner) measureReference(ctx context.Context) error {
	o := r.opts
	srv, err := harness.StartReference(ctx, r.Self, r.Dir, o.PingInterval,
		"--redis", r.redis[0].Addr, "--fanout-users", strconv.Itoa(o.FanoutUsers))
	if err != nil {
		return err
	}
	defer srv.Stop()
	svc := newService(o.Instances, srv)
	m := &Measured{Name: "reference"}
	r.report.Ref = m
	r.Logf("reference: up (pid %d), ws %s", srv.PID(), srv.WSURL)
	r.up = map[int]bool{}
	if err := r.populate(ctx, svc, m, []*Measured{m}, false); err != nil {
		return err
	}
	if err := r.idle(ctx, svc, m, []*Measured{m}); err != nil {
		return err
	}
	f, err := r.fanout(ctx, svc, "reference: fan-out", world.SharedStorage, r.upUsers(o.FanoutUsers, nil))
	if err != nil {
		return err
	}
	r.report.RefFanout = &f
	if err := srv.Alive(); err != nil {
		return err
	}
	return r.closeAll(ctx)
}

// populate brings svc to N connections along the same path for every
// service, so that their heaps have the same history: the baseline (and its
// snapshot), a Basic-checked storm that is closed again, a second storm that
// stays (pre-auth tokens for notify_push; the reference checks nothing),
// then the rest up to N. Each server's figures go to parts, the whole
// batch's to total (the same Measured when there is one server).
func (r *runner) populate(ctx context.Context, svc service, total *Measured, parts []*Measured, preAuth bool) error {
	o := r.opts
	c, per, failed, err := r.connect(ctx, svc, "base", 0, o.Baseline, "")
	if err != nil {
		return err
	}
	r.markUp(svc, 0, o.Baseline, failed)
	if c.Failed > 0 {
		r.Problem("%s baseline: %d of %d logins failed%s", total.Name, c.Failed, c.Requested, report.Tally("; failures: ", c.Errors))
	}
	base := make([]int, len(per))
	for i, p := range per {
		base[i] = p.OK
	}
	if err := r.snapshotAll(ctx, svc, total, parts, func(m *Measured) *Snapshot { return &m.Baseline }); err != nil {
		return err
	}
	r.Logf("%s: baseline %d connections, RSS %s", total.Name, total.Baseline.Conns, report.MiB(total.Baseline.Memory.RSS))

	first := o.Baseline
	c, per, _, err = r.connect(ctx, svc, "storm-1", first, o.Storm, "")
	if err != nil {
		return err
	}
	setConnect(total, parts, c, per, func(m *Measured) *Connect { return &m.Storm1 })
	r.logConnect(total.Name+": connect storm 1 (Basic-checked)", c)
	if err := r.closeGroup(ctx, "storm-1"); err != nil {
		return err
	}
	if svc.servers[0].Metrics {
		if err := r.awaitConnections(ctx, svc, base); err != nil {
			return err
		}
	}

	prefix := ""
	if preAuth {
		if prefix, err = r.publishTokens(ctx, svc, first, o.Storm); err != nil {
			return err
		}
	}
	c, per, failed, err = r.connect(ctx, svc, "storm-2", first, o.Storm, prefix)
	if err != nil {
		return err
	}
	r.markUp(svc, first, o.Storm, failed)
	setConnect(total, parts, c, per, func(m *Measured) *Connect { return &m.Storm2 })
	what := "pre-auth"
	if !preAuth {
		what = "the same logins"
	}
	r.logConnect(total.Name+": connect storm 2 ("+what+")", c)

	first += o.Storm
	c, per, failed, err = r.connect(ctx, svc, "rest", first, o.Conns-first, "")
	if err != nil {
		return err
	}
	r.markUp(svc, first, o.Conns-first, failed)
	setConnect(total, parts, c, per, func(m *Measured) *Connect { return &m.TopUp })
	r.logConnect(total.Name+": top-up to N", c)
	return nil
}

// setConnect files a batch of logins under total and each server's share
// under its part.
func setConnect(total *Measured, parts []*Measured, c Connect, per []Connect, field func(*Measured) *Connect) {
	for i, m := range parts {
		*field(m) = per[i]
	}
	*field(total) = c
}

// snapshotAll forces a GC in every server of svc and files each one's
// memory under its part (the field field picks), and their sum under total.
func (r *runner) snapshotAll(ctx context.Context, svc service, total *Measured, parts []*Measured, field func(*Measured) *Snapshot) error {
	all, err := r.gather(ctx, false)
	if err != nil {
		return err
	}
	var sum Snapshot
	for i, srv := range svc.servers {
		s, err := r.snapshot(ctx, srv, merged(all, r.slots[i]).Open)
		if err != nil {
			return err
		}
		*field(parts[i]) = s
		sum = sum.plus(s, i == 0)
	}
	if len(parts) > 1 {
		*field(total) = sum
	}
	return nil
}

// snapshot forces a GC in srv, which holds conns connections, and reads its memory.
func (r *runner) snapshot(ctx context.Context, srv *harness.Server, conns int) (Snapshot, error) {
	s := Snapshot{Conns: conns, MetricsRSS: -1, MetricsGoroutines: -1, MetricsConns: -1}
	if _, err := srv.GC(ctx); err != nil {
		return s, err
	}
	// Let the scavenger's returns show in RSS.
	time.Sleep(300 * time.Millisecond)
	var err error
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

// plus sums o into s; first says s is still empty.
func (s Snapshot) plus(o Snapshot, first bool) Snapshot {
	if first {
		return o
	}
	metric := func(a, b float64) float64 {
		if a < 0 || b < 0 {
			return -1
		}
		return a + b
	}
	return Snapshot{Conns: s.Conns + o.Conns, Memory: s.Memory.Plus(o.Memory), Runtime: s.Runtime.Plus(o.Runtime),
		MetricsRSS: metric(s.MetricsRSS, o.MetricsRSS), MetricsGoroutines: metric(s.MetricsGoroutines, o.MetricsGoroutines),
		MetricsConns: metric(s.MetricsConns, o.MetricsConns)}
}

// idle holds the connections untouched for the idle window (at least two
// ping cycles), measures the CPU each server of svc used meanwhile, then
// its memory; total gets the sum.
func (r *runner) idle(ctx context.Context, svc service, total *Measured, parts []*Measured) error {
	if err := r.resetAll(ctx); err != nil {
		return err
	}
	wait := max(r.opts.Idle, 2*r.opts.PingInterval+harness.PingTick(r.opts.PingInterval)+2*time.Second)
	r.Logf("%s: idle for %.0f s (CPU at rest, %d ping cycles)", total.Name, wait.Seconds(), int(wait/r.opts.PingInterval))
	t0 := time.Now()
	cpu0 := make([]uint64, len(svc.servers))
	for i, srv := range svc.servers {
		var err error
		if cpu0[i], err = harness.ReadCPUTicks(srv.PID()); err != nil {
			return err
		}
	}
	deadline := t0.Add(wait)
	for time.Now().Before(deadline) {
		if err := pause(ctx, svc, deadline); err != nil {
			return err
		}
	}
	if err := r.awaitSecondPings(ctx, svc, deadline.Add(r.opts.PingInterval)); err != nil {
		return err
	}
	cpu1 := make([]uint64, len(svc.servers))
	for i, srv := range svc.servers {
		var err error
		if cpu1[i], err = harness.ReadCPUTicks(srv.PID()); err != nil {
			return err
		}
	}
	elapsed := time.Since(t0).Seconds()
	all, err := r.gather(ctx, false)
	if err != nil {
		return err
	}
	var cpuSum float64
	for i := range svc.servers {
		m := parts[i]
		m.IdleSeconds = elapsed
		m.CPUPercent = float64(cpu1[i]-cpu0[i]) / harness.ClockTicks / elapsed * 100
		cpuSum += m.CPUPercent
		r.idleStats(m, merged(all, r.slots[i]))
	}
	if len(parts) > 1 {
		total.IdleSeconds, total.CPUPercent = elapsed, cpuSum
		var slots []int
		for i := range svc.servers {
			slots = append(slots, r.slots[i]...)
		}
		s := merged(all, slots)
		total.IdleDropped = s.Dropped
		if s.Open > 0 {
			total.PingsPerConn = float64(s.Pings) / float64(s.Open)
		}
	}
	if err := r.snapshotAll(ctx, svc, total, parts, func(m *Measured) *Snapshot { return &m.Loaded }); err != nil {
		return err
	}
	for _, m := range parts {
		r.Logf("%s: %d connections: RSS %s, CPU at rest %.2f %%, %.1f pings per connection", m.Name, m.Loaded.Conns,
			report.MiB(m.Loaded.Memory.RSS), m.CPUPercent, m.PingsPerConn)
	}
	return nil
}

// awaitSecondPings waits, until deadline at most, for the clients of every
// server to have been pinged twice on average. notify_push paces its pings
// (a tick pings at most twice the steady rate), so when clients logged in
// faster than that, the last of them are pinged a few seconds later than
// one interval after their login.
func (r *runner) awaitSecondPings(ctx context.Context, svc service, deadline time.Time) error {
	for {
		all, err := r.gather(ctx, false)
		if err != nil {
			return err
		}
		pinged := true
		for i := range svc.servers {
			s := merged(all, r.slots[i])
			pinged = pinged && s.Pings >= 2*uint64(s.Open)
		}
		if pinged || !time.Now().Before(deadline) {
			return nil
		}
		if err := pause(ctx, svc, deadline); err != nil {
			return err
		}
	}
}

// pause waits a second, or until deadline if that is sooner, once every
// server of svc is still running.
func pause(ctx context.Context, svc service, deadline time.Time) error {
	if err := svc.alive(); err != nil {
		return err
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(min(time.Second, time.Until(deadline))):
		return nil
	}
}

// idleStats files what m's clients saw in the idle window.
func (r *runner) idleStats(m *Measured, s protocol.Stats) {
	if s.Open > 0 {
		m.PingsPerConn = float64(s.Pings) / float64(s.Open)
	}
	m.IdleDropped = s.Dropped
	if m.PingsPerConn < 2 {
		r.Problem("%s: %.2f pings per connection in the idle window: the memory figure is not after two ping cycles",
			m.Name, m.PingsPerConn)
	}
	if s.Dropped > 0 {
		r.Problem("%s: %d connections dropped while idle: %v", m.Name, s.Dropped, s.DropReasons)
	}
}

// publishTokens publishes a pre-auth token for each of count users and
// waits until every server of svc has read them all.
func (r *runner) publishTokens(ctx context.Context, svc service, first, count int) (string, error) {
	prefix, err := tokenPrefix()
	if err != nil {
		return "", err
	}
	before, err := r.metric(ctx, svc, "event_count_total")
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
	n, _, err := r.awaitEvents(ctx, svc, plus(before, count))
	if err != nil {
		return "", err
	}
	for i, got := range minus(n, before) {
		if got < count {
			r.Problem("pre-auth: %s read %d of %d tokens", svc.servers[i].Name, got, count)
		}
	}
	return prefix, nil
}

// awaitConnections waits (10 s at most) until each server of svc counts
// want[i] connections.
func (r *runner) awaitConnections(ctx context.Context, svc service, want []int) error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		got, err := r.metric(ctx, svc, "active_connection_count")
		if err != nil {
			return err
		}
		i := 0
		for i < len(got) && got[i] == want[i] {
			i++
		}
		if i == len(got) {
			return nil
		}
		if time.Now().After(deadline) {
			r.Problem("%s counts %d connections, want %d", svc.servers[i].Name, got[i], want[i])
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
}
