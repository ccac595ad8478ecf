package soak

import (
	"context"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/notifypush/notify_push/domain"
	"github.com/notifypush/notify_push/internal/load/events"
	"github.com/notifypush/notify_push/internal/load/harness"
	"github.com/notifypush/notify_push/internal/load/protocol"
	"github.com/notifypush/notify_push/internal/load/publish"
	"github.com/notifypush/notify_push/internal/load/report"
	"github.com/notifypush/notify_push/internal/load/world"
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

// resyncMetric is the key of a resync counter in a scrape.
func resyncMetric(name, reason string) string { return name + `{reason="` + reason + `"}` }

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

// Snapshot is the server at one moment.
type Snapshot struct {
	Label string  `json:"label"`
	At    float64 `json:"at_s"`
	// GC: taken right after a forced collection.
	GC      bool                 `json:"gc"`
	Conns   float64              `json:"conns"` // active_connection_count
	Memory  harness.Memory       `json:"memory"`
	Runtime harness.RuntimeStats `json:"runtime"`
	FDs     int                  `json:"fds"`
	// Sockets counts the server's sockets by what is at the other end.
	Sockets map[string]int `json:"sockets"`
}

func (s Snapshot) brief() string {
	return fmt.Sprintf("RSS %s, heap %s, %d goroutines, %d open files (%d sockets: %s)", report.MiB(s.Memory.RSS),
		report.MiB(s.Runtime.HeapObjectBytes), s.Runtime.Goroutines, s.FDs, s.socketCount(), socketsText(s.Sockets))
}

func socketsText(m map[string]int) string {
	var parts []string
	for _, k := range harness.SocketKinds {
		if m[k] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", m[k], k))
		}
	}
	return strings.Join(parts, ", ")
}

// pooled are the sockets of HTTP keep-alive pools: the credential check's
// connections to Nextcloud (closed after 90 s idle) and the soak's own
// metrics scrapes. They come and go with the load, and are no leak.
func (s Snapshot) pooled() int {
	return s.Sockets[harness.SockNextcloud] + s.Sockets[harness.SockMetrics]
}

// netGoroutines are the goroutines less those of the keep-alive pools: a
// client connection of net/http runs two (read and write loop), a server
// connection one.
func (s Snapshot) netGoroutines() int64 {
	return int64(s.Runtime.Goroutines) - 2*int64(s.Sockets[harness.SockNextcloud]) - int64(s.Sockets[harness.SockMetrics])
}

// socketCount is every socket.
func (s Snapshot) socketCount() int {
	n := 0
	for _, v := range s.Sockets {
		n += v
	}
	return n
}

func (r *runner) snapshot(ctx context.Context, label string, gc bool) (Snapshot, error) {
	s := Snapshot{Label: label, GC: gc}
	if err := r.srv.Alive(); err != nil {
		return s, err
	}
	if gc {
		if _, err := r.srv.GC(ctx); err != nil {
			return s, err
		}
		time.Sleep(300 * time.Millisecond) // the scavenger's returns show in RSS
	}
	s.At = r.Since(time.Now())
	var err error
	if s.Memory, err = harness.ReadMemory(r.srv.PID()); err != nil {
		return s, err
	}
	if s.Runtime, err = r.srv.Runtime(ctx); err != nil {
		return s, err
	}
	if s.FDs, s.Sockets, err = harness.ClassifySockets(r.srv.PID(), r.ports); err != nil {
		return s, err
	}
	m, err := r.srv.Scrape(ctx)
	if err != nil {
		return s, err
	}
	s.Conns = m["active_connection_count"]
	return s, nil
}

