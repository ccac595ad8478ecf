package soak

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/notifypush/notify_push/internal/load/events"
	"github.com/notifypush/notify_push/internal/load/harness"
	"github.com/notifypush/notify_push/internal/load/world"
)

// options are the parameters of a soak.
type options struct {
	Conns        int           `json:"conns"`
	Users        int           `json:"users"`
	SharedUsers  int           `json:"shared_users"`
	Churn        float64       `json:"churn"`
	Listen       float64       `json:"listen"`
	HoldMin      time.Duration `json:"hold_min"`
	HoldMax      time.Duration `json:"hold_max"`
	PauseMax     time.Duration `json:"pause_max"`
	Duration     time.Duration `json:"duration"`
	Warmup       time.Duration `json:"warmup"`
	Rate         int           `json:"rate"`
	Mix          string        `json:"mix"`
	mix          events.Mix
	SharedEvery  time.Duration `json:"shared_every"`
	Restarts     int           `json:"restarts"`
	Down         time.Duration `json:"down"`
	Hang         time.Duration `json:"hang"`
	DBOutage     bool          `json:"db_outage"`
	DBDown       time.Duration `json:"db_down"`
	DBColdUsers  int           `json:"db_cold_users"`
	ResyncSpread time.Duration `json:"resync_spread"`
	Window       time.Duration `json:"window"`
	Grace        time.Duration `json:"grace"`
	CrashGuard   time.Duration `json:"crash_guard"`
	PingInterval time.Duration `json:"ping_interval"`
	SampleEvery  time.Duration `json:"sample_every"`
	EndSettle    time.Duration `json:"end_settle"`
	PreAuthDelay time.Duration `json:"pre_auth_delay"`
	PerWorker    int           `json:"per_worker"`
	PerSource    int           `json:"per_source"`
	Concurrency  int           `json:"concurrency"`
	Seed         uint64        `json:"seed"`

	MaxGoroutineGrowth int     `json:"max_goroutine_growth"`
	MaxFDGrowth        int     `json:"max_fd_growth"`
	MaxHeapGrowthMiB   float64 `json:"max_heap_growth_mib"`
	MaxRSSGrowthMiB    float64 `json:"max_rss_growth_mib"`

	ServerBin string `json:"-"`
	Keep      bool   `json:"-"`
	JSON      string `json:"-"`
	Strict    bool   `json:"-"`
}

