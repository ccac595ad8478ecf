package worker

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"syscall"
	"unsafe"
)

// SchedBatch is SCHED_BATCH of sched(7).
const SchedBatch = 3

// batchScheduling puts every thread of this process under SCHED_BATCH. The
// client workers share the machine's cores with the server under test; a
// normal thread woken by a frame preempts the server in the middle of its
// fan-out, at every frame. Batch threads keep their fair share of the CPUs
// but wait for the scheduler's tick instead, closer to clients on other
// machines, which would not compete at all. Their own wait for a CPU still
// counts in the latencies they measure.
func batchScheduling() error {
	// Threads started while a pass runs inherit the policy from the thread
	// that starts them, which the second pass catches if the first did not.
	for range 2 {
		tasks, err := os.ReadDir("/proc/self/task")
		if err != nil {
			return fmt.Errorf("list this process's threads: %w", err)
		}
		for _, t := range tasks {
			tid, err := strconv.Atoi(t.Name())
			if err != nil {
				continue
			}
			var priority int32 // must be 0 for SCHED_BATCH
			_, _, e := syscall.RawSyscall(syscall.SYS_SCHED_SETSCHEDULER, uintptr(tid), SchedBatch, uintptr(unsafe.Pointer(&priority)))
			if e != 0 && !errors.Is(e, syscall.ESRCH) { // ESRCH: the thread ended meanwhile
				return fmt.Errorf("set SCHED_BATCH on thread %d: %w", tid, e)
			}
		}
	}
	return nil
}