// ChaosEntry is one outage.
type ChaosEntry struct {
	What string `json:"what"`
	// Database: the mapping tables were away; otherwise Redis was down or
	// frozen.
	Database bool `json:"database,omitempty"`
	// At and Until (seconds into the run) bound the outage: killed until
	// accepting again, stopped until continued, tables away until back.
	At    float64 `json:"at_s"`
	Until float64 `json:"until_s"`
	// Back is how long after Until the first event reached a subscriber
	// again (Redis answered ≥ 1): the server's resubscription, at the
	// resolution of the event rate; -1 when none did.
	Back float64 `json:"back_s"`
	// ResyncUntil (seconds into the run) closes the outage's resync window:
	// the server back (see outageWindow), its spread, the debounce and the
	// window.
	ResyncUntil float64 `json:"resync_until_s"`
	// ServerResyncs and ServerClients are what the server's
	// resync_count_total and resync_client_count_total gained, by reason,
	// from this outage's start to the next one's (or the round's end).
	ServerResyncs map[string]float64 `json:"server_resyncs"`
	ServerClients map[string]float64 `json:"server_clients_told"`
	// Seen is what the clients received of the resync.
	Seen ResyncSeen `json:"seen"`

	// counters is the server's resync counters when the outage began.
	counters map[string]float64
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

// outageWindow is e as the accounting sees it, in µs.
func (r *runner) outageWindow(e ChaosEntry, start time.Time) outage {
	us := func(sec float64) int64 { return start.UnixMicro() + int64(sec*1e6) }
	o := outage{Database: e.Database, At: us(e.At), Until: us(e.Until)}
	back := int64(redisBackUnknown / time.Microsecond)
	switch {
	case e.Database:
		back = int64(databaseBack / time.Microsecond)
	case e.Back >= 0:
		back = int64(e.Back*1e6) + int64(redisBackMargin/time.Microsecond)
	}
	o.RecoveredBy = o.Until + back
	o.ResyncTo = o.RecoveredBy + int64((r.o.ResyncSpread+resyncDebounce+r.o.Window)/time.Microsecond)
	return o
}

// resyncCounters reads the server's resync counters; a failed scrape is a
// problem of the run, and reads as nil.
func (r *runner) resyncCounters(ctx context.Context) map[string]float64 {
	m, err := r.srv.Scrape(ctx)
	if err != nil {
		r.Problem("scrape the resync counters: %v", err)
		return nil
	}
	out := map[string]float64{}
	for _, name := range []string{"resync_count_total", "resync_client_count_total"} {
		for _, reason := range resyncReasons {
			k := resyncMetric(name, reason)
			out[k] = m[k]
		}
	}
	return out
}

// resyncGains sets e's server counts: what the counters gained from
// before to after.
func (e *ChaosEntry) resyncGains(before, after map[string]float64) {
	if before == nil || after == nil {
		return
	}
	e.ServerResyncs, e.ServerClients = map[string]float64{}, map[string]float64{}
	for _, reason := range resyncReasons {
		e.ServerResyncs[reason] = after[resyncMetric("resync_count_total", reason)] - before[resyncMetric("resync_count_total", reason)]
		e.ServerClients[reason] = after[resyncMetric("resync_client_count_total", reason)] -
			before[resyncMetric("resync_client_count_total", reason)]
	}
}

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

// chaos makes the outages at even steps through the run: the kills, with
// the hang second to last and the database's in the middle. The server's
// resync counters are read as each begins.
func (r *runner) chaos(ctx context.Context, start time.Time, d time.Duration, gen *generator) ([]ChaosEntry, []int64, error) {
	o := r.o
	var actions []string
	for range o.Restarts {
		actions = append(actions, "kill")
	}
	if o.Hang > 0 {
		at := max(len(actions)-1, 0)
		actions = append(actions[:at], append([]string{"hang"}, actions[at:]...)...)
	}
	if o.DBOutage {
		at := len(actions) / 2
		actions = append(actions[:at], append([]string{"db"}, actions[at:]...)...)
	}
	var log []ChaosEntry
	var kills []int64
	step := d / time.Duration(len(actions)+1)
	for i, a := range actions {
		if !sleepCtx(ctx, time.Until(start.Add(step*time.Duration(i+1)))) {
			return log, kills, nil
		}
		counters := r.resyncCounters(ctx)
		t := time.Now()
		e := ChaosEntry{At: t.Sub(start).Seconds(), counters: counters}
		switch a {
		case "kill":
			kills = append(kills, t.UnixMicro())
			r.redis.Kill()
			r.Logf("chaos: Redis killed (SIGKILL); down for %v", o.Down)
			if !sleepCtx(ctx, o.Down) {
				return log, kills, nil
			}
			if err := r.redis.Start(); err != nil {
				return log, kills, fmt.Errorf("start Redis again: %w", err)
			}
			e.What = "kill -9, started again"
			r.Logf("chaos: Redis started again on %s", r.redis.Addr)
		case "hang":
			if err := r.redis.Signal(syscall.SIGSTOP); err != nil {
				return log, kills, err
			}
			r.Logf("chaos: Redis stopped (SIGSTOP) for %v", o.Hang)
			sleepCtx(ctx, o.Hang) // continue it even when the run is cut short
			if err := r.redis.Signal(syscall.SIGCONT); err != nil {
				return log, kills, err
			}
			e.What = "SIGSTOP, then SIGCONT"
			r.Logf("chaos: Redis continued (SIGCONT)")
		case "db":
			if err := world.TakeMappingTablesAway(ctx, r.DatabasePath()); err != nil {
				return log, kills, fmt.Errorf("database outage: %w", err)
			}
			gen.setDatabaseOut(true)
			r.Logf("chaos: mapping tables renamed away for %v", o.DBDown)
			sleepCtx(ctx, o.DBDown) // bring them back even when the run is cut short
			// The last cold updates reach the server before the tables
			// are back, so that they fail to map.
			gen.setDatabaseOut(false)
			time.Sleep(100 * time.Millisecond)
			if err := world.BringMappingTablesBack(context.WithoutCancel(ctx), r.DatabasePath()); err != nil {
				return log, kills, fmt.Errorf("end the database outage: %w", err)
			}
			e.What, e.Database = "mapping tables renamed away, then back", true
			// On a real install some storage the server has not mapped yet
			// changes soon: its query tells the server that the database
			// answers again (else its probe does, within 5 s).
			wake := events.AppendStorageUpdate(nil, world.UnmountedStorage, "files/soak/wake.txt", 0)
			if err := r.Redis.Publish(ctx, domain.ChannelStorageUpdate, wake).Err(); err != nil {
				r.Problem("publish an update of a storage nobody mounts after the database outage: %v", err)
			}
			r.Logf("chaos: mapping tables back; an update of an unmapped storage published")
		}
		e.Until = time.Since(start).Seconds()
		log = append(log, e)
	}
	return log, kills, nil
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
