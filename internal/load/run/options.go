package run

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/notifypush/notify_push/internal/load/events"
	"github.com/notifypush/notify_push/internal/load/harness"
	"github.com/notifypush/notify_push/internal/load/world"
)

// Main is "loadgen": the load run.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	opts, err := parseOptions(args)
	if err != nil {
		return harness.FlagsExit("loadgen", err, usage, stdout, stderr)
	}
	rep, err := run(ctx, opts, stderr)
	if err != nil {
		return harness.Conclude("loadgen", nil, err, "", false, "", stdout, stderr)
	}
	return harness.Conclude("loadgen", rep, nil, opts.JSON, opts.Strict, "targets", stdout, stderr)
}

// options are the parameters of a run.
type options struct {
	Conns        int
	Baseline     int
	Storm        int
	FanoutUsers  int
	FanoutRounds int
	// InstanceRounds is, with several instances, how many rounds of each
	// instance's own update run with the others running, and as many with
	// them paused.
	InstanceRounds int
	PingInterval   time.Duration
	Idle           time.Duration
	Rate           int
	Duration       time.Duration
	Mix            string
	mix            events.Mix
	DrainRate      int
	DrainDuration  time.Duration
	DrainStorages  int
	PerWorker      int
	PerSource      int
	Concurrency    int
	ClientSched    string
	Settle         time.Duration
	ServerBin      string
	Instances      int
	RedisCluster   bool
	NoSingle       bool
	NoReference    bool
	Strict         bool
	Keep           bool
	JSON           string
}

func (o options) params() Params {
	return Params{Conns: o.Conns, Baseline: o.Baseline, Storm: o.Storm, FanoutUsers: o.FanoutUsers, FanoutRounds: o.FanoutRounds,
		InstanceRounds: o.InstanceRounds, PingSeconds: o.PingInterval.Seconds(), IdleSeconds: o.Idle.Seconds(), Rate: o.Rate,
		ThroughputS: o.Duration.Seconds(), Mix: o.mix.String(), DrainRate: o.DrainRate, DrainS: o.DrainDuration.Seconds(),
		DrainStorages: o.DrainStorages, PerWorker: o.PerWorker, PerSource: o.PerSource, Concurrency: o.Concurrency, ClientSched: o.ClientSched,
		Instances: o.Instances, RedisCluster: o.RedisCluster}
}

