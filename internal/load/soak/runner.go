package soak

import (
	"context"
	"fmt"
	"io"
	"math"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/notifypush/notify_push/internal/load/events"
	"github.com/notifypush/notify_push/internal/load/harness"
	"github.com/notifypush/notify_push/internal/load/protocol"
	"github.com/notifypush/notify_push/internal/load/publish"
	"github.com/notifypush/notify_push/internal/load/report"
)

// runner is one soak: the bench, the chaos Redis, the server, the slots
// and the report.
type runner struct {
	*harness.Bench
	o options

	redis *harness.ChaosRedis
	srv   *harness.Server
	slots [][]protocol.SoakSlot // per worker
	ports harness.ServerPorts

	rep Report
}

// run runs the whole soak. The report comes back with an error too when
// the run broke off after the world was up (the server died, say), so that
// what was seen is shown.
func run(ctx context.Context, o options, progress io.Writer) (*Report, error) {
	b, err := harness.NewBench("loadgen-soak-", o.PerSource, progress)
	if err != nil {
		return nil, err
	}
	r := &runner{Bench: b, o: o}
	r.rep.Params = o
	defer b.Close(o.Keep, "server and Redis logs, database")
	defer r.teardown()
	if err := r.setUp(ctx); err != nil {
		return nil, err
	}
	err = r.soak(ctx)
	r.rep.RunInfo = b.RunInfo()
	r.rep.ServerLog = readServerLog(r.srv.LogPath)
	if err != nil {
		r.Problem("%v", err)
	}
	r.rep.Problems = b.Problems()
	return &r.rep, err
}

func (r *runner) setUp(ctx context.Context) error {
	o := r.o
	bin, err := r.ServerBinary(ctx, o.ServerBin)
	if err != nil {
		return err
	}
	if r.redis, err = harness.NewChaosRedis(r.Dir); err != nil {
		return err
	}
	if err := r.redis.Start(); err != nil {
		return err
	}
	if err := r.StartWorld(ctx, r.redis.Addr, o.Users, o.SharedUsers); err != nil {
		return err
	}

	nWorkers := (o.Conns + o.PerWorker - 1) / o.PerWorker
	r.slots = make([][]protocol.SoakSlot, nWorkers)
	churners, listeners := 0, 0
	for i := range o.Conns {
		s := protocol.SoakSlot{Slot: i, User: i % o.Users, Churn: spread(i, churnAlpha, o.Churn), Listen: spread(i, listenAlpha, o.Listen)}
		if s.Churn {
			churners++
		}
		if s.Listen {
			listeners++
		}
		r.slots[i%nWorkers] = append(r.slots[i%nWorkers], s)
	}
	r.rep.Churners, r.rep.Listeners = churners, listeners
	// The soak counts deliveries, not latencies: normal scheduling.
	if err := r.StartWorkers(nWorkers, false); err != nil {
		return err
	}
	// A resync's messages go through the debounce: a maximum of 1 s holds
	// them back 1.5 s at most, so that they fall inside the resync window.
	if r.srv, err = r.StartNotifyPush(ctx, bin, r.redis.Addr, o.PingInterval, "info",
		"RESYNC_SPREAD="+strconv.Itoa(int(o.ResyncSpread/time.Second)), "MAX_DEBOUNCE_TIME=1"); err != nil {
		return err
	}
	// The health checks' keep-alive connection ends on the WebSocket port,
	// where a socket left at the end would look like a client's.
	r.srv.CloseIdleConnections()
	r.ports = harness.ServerPorts{WS: harness.PortOf(r.srv.WSURL), Metrics: harness.PortOf(r.srv.DebugURL),
		Redis: harness.PortOf("redis://" + r.redis.Addr), Nextcloud: harness.PortOf(r.Nextcloud.URL())}
	r.Logf("notify_push up (pid %d), ws %s; Redis %s; %d users (%d mount the shared storage); %d connections in %d workers "+
		"(%d reconnecting, %d listening for file ids)", r.srv.PID(), r.srv.WSURL, r.redis.Addr, o.Users, o.SharedUsers, o.Conns,
		nWorkers, churners, listeners)
	return nil
}

