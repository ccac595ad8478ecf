package hostile

import (
	"context"
	"fmt"
	"io"
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
	if r.srv, err = r.StartNotifyPush(ctx, o.ServerBin, r.redis.Addr, o.PingInterval, "warn"); err != nil {
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

// measure runs the phase without attack, then the one under attack.
func (r *runner) measure(ctx context.Context) error {
	o := r.opts
	var err error
	r.Logf("phase without attack: %d events at %d/s", int(float64(o.Rate)*o.Duration.Seconds()), o.Rate)
	if r.report.Without, err = r.phase(ctx); err != nil {
		return err
	}
	r.Logf("without attack: %s", r.report.Without.summary())

	srcs, err := r.Sources.Take(1)
	if err != nil {
		return err
	}
	attack := &Attack{url: r.srv.WSURL, source: srcs[0], user: r.flooderUser()}
	r.report.AttackSource = srcs[0]
	actx, stop := context.WithCancel(ctx)
	attack.Start(actx, o.IdleRate, o.Guessers)
	r.Logf("attack from %s: a flooding client, %d silent sockets a second, %d wrong-password logins in flight (answered after %v)",
		srcs[0], o.IdleRate, o.Guessers, o.WrongDelay)
	sleep(ctx, o.Buildup)
	r.report.Under, err = r.phase(ctx)
	stop()
	attack.Wait()
	r.report.Attack = attack.counts.figures()
	if err != nil {
		return err
	}
	r.Logf("under attack: %s", r.report.Under.summary())
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
