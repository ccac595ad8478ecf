package harness

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/notifypush/notify_push/domain"
	"github.com/notifypush/notify_push/internal/load/protocol"
	"github.com/notifypush/notify_push/internal/load/world"
)

// Bench is what a load run and a soak share around the server under test:
// a temporary folder, this executable (to start workers), the client source
// addresses, the progress log and its problems, the world (a Redis client,
// the fake Nextcloud, the SQLite database) and the client workers.
type Bench struct {
	// Env is filled as the bench learns the machine; RunInfo completes it.
	Env     EnvInfo
	Dir     string
	Self    string
	Sources *SourcePool
	Start   time.Time
	// Redis is a client of the Redis the server subscribes to, Nextcloud
	// the fake one; both are set by StartWorld.
	Redis     goredis.UniversalClient
	Nextcloud *world.Nextcloud
	Workers   []*protocol.Worker

	progress io.Writer
	problems []string
}

// EnvInfo says what the figures were measured on.
type EnvInfo struct {
	GoVersion   string `json:"go"`
	CPUs        int    `json:"cpus"`
	LoadBefore  string `json:"load_before"`
	LoadAfter   string `json:"load_after"`
	FileLimit   uint64 `json:"file_limit"`
	Workers     int    `json:"workers"`
	Sources     string `json:"sources"`
	RedisBuffer string `json:"redis_pubsub_buffer_limit"`
}

// NewBench raises the open-file limit and makes the temporary folder, named
// dirPrefix…; Close removes it. Progress lines go to progress.
func NewBench(dirPrefix string, perSource int, progress io.Writer) (*Bench, error) {
	b := &Bench{Start: time.Now(), progress: progress}
	lim, err := RaiseFileLimit()
	if err != nil {
		return nil, err
	}
	b.Env = EnvInfo{GoVersion: runtime.Version(), CPUs: runtime.NumCPU(), LoadBefore: LoadAverage(), FileLimit: lim.Cur}
	if b.Self, err = os.Executable(); err != nil {
		return nil, fmt.Errorf("find this executable to start workers: %w", err)
	}
	if b.Sources, err = NewSourcePool(FirstSource, perSource); err != nil {
		return nil, err
	}
	if b.Dir, err = os.MkdirTemp("", dirPrefix); err != nil {
		return nil, err
	}
	return b, nil
}

// Progress is where progress lines go, for the bench's child processes.
func (b *Bench) Progress() io.Writer { return b.progress }

// Logf writes a progress line, stamped with the seconds since the start.
func (b *Bench) Logf(format string, args ...any) {
	fmt.Fprintf(b.progress, "[%6.1f s] %s\n", time.Since(b.Start).Seconds(), fmt.Sprintf(format, args...))
}

// Problem notes something that makes the figures doubtful; the report lists them.
func (b *Bench) Problem(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	b.problems = append(b.problems, msg)
	b.Logf("problem: %s", msg)
}

// Problems are the problems noted so far.
func (b *Bench) Problems() []string { return b.problems }

// Since is t in seconds after the start.
func (b *Bench) Since(t time.Time) float64 { return t.Sub(b.Start).Seconds() }

// RunInfo heads both reports: when the run started, how long it took and
// what it ran on.
type RunInfo struct {
	Started time.Time `json:"started"`
	Seconds float64   `json:"seconds"`
	Env     EnvInfo   `json:"env"`
}

// RunInfo is the run so far, with the environment as it is at the end.
func (b *Bench) RunInfo() RunInfo {
	env := b.Env
	env.LoadAfter = LoadAverage()
	env.Sources = b.Sources.Used(FirstSource)
	return RunInfo{Started: b.Start, Seconds: time.Since(b.Start).Seconds(), Env: env}
}

// ServerBinary is bin, or notify_push built into the folder when bin is "".
func (b *Bench) ServerBinary(ctx context.Context, bin string) (string, error) {
	if bin != "" {
		return bin, nil
	}
	bin = filepath.Join(b.Dir, "notify_push")
	b.Logf("building notify_push (or pass --server-bin)")
	out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/notifypush/notify_push/cmd/notify_push").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("build notify_push: %v\n%s\nrun loadgen inside the repository, or pass --server-bin", err, out)
	}
	return bin, nil
}