// spread picks about share of all i, evenly in every prefix: the
// fractional parts of i·α for an irrational α fill [0, 1) evenly
// (Weyl), and two different α keep two choices independent.
func spread(i int, alpha, share float64) bool {
	_, frac := math.Modf(float64(i) * alpha)
	return frac < share
}

// The two irrationals of the slots' choices: the golden ratio's fraction
// (churn) and √2's (listen).
const (
	churnAlpha  = 0.6180339887498949
	listenAlpha = 0.4142135623730951
)

// teardown stops what the bench does not own; the bench closes after.
func (r *runner) teardown() {
	if r.srv != nil {
		r.srv.Stop()
	}
	if r.redis != nil {
		_ = r.redis.Signal(syscall.SIGCONT) // a kill reaches a stopped process, but be plain about it
		r.redis.Kill()
	}
}

// soak runs the rounds and takes the figures around the main one.
func (r *runner) soak(ctx context.Context) error {
	o := r.o
	if o.Warmup > 0 {
		r.Logf("warm-up: %v with every connection, every home storage's mapping, reconnects, no Redis outage", o.Warmup)
		w, err := r.round(ctx, "warm-up", o.Warmup, false)
		if err != nil {
			return err
		}
		r.rep.Warmup = w
		if err := r.awaitNoConnections(ctx); err != nil {
			return err
		}
	}
	var err error
	if r.rep.IdleStart, err = r.snapshot(ctx, "idle, before the soak", true); err != nil {
		return err
	}
	r.Logf("idle before: %s", r.rep.IdleStart.brief())

	main, err := r.round(ctx, "soak", o.Duration, true)
	if main != nil {
		r.rep.Main = *main
	}
	if err != nil {
		return err
	}
	if err := r.awaitNoConnections(ctx); err != nil {
		return err
	}
	r.Logf("all clients gone; settling %v", o.EndSettle)
	if !sleepCtx(ctx, o.EndSettle) {
		return ctx.Err()
	}
	// Two collections: finalizers and the sweep of the first let the
	// second find everything that is unreachable.
	if _, err := r.srv.GC(ctx); err != nil {
		return err
	}
	time.Sleep(time.Second)
	if r.rep.IdleEnd, err = r.snapshot(ctx, "idle, after the soak", true); err != nil {
		return err
	}
	r.Logf("idle after: %s", r.rep.IdleEnd.brief())
	m, err := r.srv.Scrape(ctx)
	if err != nil {
		return err
	}
	r.rep.EndMetrics = pickMetrics(m)
	return r.srv.Alive()
}

// endMetrics are the /metrics series the report shows at the end.
var endMetrics = []string{"active_connection_count", "active_user_count", "total_connection_count", "event_count_total",
	"message_count_total", "mapping_query_count", resyncMetric("resync_count_total", "redis"),
	resyncMetric("resync_count_total", "database"), resyncMetric("resync_client_count_total", "redis"),
	resyncMetric("resync_client_count_total", "database")}

// resyncReasons are the causes the server counts resyncs by.
var resyncReasons = []string{"redis", "database"}

func pickMetrics(m map[string]float64) map[string]float64 {
	out := map[string]float64{}
	for _, k := range endMetrics {
		if v, ok := m[k]; ok {
			out[k] = v
		}
	}
	return out
}

