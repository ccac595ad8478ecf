package protocol

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os/exec"
	"sync"
	"syscall"
	"time"

	"github.com/notifypush/notify_push/internal/load/hist"
	"github.com/notifypush/notify_push/internal/load/report"
)

// The orchestrator drives each worker process over its stdin and stdout, one
// JSON object per line: a Command in, exactly one Reply out, in order.

// Worker operations.
const (
	OpConnect = "connect" // open Connect.Count connections; replies when all are up or failed
	OpClose   = "close"   // close every connection of Group; replies when they are gone
	OpReset   = "reset"   // zero the receive counters and latencies
	OpCount   = "count"   // Stats without latencies (cheap, for polling)
	OpStats   = "stats"   // Stats with latencies
	OpQuit    = "quit"    // close everything and exit

	// The soak mode's operations (package worker's soak.go).
	OpSoakStart  = "soak-start"  // start Soak's sessions; replies once each slot's first login is done
	OpSoakStatus = "soak-status" // cheap counts of the running soak
	OpSoakStop   = "soak-stop"   // close every session; replies with the whole session log
)

// Command is one request to a worker.
type Command struct {
	ID      int          `json:"id"`
	Op      string       `json:"op"`
	Group   string       `json:"group,omitempty"`
	Connect *ConnectSpec `json:"connect,omitempty"`
	Soak    *SoakSpec    `json:"soak,omitempty"`
}

// ConnectSpec says which connections to open: Count users from FirstUser,
// Stride apart (0 and 1: consecutive), as group Group.
type ConnectSpec struct {
	Group string `json:"group"`
	// URL is the server's WebSocket endpoint.
	URL string `json:"url"`
	// Sources are the local addresses to dial from, in turn.
	Sources   []string `json:"sources"`
	FirstUser int      `json:"first_user"`
	Count     int      `json:"count"`
	// Stride spaces the users out: with several servers, user u is served
	// by server u mod Stride.
	Stride int `json:"stride,omitempty"`
	// PreAuthPrefix, when set, logs in with an empty login and the pre-auth
	// token preAuthToken(PreAuthPrefix, user); else with userN / passN.
	PreAuthPrefix string `json:"pre_auth_prefix,omitempty"`
	// Listen sends "listen notify_file_id" after login.
	Listen bool `json:"listen"`
	// Concurrency is how many logins are in flight at once.
	Concurrency int `json:"concurrency"`
	// TimeoutMS bounds one connection's dial and login.
	TimeoutMS int `json:"timeout_ms"`
}

// User is the i-th user of the spec.
func (s ConnectSpec) User(i int) int {
	return s.FirstUser + i*max(s.Stride, 1)
}

// Reply answers one Command.
type Reply struct {
	ID      int            `json:"id"`
	Error   string         `json:"error,omitempty"`
	Connect *ConnectResult `json:"connect,omitempty"`
	Stats   *Stats         `json:"stats,omitempty"`
	Soak    *SoakStatus    `json:"soak,omitempty"`
	SoakLog *SoakLog       `json:"soak_log,omitempty"`
}

// ConnectResult is how a batch of logins went.
type ConnectResult struct {
	OK     int `json:"ok"`
	Failed int `json:"failed"`
	// FailedUsers are the users whose connection did not come up.
	FailedUsers []int `json:"failed_users,omitempty"`
	// Errors counts failures by reason, addresses and ports masked.
	Errors map[string]int `json:"errors,omitempty"`
	// Start is when the first dial began, End when the last login ended
	// (Unix nanoseconds).
	Start int64 `json:"start"`
	End   int64 `json:"end"`
	// Latency is each successful login's time from dial to "authenticated".
	Latency hist.Latencies `json:"latency"`
}

// Received counts the frames clients received, by kind.
type Received struct {
	// File counts notify_file and notify_file_id messages, FileIDs the ids
	// those carried.
	File         uint64 `json:"file"`
	FileIDs      uint64 `json:"file_ids"`
	Activity     uint64 `json:"activity"`
	Notification uint64 `json:"notification"`
	Custom       uint64 `json:"custom"`
	Other        uint64 `json:"other"`
}

// Add sums o into r.
func (r *Received) Add(o Received) {
	r.File += o.File
	r.FileIDs += o.FileIDs
	r.Activity += o.Activity
	r.Notification += o.Notification
	r.Custom += o.Custom
	r.Other += o.Other
}

// Deliveries is every message a client was asked to count: file ids (one per
// event), activities, notifications and custom messages.
func (r Received) Deliveries() uint64 {
	return r.FileIDs + r.Activity + r.Notification + r.Custom
}

// Stats is a worker's view since the last reset.
type Stats struct {
	// Open is the number of connections up now.
	Open int `json:"open"`
	// Dropped counts connections the server (or the network) ended, by reason.
	Dropped     int            `json:"dropped"`
	DropReasons map[string]int `json:"drop_reasons,omitempty"`
	Received    Received       `json:"received"`
	// Pings counts pings received from the server.
	Pings uint64 `json:"pings"`
	// Unmatched counts timed messages whose time could not be read.
	Unmatched uint64 `json:"unmatched"`
	// LastReceive is when the last counted frame arrived (Unix nanoseconds).
	LastReceive int64 `json:"last_receive"`
	// Latency is publish-to-receipt of timed messages (custom and file
	// ids); only OpStats fills it.
	Latency *hist.Latencies `json:"latency,omitempty"`
}

