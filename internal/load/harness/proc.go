package harness

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"syscall"

	"github.com/notifypush/notify_push/internal/load/report"
)

// ClockTicks is the unit of /proc/<pid>/stat's CPU times: USER_HZ, which
// Linux fixes at 100 for user space whatever the kernel's own tick rate.
const ClockTicks = 100

// Memory is a process's resident memory from /proc/<pid>/status, in bytes.
type Memory struct {
	RSS     uint64 `json:"rss"`
	RSSAnon uint64 `json:"rss_anon"`
	RSSFile uint64 `json:"rss_file"`
	Threads int    `json:"threads"`
}

// Plus sums two processes' memory: several servers as one service.
func (m Memory) Plus(o Memory) Memory {
	return Memory{RSS: m.RSS + o.RSS, RSSAnon: m.RSSAnon + o.RSSAnon, RSSFile: m.RSSFile + o.RSSFile, Threads: m.Threads + o.Threads}
}

// ReadMemory reads the resident memory of pid.
func ReadMemory(pid int) (Memory, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return Memory{}, fmt.Errorf("read memory of process %d: %w", pid, err)
	}
	return parseStatus(string(b))
}

// parseStatus reads VmRSS, RssAnon, RssFile (kB) and Threads.
func parseStatus(text string) (Memory, error) {
	var m Memory
	found := false
	for _, line := range strings.Split(text, "\n") {
		key, value, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		fields := strings.Fields(value)
		if len(fields) == 0 {
			continue
		}
		n, err := strconv.ParseUint(fields[0], 10, 64)
		if err != nil {
			continue
		}
		switch key {
		case "VmRSS":
			m.RSS, found = n*1024, true
		case "RssAnon":
			m.RSSAnon = n * 1024
		case "RssFile":
			m.RSSFile = n * 1024
		case "Threads":
			m.Threads = int(n)
		}
	}
	if !found {
		return Memory{}, fmt.Errorf("/proc status has no VmRSS line")
	}
	return m, nil
}

// ReadCPUTicks is the user plus system CPU time pid has used, in ClockTicks.
func ReadCPUTicks(pid int) (uint64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("read CPU time of process %d: %w", pid, err)
	}
	return parseStat(string(b))
}

// parseStat reads utime and stime, fields 14 and 15 of /proc/<pid>/stat.
func parseStat(text string) (uint64, error) {
	fields, err := statFields(text)
	if err != nil {
		return 0, err
	}
	if len(fields) < 13 {
		return 0, fmt.Errorf("/proc stat has %d fields after the name, want at least 13", len(fields))
	}
	utime, err1 := strconv.ParseUint(fields[11], 10, 64)
	stime, err2 := strconv.ParseUint(fields[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("/proc stat: utime %q, stime %q are not numbers", fields[11], fields[12])
	}
	return utime + stime, nil
}

// statFields are the fields of /proc/<pid>/stat from field 3 (the state)
// on. The command name (field 2) may hold spaces and parentheses, so they
// are counted from its last ')'.
func statFields(text string) ([]string, error) {
	end := strings.LastIndexByte(text, ')')
	if end < 0 {
		return nil, fmt.Errorf("/proc stat %q has no command name", report.Truncate(text, 40))
	}
	return strings.Fields(text[end+1:]), nil
}

// Stopped reports whether every thread of pid is stopped by a signal
// (state T): a SIGSTOP has taken hold once the last of them stops.
func Stopped(pid int) (bool, error) {
	dir := fmt.Sprintf("/proc/%d/task", pid)
	tasks, err := os.ReadDir(dir)
	if err != nil {
		return false, fmt.Errorf("list threads of process %d: %w", pid, err)
	}
	for _, t := range tasks {
		b, err := os.ReadFile(dir + "/" + t.Name() + "/stat")
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) { // the thread has ended
				continue
			}
			return false, fmt.Errorf("read state of thread %s of process %d: %w", t.Name(), pid, err)
		}
		state, err := parseState(string(b))
		if err != nil {
			return false, err
		}
		if state != 'T' {
			return false, nil
		}
	}
	return true, nil
}

// parseState reads the state, field 3 of /proc/<pid>/stat.
func parseState(text string) (byte, error) {
	fields, err := statFields(text)
	if err != nil {
		return 0, err
	}
	if len(fields) == 0 {
		return 0, fmt.Errorf("/proc stat %q has no state", report.Truncate(text, 40))
	}
	return fields[0][0], nil
}

// RaiseFileLimit lifts the soft limit on open files to the hard one: the
// workers and servers hold thousands of sockets each.
func RaiseFileLimit() (syscall.Rlimit, error) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return lim, fmt.Errorf("read the open-file limit: %w", err)
	}
	if lim.Cur < lim.Max {
		lim.Cur = lim.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
			return lim, fmt.Errorf("raise the open-file limit to %d: %w", lim.Max, err)
		}
	}
	return lim, nil
}

// LoadAverage is the first field of /proc/loadavg, or "" when unreadable.
func LoadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}
