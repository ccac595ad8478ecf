package harness

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"syscall"
	"unsafe"
)

// Scheduling policies of sched(7) for the bench's own processes.
const (
	// SchedBatch is for client workers. They share the machine's cores with
	// the server under test; a normal thread woken by a frame preempts the
	// server in the middle of its fan-out, at every frame. Batch threads
	// keep their fair share of the CPUs but wait for the scheduler's tick
	// instead, closer to clients on other machines, which would not compete
	// at all. Their own wait for a CPU still counts in the latencies they
	// measure.
	SchedBatch = 3
	// SchedIdle is for the hostile run's attacker: it runs only on CPU time
	// nobody else wants, as an attacker on another machine costs this one
	// nothing but what the server spends on its traffic.
	SchedIdle = 5
)

// SetScheduling puts every thread of this process under policy.
func SetScheduling(policy int) error {
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
			var priority int32 // must be 0 for SCHED_BATCH and SCHED_IDLE
			_, _, e := syscall.RawSyscall(syscall.SYS_SCHED_SETSCHEDULER, uintptr(tid), uintptr(policy), uintptr(unsafe.Pointer(&priority)))
			if e != 0 && !errors.Is(e, syscall.ESRCH) { // ESRCH: the thread ended meanwhile
				return fmt.Errorf("set scheduling policy %d on thread %d: %w", policy, tid, e)
			}
		}
	}
	return nil
}
