package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/notifypush/notify_push/internal/load/harness"
	"github.com/notifypush/notify_push/internal/load/protocol"
)

// A worker started for a batch run has every thread under SCHED_BATCH, and
// one started otherwise keeps the normal policy.
func TestWorkerSchedulingPolicy(t *testing.T) {
	loadgen, _ := builtTools(t)
	for _, batch := range []bool{true, false} {
		w, err := protocol.StartWorker(loadgen, 0, batch, os.Stderr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(w.Quit) // also when a check below fails
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if _, err := w.Call(ctx, protocol.Command{Op: protocol.OpCount}); err != nil { // the worker is up and serving
			t.Fatal(err)
		}
		cancel()
		pid := w.PID()
		tasks, err := os.ReadDir("/proc/" + strconv.Itoa(pid) + "/task")
		if err != nil {
			t.Fatal(err)
		}
		want := 0 // SCHED_OTHER
		if batch {
			want = harness.SchedBatch
		}
		for _, task := range tasks {
			tid, _ := strconv.Atoi(task.Name())
			if got, err := schedulingPolicy(tid); err != nil || got != want {
				t.Errorf("batch %v: thread %d of the worker has policy %d (%v), want %d", batch, tid, got, err, want)
			}
		}
	}
}

// schedulingPolicy is the policy of thread tid as sched(7) numbers it.
func schedulingPolicy(tid int) (int, error) {
	r, _, e := syscall.RawSyscall(syscall.SYS_SCHED_GETSCHEDULER, uintptr(tid), 0, 0)
	if e != 0 {
		return 0, fmt.Errorf("read the scheduling policy of thread %d: %w", tid, e)
	}
	return int(r), nil
}

// "loadgen attacker --idle" runs every thread under SCHED_IDLE, as if on
// another machine, and on stdin's end stops and prints what it saw.
func TestAttackerRunsUnderSchedIdle(t *testing.T) {
	loadgen, _ := builtTools(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// Nothing listens on port 1: the flood never logs in, and the attacker
	// says it is attacking once it stops waiting for that (5 s).
	cmd := exec.CommandContext(ctx, loadgen, "attacker", "--url", "ws://127.0.0.1:1/ws", "--source", "127.0.0.1",
		"--idle-rate", "5", "--guessers", "1", "--idle")
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(out)
	if !lines.Scan() || lines.Text() != "attacking" {
		t.Fatalf("first line %q, %v", lines.Text(), lines.Err())
	}
	tasks, err := os.ReadDir("/proc/" + strconv.Itoa(cmd.Process.Pid) + "/task")
	if err != nil {
		t.Fatal(err)
	}
	for _, task := range tasks {
		tid, _ := strconv.Atoi(task.Name())
		if got, err := schedulingPolicy(tid); err != nil || got != harness.SchedIdle {
			t.Errorf("thread %d of the attacker has policy %d (%v), want %d", tid, got, err, harness.SchedIdle)
		}
	}
	time.Sleep(time.Second) // a few silent sockets tried and refused
	_ = in.Close()
	if !lines.Scan() {
		t.Fatalf("no figures: %v", lines.Err())
	}
	var f struct {
		FloodLogins *int64 `json:"flood_logins"`
		IdleFailed  int64  `json:"idle_failed"`
	}
	if err := json.Unmarshal(lines.Bytes(), &f); err != nil || f.FloodLogins == nil || *f.FloodLogins != 0 || f.IdleFailed == 0 {
		t.Errorf("figures %s: %v", lines.Bytes(), err)
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("attacker: %v", err)
	}
}