// awaitNoConnections waits (30 s at most) until the server counts no
// connection and no user.
func (r *runner) awaitNoConnections(ctx context.Context) error {
	t0 := time.Now()
	deadline := t0.Add(30 * time.Second)
	for {
		m, err := r.srv.Scrape(ctx)
		if err != nil {
			return err
		}
		conns, users := m["active_connection_count"], m["active_user_count"]
		if conns == 0 && users == 0 {
			r.rep.ZeroAfter = time.Since(t0).Seconds()
			return nil
		}
		if time.Now().After(deadline) {
			r.rep.ZeroAfter = -1
			r.Problem("30 s after every client closed, the server still counts %.0f connections of %.0f users", conns, users)
			return nil
		}
		if !sleepCtx(ctx, 50*time.Millisecond) {
			return ctx.Err()
		}
	}
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// Allowances of the resync window, from the end of an outage.
const (
	// redisBackMargin follows the first event that reached the server
	// again: the resubscription is confirmed about then.
	redisBackMargin = 500 * time.Millisecond
	// redisBackUnknown is the allowance when no event reached the server
	// after the outage: the server retries its subscription every second.
	redisBackUnknown = 3 * time.Second
	// databaseBack: the server probes the database every 5 s (its mapping
	// backoff) while updates wait for their resync, and then looks up each
	// missed storage.
	databaseBack = 6 * time.Second
	// resyncDebounce: with MAX_DEBOUNCE_TIME=1 a slot is sent at most 1.5 s
	// after the previous one, 100 ms (the quiet period) after it was filled.
	resyncDebounce = 1600 * time.Millisecond
)

// RoundSummary is one round: what was published and received.
type RoundSummary struct {
	Name     string                   `json:"name"`
	Seconds  float64                  `json:"seconds"`
	Events   int                      `json:"events"`
	Skipped  map[events.EventKind]int `json:"skipped,omitempty"`
	Sessions int                      `json:"sessions"`
	Clients  protocol.SoakStatus      `json:"clients"`
	Chaos    []ChaosEntry             `json:"chaos,omitempty"`
	Account  Account                  `json:"account"`
	Samples  []Snapshot               `json:"samples,omitempty"`
	// LoadedStart is the server with every connection up, before events.
	LoadedStart *Snapshot `json:"loaded_start,omitempty"`
}

// round holds every connection for d while events flow; with chaos, Redis
// goes down now and then and the server is sampled meanwhile.
func (r *runner) round(ctx context.Context, name string, d time.Duration, chaos bool) (*RoundSummary, error) {
	o := r.o
	res := &RoundSummary{Name: name}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	// Sessions up.
	t0 := time.Now()
	specs := make([]*protocol.SoakSpec, len(r.Workers))
	for i, slots := range r.slots {
		srcs, err := r.Sources.Take(len(slots))
		if err != nil {
			return res, err
		}
		specs[i] = &protocol.SoakSpec{URL: r.srv.WSURL, RedisAddr: r.redis.Addr, Sources: srcs, Slots: slots, Concurrency: o.Concurrency,
			HoldMinMS: int(o.HoldMin / time.Millisecond), HoldMaxMS: int(o.HoldMax / time.Millisecond),
			PauseMaxMS: int(o.PauseMax / time.Millisecond), TimeoutMS: 30_000,
			PreAuthDelayMS: int(o.PreAuthDelay / time.Millisecond), Seed: o.Seed + uint64(len(name))}
	}
	first, err := r.soakStatus(ctx, 5*time.Minute, func(i int) protocol.Command {
		return protocol.Command{Op: protocol.OpSoakStart, Soak: specs[i]}
	})
	if err != nil {
		return res, err
	}
	r.Logf("%s: %d/%d connections up in %.2f s%s", name, first.FirstOK, o.Conns, time.Since(t0).Seconds(), report.Tally("; failures: ", first.LoginFailures))
	if first.FirstFailed > 0 {
		r.Problem("%s: %d of %d first logins failed%s", name, first.FirstFailed, o.Conns, report.Tally("; failures: ", first.LoginFailures))
	}
	if chaos {
		s, err := r.snapshot(ctx, "every connection up", true)
		if err != nil {
			return res, err
		}
		res.LoadedStart = &s
		r.Logf("%s: loaded: %.0f connections, %s", name, s.Conns, s.brief())
	}

	// Events, outages and samples.
	startUS := time.Now().UnixMicro()
	gen := newGenerator(o.Users, o.SharedUsers, int64(o.Window/time.Microsecond), int64(o.SharedEvery/time.Microsecond), o.mix, startUS)
	gen.keepCold(o.coldUsers())
	pub := publish.NewTracked(r.redis.Addr, gen.answered, gen.unconfirmed, gen.refused)
	roundStart := time.Now()
	until := roundStart.Add(d)
	var wg sync.WaitGroup
	var chaosLog []ChaosEntry
	var kills []int64
	var bgErr error
	var bgMu sync.Mutex
	fail := func(err error) {
		bgMu.Lock()
		if bgErr == nil {
			bgErr = err
		}
		bgMu.Unlock()
		cancel()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		r.publishLoop(ctx, gen, pub, roundStart, until, !chaos)
	}()
	if chaos {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var err error
			chaosLog, kills, err = r.chaos(ctx, roundStart, d, gen)
			if err != nil {
				fail(err)
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		samples, err := r.watch(ctx, name, until, chaos, gen)
		res.Samples = samples
		if err != nil {
			fail(err)
		}
	}()
	wg.Wait()
	bgMu.Lock()
	err = bgErr
	bgMu.Unlock()
	if err == nil && ctx.Err() != nil {
		err = ctx.Err()
	}

	// Let the last events land and the last resync reach the clients, then
	// close every session.
	waitCtx, waitCancel := context.WithTimeout(context.Background(), 10*time.Second)
	if !pub.WaitIdle(waitCtx) {
		r.Problem("%s: Redis had not answered every PUBLISH 10 s after the last", name)
	}
	waitCancel()
	evs, skipped := gen.snapshot()
	res.Chaos = chaosLog
	outages := make([]outage, len(res.Chaos))
	settle := time.Now().Add(o.Window + 200*time.Millisecond)
	for i := range res.Chaos {
		e := &res.Chaos[i]
		e.Back = backAfter(evs, roundStart, e.Until)
		outages[i] = r.outageWindow(*e, roundStart)
		e.ResyncUntil = float64(outages[i].ResyncTo-roundStart.UnixMicro()) / 1e6
		if t := time.UnixMicro(outages[i].ResyncTo).Add(200 * time.Millisecond); t.After(settle) {
			settle = t
		}
	}
	if wait := time.Until(settle); wait > o.Window+200*time.Millisecond {
		r.Logf("%s: waiting %.1f s for the last resync window to close", name, wait.Seconds())
	}
	time.Sleep(time.Until(settle))
	logs := make([]protocol.SoakLog, len(r.Workers))
	stopCtx, stopCancel := context.WithTimeout(context.Background(), 2*time.Minute)
	stopErr := r.EachWorker(func(i int, w *protocol.Worker) error {
		reply, err := w.Call(stopCtx, protocol.Command{Op: protocol.OpSoakStop})
		if err == nil && reply.SoakLog != nil {
			logs[i] = *reply.SoakLog
		}
		return err
	})
	stopCancel()
	pub.Close()
	if err == nil {
		err = stopErr
	}
	if chaos {
		end := r.resyncCounters(context.Background())
		for i := range res.Chaos {
			after := end
			if i+1 < len(res.Chaos) {
				after = res.Chaos[i+1].counters
			}
			res.Chaos[i].resyncGains(res.Chaos[i].counters, after)
		}
	}
	res.Seconds = time.Since(roundStart).Seconds()
	var sessions []protocol.SoakSession
	for _, l := range logs {
		res.Clients.Merge(l.Status)
		sessions = append(sessions, l.Sessions...)
	}
	res.Events, res.Skipped, res.Sessions = len(evs), skipped, len(sessions)
	res.Account = account(evs, sessions, kills, accountParams{Mounters: o.SharedUsers, Grace: int64(o.Grace / time.Microsecond),
		Window: int64(o.Window / time.Microsecond), CrashGuard: int64(o.CrashGuard / time.Microsecond), Start: roundStart.UnixMicro(),
		Outages: outages})
	a := res.Account
	for i := range res.Chaos {
		res.Chaos[i].Seen = a.Resyncs[i]
	}
	r.Logf("%s: %d events, %d sessions; %d deliveries required, %d received, %d lost, %d duplicates; %d misdelivered; "+
		"%d changes unnoticed of %d (%d covered by a resync)", name, len(evs), len(sessions), a.Total.Expected, a.Total.Received,
		a.Total.Lost, a.Total.Duplicates, a.Misdelivered, a.NoticedTotal.Unnoticed, a.NoticedTotal.Pairs, a.NoticedTotal.ByResync)
	return res, err
}

// backAfter is how long after until (seconds into the round) Redis first
// answered an event with a subscriber, or -1.
func backAfter(evs []Event, roundStart time.Time, until float64) float64 {
	from := roundStart.UnixMicro() + int64(until*1e6)
	best := int64(-1)
	for i := range evs {
		ev := &evs[i]
		if ev.Fate == fateDelivered && ev.Answered >= from && (best < 0 || ev.Answered < best) {
			best = ev.Answered
		}
	}
	if best < 0 {
		return -1
	}
	return float64(best-from) / 1e6
}

// publishLoop offers --rate events a second until until; a warm-up round
// first updates every home storage once, so that every mapping is cached.
func (r *runner) publishLoop(ctx context.Context, gen *generator, pub *publish.Tracked, start, until time.Time, primeHomes bool) {
	if primeHomes {
		now := time.Now().UnixMicro()
		for u := range r.o.Users {
			if ev, ok := gen.homeFor(u, now); ok {
				ch, payload := soakPayload(nil, ev)
				pub.Publish(ev.ID, ch, payload)
			}
		}
	}
	offered := 0
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tick.C:
			if !now.Before(until) {
				return
			}
			due := int(float64(r.o.Rate) * now.Sub(start).Seconds())
			for _, ev := range gen.take(now.UnixMicro(), due-offered) {
				ch, payload := soakPayload(nil, ev)
				pub.Publish(ev.ID, ch, payload)
			}
			offered = due
		}
	}
}

