package hostile

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/notifypush/notify_push/domain"
	"github.com/notifypush/notify_push/internal/load/events"
	"github.com/notifypush/notify_push/internal/load/harness"
	"github.com/notifypush/notify_push/internal/load/hist"
	"github.com/notifypush/notify_push/internal/load/protocol"
	"github.com/notifypush/notify_push/internal/load/publish"
	"github.com/notifypush/notify_push/internal/load/report"
	"github.com/notifypush/notify_push/internal/process"
)

// runner is one hostile run: the bench, the server, the victims and the report.
type runner struct {
	*harness.Bench
	opts options

	redis  *process.Redis
	pub    *publish.Publisher
	srv    *harness.Server
	report Report
}

// Users of the world besides the victims (users 0…victims-1).
func (r *runner) flooderUser() int { return r.opts.Victims }
func (r *runner) proberUser() int  { return r.opts.Victims + 1 }

func run(ctx context.Context, o options, progress io.Writer) (*Report, error) {
	b, err := harness.NewBench("loadgen-hostile-", o.PerSource, progress)
	if err != nil {
		return nil, err
	}
	r := &runner{Bench: b, opts: o}
	r.report.Params = o
	defer b.Close(o.Keep, "server log, database")
	defer r.teardown()
	if err := r.setUp(ctx); err != nil {
		return nil, err
	}
	if err := r.measure(ctx); err != nil {
		return &r.report, err
	}
	r.report.RunInfo = b.RunInfo()
	r.report.Problems = b.Problems()
	r.report.Targets = r.report.targets()
	return &r.report, nil
}

func (r *runner) setUp(ctx context.Context) error {
	o := r.opts
	var err error
	if o.ServerBin, err = r.ServerBinary(ctx, o.ServerBin); err != nil {
		return err
	}
	if r.redis, err = harness.StartRedis(r.Dir); err != nil {
		return err
	}
	if r.pub, err = publish.DialPublisher(ctx, r.redis.Addr); err != nil {
		return err
	}
	if err := r.StartWorld(ctx, r.redis.Addr, o.Victims+2, 1); err != nil {
		return err
	}
	r.Nextcloud.WrongDelay.Store(int64(o.WrongDelay))
	if err := r.StartWorkers((o.Victims+o.PerWorker-1)/o.PerWorker, false); err != nil {
		return err
	}
	if r.srv, err = r.StartNotifyPush(ctx, o.ServerBin, r.redis.Addr, o.PingInterval, "warn", os.Getenv("XENV")); err != nil {
		return err
	}
	return r.connectVictims(ctx)
}

func (r *runner) teardown() {
	if r.srv != nil {
		r.srv.Stop()
	}
	if r.pub != nil {
		r.pub.Close()
	}
	if r.redis != nil {
		r.redis.Kill()
	}
}

// connectVictims logs users 0…victims-1 in, spread over the workers.
func (r *runner) connectVictims(ctx context.Context) error {
	o := r.opts
	per := (o.Victims + len(r.Workers) - 1) / len(r.Workers)
	ok := make([]int, len(r.Workers))
	specs := make([]*protocol.ConnectSpec, len(r.Workers))
	for i := range r.Workers {
		first := i * per
		count := min(per, o.Victims-first)
		if count <= 0 {
			continue
		}
		srcs, err := r.Sources.Take(count)
		if err != nil {
			return err
		}
		specs[i] = &protocol.ConnectSpec{Group: "victims", URL: r.srv.WSURL, Sources: srcs, FirstUser: first, Count: count,
			Concurrency: o.Concurrency, TimeoutMS: 30_000}
	}
	err := r.EachWorker(func(i int, w *protocol.Worker) error {
		if specs[i] == nil {
			return nil
		}
		reply, err := w.Call(ctx, protocol.Command{Op: protocol.OpConnect, Connect: specs[i]})
		if err == nil && reply.Connect != nil {
			ok[i] = reply.Connect.OK
			for why, n := range reply.Connect.Errors {
				r.Logf("victim logins failed: %d× %s", n, why)
			}
		}
		return err
	})
	if err != nil {
		return err
	}
	for _, n := range ok {
		r.report.Victims += n
	}
	r.Logf("victims: %d of %d logged in", r.report.Victims, o.Victims)
	if r.report.Victims != o.Victims {
		return fmt.Errorf("only %d of %d victims logged in", r.report.Victims, o.Victims)
	}
	return nil
}

