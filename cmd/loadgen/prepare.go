package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
)

// prepared is what a load run and a soak both need before they start
// anything: the machine's facts, this executable (to start workers), the
// client source addresses and a temporary folder.
type prepared struct {
	env     EnvInfo
	self    string
	sources *SourcePool
	dir     string
}

// prepare raises the open-file limit and makes the temporary folder; the
// caller removes it with finish.
func prepare(dirPrefix string, perSource int) (prepared, error) {
	var p prepared
	lim, err := raiseFileLimit()
	if err != nil {
		return p, err
	}
	p.env = EnvInfo{GoVersion: runtime.Version(), CPUs: runtime.NumCPU(), LoadBefore: loadAverage(), FileLimit: lim.Cur}
	if p.self, err = os.Executable(); err != nil {
		return p, fmt.Errorf("find this executable to start workers: %w", err)
	}
	if p.sources, err = NewSourcePool(firstSource, perSource); err != nil {
		return p, err
	}
	if p.dir, err = os.MkdirTemp("", dirPrefix); err != nil {
		return p, err
	}
	return p, nil
}

// finish removes the temporary folder, or says where it was kept.
func (p prepared) finish(keep bool, logf func(string, ...any), what string) {
	if keep {
		logf("kept %s (%s)", p.dir, what)
		return
	}
	os.RemoveAll(p.dir)
}

// parseArgs parses the flags and refuses positional arguments.
func parseArgs(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	return nil
}

// checker collects one problem per failed check, so that all are reported.
func checker(problems *[]error) func(ok bool, format string, args ...any) {
	return func(ok bool, format string, args ...any) {
		if !ok {
			*problems = append(*problems, fmt.Errorf(format, args...))
		}
	}
}
