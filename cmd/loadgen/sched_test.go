package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/notifypush/notify_push/internal/load/protocol"
	"github.com/notifypush/notify_push/internal/load/worker"
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
			want = worker.SchedBatch
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