// Merge sums o into s.
func (s *Stats) Merge(o Stats) {
	s.Open += o.Open
	s.Dropped += o.Dropped
	s.DropReasons = MergeCounts(s.DropReasons, o.DropReasons)
	s.Received.Add(o.Received)
	s.Pings += o.Pings
	s.Unmatched += o.Unmatched
	s.LastReceive = max(s.LastReceive, o.LastReceive)
	if o.Latency != nil {
		if s.Latency == nil {
			s.Latency = &hist.Latencies{}
		}
		s.Latency.Merge(*o.Latency)
	}
}

// maxLine bounds one protocol line (a reply listing failed users can be long).
const maxLine = 64 << 20

// Worker is the orchestrator's handle on one worker process.
type Worker struct {
	index int
	cmd   *exec.Cmd
	in    io.WriteCloser
	out   *bufio.Scanner

	mu     sync.Mutex
	nextID int
	open   int // connections it holds, as far as the orchestrator knows
	exited chan struct{}
}

// BatchFlag asks a worker to run its threads under SCHED_BATCH.
const BatchFlag = "--batch"

// StartChild runs this executable (self) with args as a child that dies
// with its parent, talking over its stdin and stdout; its stderr goes to
// stderr.
func StartChild(self string, args []string, stderr io.Writer) (*exec.Cmd, io.WriteCloser, io.Reader, error) {
	cmd := exec.Command(self, args...)
	cmd.Stderr = stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, nil, nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, nil, nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, nil, nil, err
	}
	return cmd, in, out, nil
}

// StartWorker runs this executable as "loadgen worker", under SCHED_BATCH
// when batch is set.
func StartWorker(self string, index int, batch bool, stderr io.Writer) (*Worker, error) {
	args := []string{"worker"}
	if batch {
		args = append(args, BatchFlag)
	}
	cmd, in, out, err := StartChild(self, args, stderr)
	if err != nil {
		return nil, fmt.Errorf("start worker %d: %w", index, err)
	}
	w := &Worker{index: index, cmd: cmd, in: in, out: bufio.NewScanner(out), exited: make(chan struct{})}
	w.out.Buffer(make([]byte, 64<<10), maxLine)
	go func() { _ = cmd.Wait(); close(w.exited) }()
	return w, nil
}

// NewWorker speaks the protocol over in and out; for tests, which run
// the worker in-process.
func NewWorker(in io.WriteCloser, out io.Reader) *Worker {
	w := &Worker{in: in, out: bufio.NewScanner(out), exited: make(chan struct{})}
	w.out.Buffer(make([]byte, 64<<10), maxLine)
	return w
}

// PID is the worker process's id.
func (w *Worker) PID() int { return w.cmd.Process.Pid }

// Call sends c and waits for its reply; a worker error comes back as error.
func (w *Worker) Call(ctx context.Context, c Command) (Reply, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.nextID++
	c.ID = w.nextID
	line, err := json.Marshal(c)
	if err != nil {
		return Reply{}, err
	}
	type result struct {
		r   Reply
		err error
	}
	done := make(chan result, 1)
	go func() {
		if _, err := w.in.Write(append(line, '\n')); err != nil {
			done <- result{err: fmt.Errorf("send %s: %w", c.Op, err)}
			return
		}
		if !w.out.Scan() {
			err := w.out.Err()
			if err == nil {
				err = io.ErrUnexpectedEOF
			}
			done <- result{err: fmt.Errorf("read reply to %s: %w", c.Op, err)}
			return
		}
		var r Reply
		if err := json.Unmarshal(w.out.Bytes(), &r); err != nil {
			done <- result{err: fmt.Errorf("reply to %s: %w", c.Op, err)}
			return
		}
		done <- result{r: r}
	}()
	select {
	case res := <-done:
		switch {
		case res.err != nil:
			return Reply{}, fmt.Errorf("worker %d: %w", w.index, res.err)
		case res.r.ID != c.ID:
			return Reply{}, fmt.Errorf("worker %d: reply %d to command %d", w.index, res.r.ID, c.ID)
		case res.r.Error != "":
			return res.r, fmt.Errorf("worker %d: %s: %s", w.index, c.Op, res.r.Error)
		}
		return res.r, nil
	case <-ctx.Done():
		// The protocol is out of step now; the worker is of no further use.
		w.kill()
		return Reply{}, fmt.Errorf("worker %d: %s: %w", w.index, c.Op, ctx.Err())
	}
}

// Quit asks the worker to exit, and kills it if it has not within 10 s.
func (w *Worker) Quit() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, _ = w.Call(ctx, Command{Op: OpQuit})
	_ = w.in.Close()
	if w.cmd == nil {
		return
	}
	select {
	case <-w.exited:
	case <-ctx.Done():
		w.kill()
	}
}

func (w *Worker) kill() {
	if w.cmd != nil && w.cmd.Process != nil {
		_ = w.cmd.Process.Kill()
		<-w.exited
	}
}

// Serve feeds each line of in to handle, writing its reply to out,
// until in ends or handle says to stop. It is the worker's side.
func Serve(in io.Reader, out io.Writer, handle func(Command) (Reply, bool)) error {
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64<<10), maxLine)
	enc := json.NewEncoder(out)
	for sc.Scan() {
		var c Command
		var r Reply
		stop := false
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			r = Reply{Error: fmt.Sprintf("command %q does not decode: %v", report.Truncate(sc.Text(), 80), err)}
		} else {
			r, stop = handle(c)
			r.ID = c.ID
		}
		if err := enc.Encode(r); err != nil {
			return fmt.Errorf("write reply: %w", err)
		}
		if stop {
			return nil
		}
	}
	return sc.Err()
}
