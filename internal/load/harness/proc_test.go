package harness

import (
	"os"
	"runtime"
	"testing"
	"time"
)

func TestParseStatus(t *testing.T) {
	m, err := parseStatus("Name:\tnotify_push\nVmPeak:\t  900000 kB\nVmRSS:\t  489876 kB\nRssAnon:\t  480000 kB\n" +
		"RssFile:\t    9876 kB\nThreads:\t12\n")
	if err != nil {
		t.Fatal(err)
	}
	if m.RSS != 489876*1024 || m.RSSAnon != 480000*1024 || m.RSSFile != 9876*1024 || m.Threads != 12 {
		t.Fatalf("%+v", m)
	}
	if _, err := parseStatus("Name:\tkthreadd\nThreads:\t1\n"); err == nil {
		t.Fatal("a status without VmRSS (a kernel thread) parsed")
	}
}

func TestParseStatCountsFromTheLastParenthesis(t *testing.T) {
	// A command name may hold spaces and parentheses.
	line := "4242 (a (weird) name) S 1 4242 4242 0 -1 4194560 1000 0 0 0 731 269 0 0 20 0 12 0 100 1000000 2000 " +
		"18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n"
	ticks, err := parseStat(line)
	if err != nil || ticks != 731+269 {
		t.Fatalf("ticks %d, %v; want 1000", ticks, err)
	}
	for _, bad := range []string{"4242 no name S 1", "4242 (x) S 1 2 3", "4242 (x) S 1 2 3 4 5 6 7 8 9 10 u s"} {
		if _, err := parseStat(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

func TestReadOwnProcess(t *testing.T) {
	m, err := ReadMemory(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if m.RSS < 1<<20 || m.Threads < 1 {
		t.Fatalf("implausible memory of this test: %+v", m)
	}
	before, err := ReadCPUTicks(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	// Busy work must show within seconds, however loaded the machine is.
	deadline := time.Now().Add(5 * time.Second)
	after := before
	for x := 0; after == before && time.Now().Before(deadline); x++ {
		for i := range 1_000_000 {
			x ^= i
		}
		runtime.KeepAlive(x)
		if after, err = ReadCPUTicks(os.Getpid()); err != nil {
			t.Fatal(err)
		}
	}
	if after <= before {
		t.Fatalf("CPU ticks stayed at %d through 5 s of busy work", before)
	}
	if _, err := ReadMemory(1 << 30); err == nil {
		t.Fatal("a process that does not exist has memory")
	}
}
