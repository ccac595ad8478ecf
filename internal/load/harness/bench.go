package harness

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"runtime"
	"sync"

	"github.com/notifypush/notify_push/internal/load/protocol"
)

// Prepared is what a load run and a soak both need before they start
// anything: the machine's facts, this executable (to start workers), the
// client source addresses and a temporary folder.
type Prepared struct {
	Env     EnvInfo
	Self    string
	Sources *SourcePool
	Dir     string
}

// Prepare raises the open-file limit and makes the temporary folder; the
// caller removes it with finish.
func Prepare(dirPrefix string, perSource int) (Prepared, error) {
	var p Prepared
	lim, err := RaiseFileLimit()
	if err != nil {
		return p, err
	}
	p.Env = EnvInfo{GoVersion: runtime.Version(), CPUs: runtime.NumCPU(), LoadBefore: LoadAverage(), FileLimit: lim.Cur}
	if p.Self, err = os.Executable(); err != nil {
		return p, fmt.Errorf("find this executable to start workers: %w", err)
	}
	if p.Sources, err = NewSourcePool(FirstSource, perSource); err != nil {
		return p, err
	}
	if p.Dir, err = os.MkdirTemp("", dirPrefix); err != nil {
		return p, err
	}
	return p, nil
}

// Finish removes the temporary folder, or says where it was kept.
func (p Prepared) Finish(keep bool, logf func(string, ...any), what string) {
	if keep {
		logf("kept %s (%s)", p.Dir, what)
		return
	}
	os.RemoveAll(p.Dir)
}

// ParseArgs parses the flags and refuses positional arguments.
func ParseArgs(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	return nil
}

// Checker collects one problem per failed check, so that all are reported.
func Checker(problems *[]error) func(ok bool, format string, args ...any) {
	return func(ok bool, format string, args ...any) {
		if !ok {
			*problems = append(*problems, fmt.Errorf(format, args...))
		}
	}
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

func EachWorker(workers []*protocol.Worker, f func(i int, w *protocol.Worker) error) error {
	errs := make([]error, len(workers))
	var wg sync.WaitGroup
	for i, w := range workers {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = f(i, w) }()
	}
	wg.Wait()
	return errors.Join(errs...)
}
