package harness

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

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

// Checks collects one problem per failed check, so that a command line's
// problems are all reported at once.
type Checks struct{ problems []error }

// Check adds the problem format, args unless ok.
func (c *Checks) Check(ok bool, format string, args ...any) {
	if !ok {
		c.problems = append(c.problems, fmt.Errorf(format, args...))
	}
}

// Add adds err unless it is nil.
func (c *Checks) Add(err error) {
	if err != nil {
		c.problems = append(c.problems, err)
	}
}

// Err is every problem, joined, or nil.
func (c *Checks) Err() error { return errors.Join(c.problems...) }

// ServerBinFlag makes --server-bin absolute, since the server runs in a
// folder of its own, and checks that it names a file; "" stays "" (build it).
func ServerBinFlag(path string) (string, error) {
	if path == "" {
		return "", nil
	}
	abs, err := filepath.Abs(path)
	if fi, statErr := os.Stat(abs); err != nil || statErr != nil || fi.IsDir() {
		return abs, fmt.Errorf("--server-bin %s: not a file", path)
	}
	return abs, nil
}

// Usage writes a command's help: its text, then its flags.
func Usage(w io.Writer, text string, fs *flag.FlagSet) {
	fmt.Fprint(w, text)
	fs.SetOutput(w)
	fs.PrintDefaults()
}

// Outcome is a finished run as loadgen's measuring commands print it.
type Outcome interface {
	// WriteText writes the report for a person.
	WriteText(w io.Writer)
	// JSON is what --json writes: the report with its verdicts.
	JSON() any
	// Failed reports whether a verdict failed.
	Failed() bool
}

// FlagsExit is the exit code of a command whose flags did not parse: 0
// after the usage for --help, 2 after a one-line complaint on stderr.
func FlagsExit(name string, err error, usage func(io.Writer), stdout, stderr io.Writer) int {
	if errors.Is(err, flag.ErrHelp) {
		usage(stdout)
		return 0
	}
	fmt.Fprintf(stderr, "%s: %v (see %s --help)\n", name, err, name)
	return 2
}

// Conclude prints what a run of command name left and returns its exit
// code. A run that broke off says so (runErr) and exits 1, after the report
// when it still has one to show. Otherwise the report goes to stdout, to
// jsonPath as JSON when set, and --strict (strict) turns a failed verdict,
// one of what ("targets", "checks"), into exit 1.
func Conclude(name string, rep Outcome, runErr error, jsonPath string, strict bool, what string, stdout, stderr io.Writer) int {
	if runErr != nil {
		fmt.Fprintf(stderr, "%s: %v\n", name, runErr)
	}
	if rep == nil {
		return 1
	}
	fmt.Fprintln(stdout)
	rep.WriteText(stdout)
	if jsonPath != "" {
		b, err := json.MarshalIndent(rep.JSON(), "", "  ")
		if err == nil {
			err = os.WriteFile(jsonPath, append(b, '\n'), 0o644)
		}
		if err != nil {
			fmt.Fprintf(stderr, "%s: write the JSON report: %v\n", name, err)
			return 1
		}
	}
	if runErr != nil {
		return 1
	}
	if strict && rep.Failed() {
		fmt.Fprintf(stderr, "%s: %s failed (--strict)\n", name, what)
		return 1
	}
	return 0
}
