package hostile

import (
	"context"
	"flag"
	"io"
	"time"

	"github.com/notifypush/notify_push/internal/load/harness"
)

// options are the parameters of a hostile run.
type options struct {
	Victims      int           `json:"victims"`
	Rate         int           `json:"rate"`
	Duration     time.Duration `json:"duration"`
	Rounds       int           `json:"rounds"`
	Cooldown     time.Duration `json:"cooldown"`
	PingInterval time.Duration `json:"ping_interval"`
	Buildup      time.Duration `json:"buildup"`
	IdleRate     int           `json:"idle_sockets_per_second"`
	Guessers     int           `json:"guessers"`
	AttackerIdle bool          `json:"attacker_sched_idle"`
	WrongDelay   time.Duration `json:"wrong_password_delay"`
	Settle       time.Duration `json:"settle"`
	PerWorker    int           `json:"per_worker"`
	PerSource    int           `json:"per_source"`
	Concurrency  int           `json:"concurrency"`
	MaxP99Ratio  float64       `json:"max_p99_ratio"`

	ServerBin string `json:"-"`
	Keep      bool   `json:"-"`
	JSON      string `json:"-"`
	Strict    bool   `json:"-"`
}

func flagSet(o *options) *flag.FlagSet {
	fs := flag.NewFlagSet("loadgen hostile", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.IntVar(&o.Victims, "victims", 500, "victim connections (users 0…victims-1), each receiving events")
	fs.IntVar(&o.Rate, "rate", 200, "custom events a second published to the victims in each phase, round robin")
	fs.DurationVar(&o.Duration, "duration", 15*time.Second, "length of each phase's publishing (without and under attack)")
	fs.IntVar(&o.Rounds, "rounds", 3, "rounds of a phase without attack then one under attack; each kind is pooled over them")
	fs.DurationVar(&o.Cooldown, "cooldown", 10*time.Second, "pause after an attack for the server to shed what it left (silent\n"+
		"sockets, slow wrong passwords) before the next phase without attack")
	fs.DurationVar(&o.PingInterval, "ping-interval", 2*time.Second, "the server's ping interval: a starved poller drops\n"+
		"victims as ping timeouts after two of them")
	fs.DurationVar(&o.Buildup, "buildup", 5*time.Second, "attack time before the attack phase publishes")
	fs.IntVar(&o.IdleRate, "idle-rate", 273, "silent sockets the attacking address opens a second (each kept until the server drops it)")
	fs.IntVar(&o.Guessers, "guessers", 200, "wrong-password logins the attacking address keeps in flight at once")
	fs.BoolVar(&o.AttackerIdle, "attacker-idle", true, "run the attacker under SCHED_IDLE, on CPU time nobody else wants, as if\n"+
		"it were on another machine (false: it competes for this machine's cores like the server)")
	fs.DurationVar(&o.WrongDelay, "wrong-delay", 8*time.Second, "how long the fake Nextcloud holds back the answer to a wrong password")
	fs.DurationVar(&o.Settle, "settle", 5*time.Second, "how long deliveries may stand still before a phase's count is final")
	fs.IntVar(&o.PerWorker, "per-worker", 5000, "victim connections per worker process")
	fs.IntVar(&o.PerSource, "per-source", 10000, "connections per loopback source address")
	fs.IntVar(&o.Concurrency, "concurrency", 50, "victim logins in flight at once per worker")
	fs.Float64Var(&o.MaxP99Ratio, "max-p99-ratio", 1.5, "target: the victims' p99 under attack at most this times their p99 without")
	fs.StringVar(&o.ServerBin, "server-bin", "", "notify_push binary to run (default: build it)")
	fs.BoolVar(&o.Keep, "keep", false, "keep the temporary folder (server log, database)")
	fs.StringVar(&o.JSON, "json", "", "also write the report as JSON to this file")
	fs.BoolVar(&o.Strict, "strict", false, "exit 1 when a target fails")
	return fs
}

func parseOptions(args []string) (options, error) {
	var o options
	fs := flagSet(&o)
	if err := harness.ParseArgs(fs, args); err != nil {
		return o, err
	}
	var c harness.Checks
	c.Check(o.Victims >= 1, "--victims %d: want at least 1", o.Victims)
	c.Check(o.Rate >= 1, "--rate %d: want at least 1", o.Rate)
	c.Check(o.Duration >= time.Second, "--duration %v: want at least 1s", o.Duration)
	c.Check(o.Rounds >= 1, "--rounds %d: want at least 1", o.Rounds)
	c.Check(o.Cooldown >= 0, "--cooldown %v: want 0 or more", o.Cooldown)
	c.Check(o.PingInterval >= time.Second && o.PingInterval%time.Second == 0, "--ping-interval %v: want whole seconds", o.PingInterval)
	c.Check(o.IdleRate >= 0 && o.Guessers >= 0, "--idle-rate and --guessers: want 0 or more")
	c.Check(o.PerWorker >= 1 && o.PerSource >= 1 && o.Concurrency >= 1, "--per-worker, --per-source, --concurrency: want at least 1")
	c.Check(o.MaxP99Ratio > 0, "--max-p99-ratio %v: want more than 0", o.MaxP99Ratio)
	var err error
	o.ServerBin, err = harness.ServerBinFlag(o.ServerBin)
	c.Add(err)
	return o, c.Err()
}

const usageText = `usage: loadgen hostile [flags]

Victims receive events while one logged-in client floods frames and one
address opens silent sockets and keeps slow wrong-password logins in
flight; the same victims are measured without the attack before each
attack, for --rounds rounds, and each kind of phase is pooled. The
report gives the victims' delivery p99 and disconnects in both phases, the
legitimate logins made during each, and what the server did to the
attacker. Targets: no victim disconnected, every legitimate login served,
and the p99 under attack within --max-p99-ratio of the p99 without.

`

func usage(w io.Writer) {
	var o options
	harness.Usage(w, usageText, flagSet(&o))
}

// Main runs "loadgen hostile" with args and returns the exit code.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o, err := parseOptions(args)
	if err != nil {
		return harness.FlagsExit("loadgen hostile", err, usage, stdout, stderr)
	}
	rep, err := run(ctx, o, stderr)
	var out harness.Outcome
	if rep != nil {
		out = rep
	}
	return harness.Conclude("loadgen hostile", out, err, o.JSON, o.Strict, "targets", stdout, stderr)
}