// DatabasePath is the world's SQLite database.
func (b *Bench) DatabasePath() string { return filepath.Join(b.Dir, "nextcloud.db") }

// StartWorld connects to the Redis at redisAddr, starts the fake Nextcloud
// (whose version check sets the app version in that Redis, as the real
// app does) and seeds the database with users, the first fanout of whom
// mount the shared storage.
func (b *Bench) StartWorld(ctx context.Context, redisAddr string, users, fanout int) error {
	return b.StartWorldOn(ctx, goredis.NewClient(&goredis.Options{Addr: redisAddr}), users, fanout)
}

// StartWorldOn is StartWorld with a client of its own choosing (a Redis
// Cluster's), which the bench closes.
func (b *Bench) StartWorldOn(ctx context.Context, client goredis.UniversalClient, users, fanout int) error {
	b.Redis = client
	var err error
	b.Nextcloud, err = world.StartNextcloud(func(ctx context.Context) error {
		return b.Redis.Set(ctx, "notify_push_app_version", domain.Version, 0).Err()
	})
	if err != nil {
		return err
	}
	return world.SeedDatabase(ctx, b.DatabasePath(), users, fanout)
}

// StartWorkers starts n client workers, under SCHED_BATCH when batch is set.
func (b *Bench) StartWorkers(n int, batch bool) error {
	for i := range n {
		w, err := protocol.StartWorker(b.Self, i, batch, b.progress)
		if err != nil {
			return err
		}
		b.Workers = append(b.Workers, w)
	}
	b.Env.Workers = n
	return nil
}

// EachWorker runs f on every worker at once and returns the errors joined.
func (b *Bench) EachWorker(f func(i int, w *protocol.Worker) error) error {
	errs := make([]error, len(b.Workers))
	var wg sync.WaitGroup
	for i, w := range b.Workers {
		wg.Go(func() { errs[i] = f(i, w) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

// Gather asks every worker for its stats with op (protocol.OpCount or
// OpStats), each in its slot.
func (b *Bench) Gather(ctx context.Context, op string) ([]protocol.Stats, error) {
	all := make([]protocol.Stats, len(b.Workers))
	err := b.EachWorker(func(i int, w *protocol.Worker) error {
		reply, err := w.Call(ctx, protocol.Command{Op: op})
		if err == nil && reply.Stats != nil {
			all[i] = *reply.Stats
		}
		return err
	})
	return all, err
}

// StartNotifyPush runs bin against the world in production mode, without
// debounce (every event is one frame), pinging every ping, logging from
// level logLevel, with the settings of extraEnv (NAME=value) besides.
func (b *Bench) StartNotifyPush(ctx context.Context, bin, redisAddr string, ping time.Duration, logLevel string,
	extraEnv ...string) (*Server, error) {
	return b.StartInstance(ctx, "notify_push", bin, "redis://"+redisAddr, ping, logLevel, extraEnv...)
}

// StartInstance is StartNotifyPush for one of several servers: named name
// (its log is name.log in the folder), on the Redis of redisURLs (REDIS_URL:
// several, comma-separated, for a cluster).
func (b *Bench) StartInstance(ctx context.Context, name, bin, redisURLs string, ping time.Duration, logLevel string,
	extraEnv ...string) (*Server, error) {
	return StartNotifyPush(ctx, name, bin, b.Dir, append([]string{
		"DATABASE_URL=sqlite://" + b.DatabasePath(),
		"REDIS_URL=" + redisURLs,
		"NEXTCLOUD_URL=" + b.Nextcloud.URL(),
		"DEBOUNCE_DISABLE=1",
		"NOTIFY_PUSH_PING_INTERVAL=" + strconv.Itoa(int(ping/time.Second)),
		"LOG=" + logLevel,
	}, extraEnv...))
}

// Close ends the workers and the world, then removes the folder, or says
// where it was kept with what (the caller has stopped the processes that
// write there by then).
func (b *Bench) Close(keep bool, what string) {
	for _, w := range b.Workers {
		w.Quit()
	}
	if b.Nextcloud != nil {
		b.Nextcloud.Close()
	}
	if b.Redis != nil {
		_ = b.Redis.Close()
	}
	if keep {
		b.Logf("kept %s (%s)", b.Dir, what)
		return
	}
	os.RemoveAll(b.Dir)
}