func flagSet(o *options) *flag.FlagSet {
	fs := flag.NewFlagSet("loadgen", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.IntVar(&o.Conns, "conns", 19_000, "idle authenticated connections N for memory and CPU at rest (the server may hold\n"+
		"at most ~19,500: 20,000 open files per process)")
	fs.IntVar(&o.Baseline, "baseline", 100, "connections N0 of the baseline memory snapshot; per connection = ΔRSS/(N−N0)")
	fs.IntVar(&o.Storm, "storm", 10_000, "logins per connect storm (one Basic-checked, one with pre-auth tokens)")
	fs.IntVar(&o.FanoutUsers, "fanout-users", 10_000, "users who mount the shared storage: deliveries per fan-out event\n"+
		"(with --instances > 1 the default is every connection)")
	fs.IntVar(&o.FanoutRounds, "fanout-rounds", 10, "fan-out events measured, one at a time, after one uncached round\n"+
		"(30 with --instances > 1)")
	fs.DurationVar(&o.PingInterval, "ping-interval", 30*time.Second, "ping interval of both servers, whole seconds (notify_push's\n"+
		"--ping-interval); the idle window lasts at least two of them")
	fs.DurationVar(&o.Idle, "idle", 60*time.Second, "idle window over which CPU at rest is measured")
	fs.IntVar(&o.Rate, "rate", 50_000, "per-user events a second in the throughput phase")
	fs.DurationVar(&o.Duration, "duration", 10*time.Second, "length of the throughput phase")
	fs.StringVar(&o.Mix, "mix", "custom=50,activity=25,notification=25", "throughput events by kind and weight: custom (timed),\n"+
		"activity, notification, home (storage update of the user's home), shared (storage update seen by every fan-out user)")
	fs.IntVar(&o.DrainRate, "drain-rate", 20_000, "storage updates a second in the Redis drain phase")
	fs.DurationVar(&o.DrainDuration, "drain-duration", 10*time.Second, "length of the drain phase")
	fs.IntVar(&o.DrainStorages, "drain-storages", 10_000, "home storages the drain phase updates, mappings cached beforehand")
	fs.IntVar(&o.PerWorker, "per-worker", 9_000, "client sockets per worker process")
	fs.IntVar(&o.PerSource, "per-source", 5_000, "client sockets per source address 127.0.0.x")
	fs.IntVar(&o.Concurrency, "concurrency", 64, "logins in flight per worker during connects")
	fs.StringVar(&o.ClientSched, "client-sched", "batch", "scheduling policy of the client workers: batch (SCHED_BATCH: their fair\n"+
		"share of the CPUs, without preempting the server at every frame it writes) or normal")
	fs.DurationVar(&o.Settle, "settle", 10*time.Second, "how long to wait for missing deliveries once nothing arrives any more")
	fs.StringVar(&o.ServerBin, "server-bin", "", "notify_push binary to measure (default: go build ./cmd/notify_push)")
	fs.IntVar(&o.InstanceRounds, "instance-rounds", 60, "with --instances > 1, rounds of each instance's own update with the others\n"+
		"running, and as many with them paused, in alternating blocks: the per-instance fan-out goal's samples")
	fs.IntVar(&o.Instances, "instances", 1, "notify_push processes on one Redis, as behind a proxy: user u connects to instance\n"+
		"u mod N; N > 1 measures each instance's own fan-out with the others running and paused (the goal's\n"+
		"comparison), and one instance alone holding one instance's share (memory)")
	fs.BoolVar(&o.RedisCluster, "redis-cluster", false, "run a Redis Cluster of 3 masters instead of one redis-server")
	fs.BoolVar(&o.NoSingle, "no-single", false, "with --instances > 1, do not measure one instance alone (the memory goal is not judged)")
	fs.BoolVar(&o.NoReference, "no-reference", false, "skip the reference server")
	fs.BoolVar(&o.Strict, "strict", false, "exit 1 when a target fails")
	fs.BoolVar(&o.Keep, "keep", false, "keep the temporary folder with the servers' logs and the database")
	fs.StringVar(&o.JSON, "json", "", "also write the report as JSON to this file")
	return fs
}

func usage(w io.Writer) {
	var o options
	harness.Usage(w, `loadgen: measure notify_push with many idle clients, against a minimal reference server

Usage:
  loadgen [flags]
  loadgen soak [flags]     the soak test instead (loadgen soak --help)

Starts its own redis-server (or Redis Cluster), fake Nextcloud, SQLite
database and servers on loopback; client connections come from worker
processes dialing from 127.0.0.2 upwards. Phases: baseline, connect storms
(Basic-checked, pre-auth), top-up to N, idle (CPU at rest, memory after two
ping cycles and a forced GC), the app's metrics query, fan-out latency,
per-user throughput, storage-update drain; with --instances N > 1 the same
over N servers (each one's own fan-out in blocks of rounds with the others
running and paused), bracketed by one instance alone holding one instance's
share (before them its fan-out only, after them every phase); then
the reference server with one instance's share: idle and fan-out. The report
goes to stdout, progress to stderr. Exit 0 when the run completed (whatever
the verdicts, unless --strict), 1 when it could not, 2 on bad flags.

Flags:
`, flagSet(&o))
}

// instanceFanoutRounds is --fanout-rounds' default with --instances > 1.
const instanceFanoutRounds = 30

// maxInstances bounds --instances: each instance's share of the clients
// must still be worth measuring on one machine.
const maxInstances = 16

// parseOptions reads and checks the flags; figures that do not fit the
// connection count are lowered to it.
func parseOptions(args []string) (options, error) {
	var o options
	fs := flagSet(&o)
	if err := harness.ParseArgs(fs, args); err != nil {
		return o, err
	}
	fanoutSet, roundsSet := false, false
	fs.Visit(func(f *flag.Flag) {
		fanoutSet = fanoutSet || f.Name == "fanout-users"
		roundsSet = roundsSet || f.Name == "fanout-rounds"
	})
	var c harness.Checks
	c.Check(o.Conns >= 2 && o.Conns <= world.MaxUsers, "--conns %d: want 2-%d", o.Conns, world.MaxUsers)
	c.Check(o.Baseline >= 1 && o.Baseline < o.Conns, "--baseline %d: want at least 1 and below --conns", o.Baseline)
	c.Check(o.Storm >= 0, "--storm %d: want ≥ 0", o.Storm)
	c.Check(o.FanoutUsers >= 0, "--fanout-users %d: want ≥ 0", o.FanoutUsers)
	c.Check(o.FanoutRounds >= 0, "--fanout-rounds %d: want ≥ 0", o.FanoutRounds)
	c.Check(o.InstanceRounds >= 0, "--instance-rounds %d: want ≥ 0", o.InstanceRounds)
	c.Check(o.PingInterval >= time.Second && o.PingInterval%time.Second == 0,
		"--ping-interval %v: want whole seconds, at least 1s (notify_push's setting is in seconds)", o.PingInterval)
	c.Check(o.Idle >= 0, "--idle %v: want ≥ 0", o.Idle)
	c.Check(o.Rate >= 0 && o.Duration >= 0, "--rate and --duration: want ≥ 0")
	c.Check(o.DrainRate >= 0 && o.DrainDuration >= 0 && o.DrainStorages >= 0, "--drain-rate, --drain-duration, --drain-storages: want ≥ 0")
	c.Check(o.PerWorker >= 1 && o.PerWorker <= 19_000, "--per-worker %d: want 1-19000 (a process may hold 20,000 open files)", o.PerWorker)
	c.Check(o.PerSource >= 1 && o.PerSource <= 28_000, "--per-source %d: want 1-28000", o.PerSource)
	c.Check(o.Concurrency >= 1, "--concurrency %d: want ≥ 1", o.Concurrency)
	c.Check(o.Settle > 0, "--settle %v: want > 0", o.Settle)
	c.Check(o.ClientSched == "batch" || o.ClientSched == "normal", "--client-sched %q: want batch or normal", o.ClientSched)
	c.Check(o.Instances >= 1 && o.Instances <= maxInstances, "--instances %d: want 1-%d", o.Instances, maxInstances)
	c.Check(o.Baseline >= o.Instances, "--baseline %d: want at least one connection per instance (--instances %d)", o.Baseline, o.Instances)
	mix, err := events.ParseMix(o.Mix)
	if err != nil {
		c.Add(fmt.Errorf("--mix: %w", err))
	}
	o.mix = mix
	o.ServerBin, err = harness.ServerBinFlag(o.ServerBin)
	c.Add(err)
	if err := c.Err(); err != nil {
		return o, err
	}
	if o.Instances > 1 && !fanoutSet {
		o.FanoutUsers = o.Conns
	}
	if o.Instances > 1 && !roundsSet {
		// The per-instance goal compares p99s of a few rounds each: more
		// rounds, less of the gap that is mere sampling.
		o.FanoutRounds = instanceFanoutRounds
	}
	o.Storm = min(o.Storm, o.Conns-o.Baseline)
	o.FanoutUsers = min(o.FanoutUsers, o.Conns)
	o.DrainStorages = min(o.DrainStorages, o.Conns)
	return o, nil
}