// measure alternates phases without and under attack, --rounds times, and
// pools each kind: the machine's own drift over the run (other tenants,
// timers, caches) then falls on both sides alike instead of on whichever
// phase ran when it happened.
func (r *runner) measure(ctx context.Context) error {
	o := r.opts
	srcs, err := r.Sources.Take(1)
	if err != nil {
		return err
	}
	r.report.AttackSource = srcs[0]
	for round := 1; round <= o.Rounds; round++ {
		r.Logf("round %d of %d, without attack: %d events at %d/s", round, o.Rounds, int(float64(o.Rate)*o.Duration.Seconds()), o.Rate)
		quiet, err := r.phase(ctx)
		if err != nil {
			return err
		}
		r.Logf("without attack: %s", quiet.summary())
		r.report.Without.add(quiet)

		attacker, err := startAttacker(r.Self, r.srv.WSURL, srcs[0], r.flooderUser(), o, r.Progress())
		if err != nil {
			return err
		}
		r.Logf("attack from %s: a flooding client, %d silent sockets a second, %d wrong-password logins in flight (answered after %v)",
			srcs[0], o.IdleRate, o.Guessers, o.WrongDelay)
		sleep(ctx, o.Buildup)
		under, err := r.phase(ctx)
		seen, serr := attacker.stop(30 * time.Second)
		if err = errors.Join(err, serr); err != nil {
			return err
		}
		r.Logf("under attack: %s", under.summary())
		r.report.Under.add(under)
		r.report.Attack.add(seen)
		r.report.Rounds = append(r.report.Rounds, Round{WithoutP99: quiet.Latency.Quantile(0.99), UnderP99: under.Latency.Quantile(0.99)})
		if round < o.Rounds {
			// The server sheds what the attack left (silent sockets, slow
			// wrong passwords) before the next quiet phase.
			sleep(ctx, o.Cooldown)
		}
	}
	if err := r.srv.Alive(); err != nil {
		return err
	}
	m, err := r.srv.Scrape(ctx)
	if err != nil {
		return err
	}
	r.report.Server = ServerFigures{
		FloodingCloses: m["abusive_client_disconnect_count_total"],
		TooManyLogins:  m[`auth_failure_count_total{reason="too_many_logins"}`],
		Timeouts:       m[`auth_failure_count_total{reason="timeout"}`],
		Connections:    m["active_connection_count"],
	}
	return nil
}

// Round is one round's p99 of each kind, to show the spread the pooled
// figures smooth.
type Round struct {
	WithoutP99 uint64 `json:"without_attack_p99_us"`
	UnderP99   uint64 `json:"under_attack_p99_us"`
}

// Phase is what the victims saw while events were published to them.
type Phase struct {
	Published   uint64         `json:"published"`
	Received    uint64         `json:"received"`
	Latency     hist.Latencies `json:"latency"`
	Disconnects int            `json:"disconnects"`
	DropReasons map[string]int `json:"drop_reasons,omitempty"`
	Open        int            `json:"open_at_end"`
	Logins      Logins         `json:"legitimate_logins"`
}

func (p Phase) summary() string {
	return fmt.Sprintf("%d/%d delivered, p50 %s, p99 %s, max %s, %d victims disconnected, legitimate logins %d ok, %d failed",
		p.Received, p.Published, report.Micros(p.Latency.Quantile(0.5)), report.Micros(p.Latency.Quantile(0.99)),
		report.Micros(p.Latency.Max), p.Disconnects, p.Logins.OK, p.Logins.Failed)
}

// add pools o into p: counts add up, latencies merge, open is o's.
func (p *Phase) add(o Phase) {
	p.Published += o.Published
	p.Received += o.Received
	p.Latency.Merge(o.Latency)
	p.Disconnects += o.Disconnects
	p.DropReasons = protocol.MergeCounts(p.DropReasons, o.DropReasons)
	p.Open = o.Open
	p.Logins.OK += o.Logins.OK
	p.Logins.Failed += o.Logins.Failed
	p.Logins.Why = protocol.MergeCounts(p.Logins.Why, o.Logins.Why)
}

// phase publishes custom events to the victims, round robin, counts what
// arrives, and logs a legitimate user in and out all along.
func (r *runner) phase(ctx context.Context) (Phase, error) {
	o := r.opts
	var p Phase
	if err := r.EachWorker(func(_ int, w *protocol.Worker) error {
		_, err := w.Call(ctx, protocol.Command{Op: protocol.OpReset})
		return err
	}); err != nil {
		return p, err
	}
	srcs, err := r.Sources.Take(1)
	if err != nil {
		return p, err
	}
	pctx, stopProbe := context.WithCancel(ctx)
	probed := make(chan Logins, 1)
	go func() { probed <- probeLogins(pctx, r.srv.WSURL, srcs[0], r.proberUser(), 250*time.Millisecond) }()
	defer func() {
		if pctx.Err() == nil {
			stopProbe()
			<-probed
		}
	}()

	total := int(float64(o.Rate) * o.Duration.Seconds())
	paced, err := publish.Pace(ctx, r.pub, float64(o.Rate), total, func(i int, nowUS int64, b []byte) (string, []byte) {
		return domain.ChannelCustom, events.AppendCustom(b, i%o.Victims, events.CustomMessage, "t", nowUS)
	})
	if err != nil {
		return p, err
	}
	p.Published = uint64(paced.Sent)
	var last uint64
	lastChange := time.Now()
	for {
		s, err := r.gather(ctx, protocol.OpCount)
		if err != nil {
			return p, err
		}
		if s.Received.Custom >= p.Published {
			break
		}
		if s.Received.Custom != last {
			last, lastChange = s.Received.Custom, time.Now()
		} else if time.Since(lastChange) > o.Settle {
			break
		}
		sleep(ctx, 50*time.Millisecond)
	}
	stopProbe()
	p.Logins = <-probed
	s, err := r.gather(ctx, protocol.OpStats)
	if err != nil {
		return p, err
	}
	p.Received, p.Disconnects, p.DropReasons, p.Open = s.Received.Custom, s.Dropped, s.DropReasons, s.Open
	if s.Latency != nil {
		p.Latency = *s.Latency
	}
	return p, nil
}

// gather merges every worker's stats.
func (r *runner) gather(ctx context.Context, op string) (protocol.Stats, error) {
	all, err := r.Gather(ctx, op)
	var s protocol.Stats
	for _, o := range all {
		s.Merge(o)
	}
	return s, err
}