func flagSet(o *options) *flag.FlagSet {
	fs := flag.NewFlagSet("loadgen soak", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.IntVar(&o.Conns, "conns", 3000, "client connections held (slot i logs in as user i mod --users)")
	fs.IntVar(&o.Users, "users", 2000, "users the connections log in as: connection i is user i mod --users, so with fewer\n"+
		"users than connections some hold several at once")
	fs.IntVar(&o.SharedUsers, "shared-users", 1000, "users (the first ones) who mount the shared storage")
	fs.Float64Var(&o.Churn, "churn", 0.3, "share of connections that close and log in again in a loop (by password and by\n"+
		"pre-auth token in turn; closed by close frame, FIN or RST in turn)")
	fs.Float64Var(&o.Listen, "listen", 0.5, `share of connections that send "listen notify_file_id"`)
	fs.DurationVar(&o.HoldMin, "hold-min", 2*time.Second, "shortest session of a reconnecting connection")
	fs.DurationVar(&o.HoldMax, "hold-max", 10*time.Second, "longest session of a reconnecting connection")
	fs.DurationVar(&o.PauseMax, "pause-max", 500*time.Millisecond, "longest pause before a reconnecting connection logs in again")
	fs.DurationVar(&o.Duration, "duration", 3*time.Minute, "length of the soak (events flow, clients reconnect, Redis restarts)")
	fs.DurationVar(&o.Warmup, "warmup", 10*time.Second, "warm-up round before the first memory figure: every connection\n"+
		"up once, every storage's mapping cached, events and reconnects but no Redis restart (0 = none)")
	fs.IntVar(&o.Rate, "rate", 400, "events a second offered, by --mix (events whose slot is still busy are skipped)")
	fs.StringVar(&o.Mix, "mix", "custom=30,activity=20,notification=20,home=30", "events by kind and weight: custom (carries its id),\n"+
		"activity, notification, home (storage update of the user's home; the file id is the event's id)")
	fs.DurationVar(&o.SharedEvery, "shared-every", 5*time.Second, "a storage update on the shared storage this often (0 = never)")
	fs.IntVar(&o.Restarts, "restarts", 3, "times Redis is killed with SIGKILL and started again on the same port")
	fs.DurationVar(&o.Down, "down", 2*time.Second, "how long Redis stays down after each kill")
	fs.DurationVar(&o.Hang, "hang", 4*time.Second, "one SIGSTOP of Redis this long, then SIGCONT (0 = none; below 10 s, the\n"+
		"server's patience with a silent subscription)")
	fs.BoolVar(&o.DBOutage, "db-outage", true, "one database outage: the mapping tables renamed away for --db-down, then back\n"+
		"(queries fail as on a database that is down; --db-outage=false: none)")
	fs.DurationVar(&o.DBDown, "db-down", 3*time.Second, "how long the mapping tables stay away in the database outage")
	fs.IntVar(&o.DBColdUsers, "db-cold-users", 100, "users (the last ones) whose home storages get no update before the\n"+
		"database outage, so that the server has not cached their mapping: during it, home updates go to\n"+
		"them first, one each, and only the resync after it can tell their connections")
	fs.DurationVar(&o.ResyncSpread, "resync-spread", 3*time.Second, "notify_push's RESYNC_SPREAD, whole seconds: its resync after an\n"+
		"outage reaches each connection at a random moment within it")
	fs.DurationVar(&o.Window, "window", 2*time.Second, "how long after Redis passed an event on it must have reached every\n"+
		"connection; also the spacing of events without ids per user and slot")
	fs.DurationVar(&o.Grace, "grace", time.Second, "a connection must be logged in this long before an event is published to\n"+
		"be required to receive it (its listen command must be through)")
	fs.DurationVar(&o.CrashGuard, "crash-guard", 100*time.Millisecond, "events Redis answered this shortly before a kill -9\n"+
		"are excused (they may or may not have left Redis before it died)")
	fs.DurationVar(&o.PingInterval, "ping-interval", 10*time.Second, "notify_push's --ping-interval, whole seconds")
	fs.DurationVar(&o.SampleEvery, "sample-every", 10*time.Second, "how often the server's memory, goroutines and files are sampled")
	fs.DurationVar(&o.EndSettle, "end-settle", 5*time.Second, "wait after the last client is gone before the final figures")
	fs.DurationVar(&o.PreAuthDelay, "pre-auth-delay", 50*time.Millisecond, "wait between publishing a pre-auth token and using it")
	fs.IntVar(&o.PerWorker, "per-worker", 1000, "client connections per worker process")
	fs.IntVar(&o.PerSource, "per-source", 500, "client connections per source address 127.0.0.x (fresh ones each round)")
	fs.IntVar(&o.Concurrency, "concurrency", 64, "first logins in flight per worker")
	fs.Uint64Var(&o.Seed, "seed", 1, "seed of the session lengths and pauses")
	fs.IntVar(&o.MaxGoroutineGrowth, "max-goroutine-growth", 5, "--strict: most goroutines the server may gain, idle after vs before")
	fs.IntVar(&o.MaxFDGrowth, "max-fd-growth", 5, "--strict: most open files the server may gain, idle after vs before")
	fs.Float64Var(&o.MaxHeapGrowthMiB, "max-heap-growth", 4, "--strict: most MiB of live heap the server may gain, idle after vs before")
	fs.Float64Var(&o.MaxRSSGrowthMiB, "max-rss-growth", 16, "--strict: most MiB of RSS the server may gain, idle after vs before")
	fs.StringVar(&o.ServerBin, "server-bin", "", "notify_push binary to soak (default: go build ./cmd/notify_push)")
	fs.BoolVar(&o.Keep, "keep", false, "keep the temporary folder with the server's and Redis's logs and the database")
	fs.StringVar(&o.JSON, "json", "", "also write the report as JSON to this file")
	fs.BoolVar(&o.Strict, "strict", false, "exit 1 when a check fails (a delivery lost, growth beyond the thresholds, ...)")
	return fs
}

func usage(w io.Writer) {
	var o options
	harness.Usage(w, `loadgen soak: hold thousands of reconnecting clients on notify_push for minutes while
events flow, Redis is killed, restarted and frozen and the database fails; account every
delivery and every change left unnoticed, and compare the server's memory, goroutines
and open files before and after

Usage:
  loadgen soak [flags]

Starts its own redis-server, fake Nextcloud, SQLite database and notify_push
(production mode, DEBOUNCE_DISABLE so that every event is one frame,
MAX_DEBOUNCE_TIME=1 so that a resync's messages are held back at most 1.5 s,
RESYNC_SPREAD from --resync-spread) on loopback; clients come from worker
processes dialing from 127.0.0.2 upwards. A warm-up round, the idle figures
(after a forced GC), the soak with its Redis restarts, freeze and database
outage, then the idle figures again once every client is gone. The report
goes to stdout, progress to stderr. Exit 0 when the run completed (whatever
the checks, unless --strict), 1 when it could not, 2 on bad flags.

Flags:
`, flagSet(&o))
}

// parseOptions reads and checks the flags.
func parseOptions(args []string) (options, error) {
	var o options
	if err := harness.ParseArgs(flagSet(&o), args); err != nil {
		return o, err
	}
	var c harness.Checks
	c.Check(o.Conns >= 1 && o.Conns <= 19_000, "--conns %d: want 1-19000 (the server may hold 20,000 open files)", o.Conns)
	c.Check(o.Users >= 1 && o.Users <= o.Conns && o.Users <= world.MaxUsers, "--users %d: want 1 to --conns", o.Users)
	c.Check(o.SharedUsers >= 0 && o.SharedUsers <= o.Users, "--shared-users %d: want 0 to --users", o.SharedUsers)
	c.Check(o.Churn >= 0 && o.Churn <= 1, "--churn %g: want a share from 0 to 1", o.Churn)
	c.Check(o.Listen >= 0 && o.Listen <= 1, "--listen %g: want a share from 0 to 1", o.Listen)
	c.Check(o.HoldMin >= 100*time.Millisecond && o.HoldMax >= o.HoldMin, "--hold-min %v, --hold-max %v: want 100ms ≤ min ≤ max",
		o.HoldMin, o.HoldMax)
	c.Check(o.PauseMax >= 0, "--pause-max %v: want ≥ 0", o.PauseMax)
	c.Check(o.Duration >= time.Second, "--duration %v: want at least 1s", o.Duration)
	c.Check(o.Warmup >= 0, "--warmup %v: want ≥ 0", o.Warmup)
	c.Check(o.Rate >= 0, "--rate %d: want ≥ 0", o.Rate)
	c.Check(o.Window >= 100*time.Millisecond, "--window %v: want at least 100ms", o.Window)
	c.Check(o.Grace >= 0 && o.CrashGuard >= 0, "--grace, --crash-guard: want ≥ 0")
	c.Check(o.SharedEvery == 0 || o.SharedEvery >= 2*o.Window,
		"--shared-every %v: want 0 or at least twice --window (home updates to its users keep a window away from it)", o.SharedEvery)
	c.Check(o.Restarts >= 0, "--restarts %d: want ≥ 0", o.Restarts)
	c.Check(o.Restarts == 0 || o.Down > 0, "--down %v: want > 0", o.Down)
	c.Check(o.Hang >= 0 && o.Hang < 10*time.Second,
		"--hang %v: want 0 or below 10s (after 10 s of silence the server renews its subscription, and what the frozen Redis "+
			"answers after that is no longer a question of the server)", o.Hang)
	c.Check(o.DBDown > 0 || !o.DBOutage, "--db-down %v: want > 0", o.DBDown)
	c.Check(o.DBColdUsers >= 0 && o.DBColdUsers <= o.Users/2, "--db-cold-users %d: want 0 to half of --users", o.DBColdUsers)
	c.Check(o.ResyncSpread >= 0 && o.ResyncSpread%time.Second == 0, "--resync-spread %v: want whole seconds, ≥ 0", o.ResyncSpread)
	c.Check(o.PingInterval >= time.Second && o.PingInterval%time.Second == 0, "--ping-interval %v: want whole seconds, at least 1s",
		o.PingInterval)
	c.Check(o.SampleEvery > 0 && o.EndSettle >= 0 && o.PreAuthDelay >= 0, "--sample-every > 0, --end-settle and --pre-auth-delay ≥ 0")
	c.Check(o.PerWorker >= 1 && o.PerWorker <= 19_000, "--per-worker %d: want 1-19000", o.PerWorker)
	c.Check(o.PerSource >= 1 && o.PerSource <= 28_000, "--per-source %d: want 1-28000", o.PerSource)
	c.Check(o.Concurrency >= 1, "--concurrency %d: want ≥ 1", o.Concurrency)
	c.Check(o.MaxGoroutineGrowth >= 0 && o.MaxFDGrowth >= 0 && o.MaxHeapGrowthMiB >= 0 && o.MaxRSSGrowthMiB >= 0,
		"--max-*-growth: want ≥ 0")
	// Each outage gets a stretch of the run; it must be over (and the
	// window passed) before the next one and before the end. Its resync
	// may reach into the next stretch: the round waits for the last one.
	if n := o.chaosActions(); n > 0 {
		stretch := o.Duration / time.Duration(n+1)
		c.Check(o.Down+o.Window < stretch && o.Hang+o.Window < stretch && (!o.DBOutage || o.DBDown+o.Window < stretch),
			"--duration %v is too short for %d outages of --down %v / --hang %v / --db-down %v: each needs more than itself "+
				"plus --window %v", o.Duration, n, o.Down, o.Hang, o.DBDown, o.Window)
	}
	mix, err := events.ParseMix(o.Mix)
	if err != nil {
		c.Add(fmt.Errorf("--mix: %w", err))
	}
	for _, p := range mix {
		if p.Kind == events.KindShared {
			c.Add(errors.New("--mix: the shared storage has its own setting, --shared-every"))
		}
	}
	o.mix = mix
	o.ServerBin, err = harness.ServerBinFlag(o.ServerBin)
	c.Add(err)
	return o, c.Err()
}

// chaosActions is the number of outages: the kills, the hang and the
// database's.
func (o options) chaosActions() int {
	n := o.Restarts
	if o.Hang > 0 {
		n++
	}
	if o.DBOutage {
		n++
	}
	return n
}

// coldUsers is the number of users kept cold for the database outage.
func (o options) coldUsers() int {
	if !o.DBOutage {
		return 0
	}
	return o.DBColdUsers
}

// Main is "loadgen soak".
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o, err := parseOptions(args)
	if err != nil {
		return harness.FlagsExit("loadgen soak", err, usage, stdout, stderr)
	}
	rep, err := run(ctx, o, stderr)
	var out harness.Outcome
	if rep != nil { // what a broken-off soak saw is still shown
		out = rep
	}
	return harness.Conclude("loadgen soak", out, err, o.JSON, o.Strict, "checks", stdout, stderr)
}