// watch samples the server (main round) and logs progress until until; it
// fails when the server dies.
func (r *runner) watch(ctx context.Context, name string, until time.Time, sample bool, gen *generator) ([]Snapshot, error) {
	var samples []Snapshot
	next := time.Now().Add(r.o.SampleEvery)
	for {
		wait := min(time.Until(until), time.Until(next), time.Second)
		if !sleepCtx(ctx, max(wait, 0)) {
			return samples, nil
		}
		if err := r.srv.Alive(); err != nil {
			return samples, err
		}
		now := time.Now()
		if !now.Before(until) {
			return samples, nil
		}
		if now.Before(next) {
			continue
		}
		next = next.Add(r.o.SampleEvery)
		st, err := r.soakStatus(ctx, 30*time.Second, func(int) protocol.Command { return protocol.Command{Op: protocol.OpSoakStatus} })
		if err != nil {
			return samples, err
		}
		evs, _ := gen.snapshot()
		fates := map[eventFate]int{}
		for _, ev := range evs {
			fates[ev.Fate]++
		}
		line := fmt.Sprintf("%s: %d open, %d sessions, %d events (%d passed on, %d to nobody, %d refused, %d unconfirmed), %d frames",
			name, st.Open, st.Sessions, len(evs), fates[fateDelivered], fates[FateNobody], fates[FateRefused], fates[fateUnconfirmed],
			st.Receipts)
		if sample {
			s, err := r.snapshot(ctx, "during", false)
			if err != nil {
				return samples, err
			}
			samples = append(samples, s)
			line += fmt.Sprintf("; server: %.0f connections, %s", s.Conns, s.brief())
		}
		r.Logf("%s", line)
	}
}

// soakStatus sends every worker its command (OpSoakStart, OpSoakStatus),
// within timeout, and sums the soak statuses they answer.
func (r *runner) soakStatus(ctx context.Context, timeout time.Duration, command func(worker int) protocol.Command) (protocol.SoakStatus, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var sum protocol.SoakStatus
	var mu sync.Mutex
	err := r.EachWorker(func(i int, w *protocol.Worker) error {
		reply, err := w.Call(ctx, command(i))
		if err == nil && reply.Soak != nil {
			mu.Lock()
			sum.Merge(*reply.Soak)
			mu.Unlock()
		}
		return err
	})
	return sum, err
}
