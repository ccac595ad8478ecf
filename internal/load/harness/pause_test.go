package harness

import (
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// awaitStopped waits (5 s at most) for pid to be stopped or not.
func awaitStopped(t *testing.T, pid int, want bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		got, err := Stopped(pid)
		if err != nil {
			t.Fatal(err)
		}
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("process %d stopped: %v, want %v", pid, got, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestPausedServerResumesAndStopsOnSIGTERM(t *testing.T) {
	s, err := launch("sleeper", exec.Command("sleep", "60"), filepath.Join(t.TempDir(), "sleeper.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = s.cmd.Process.Kill() }()
	if err := s.Pause(); err != nil {
		t.Fatal(err)
	}
	if stopped, err := Stopped(s.PID()); err != nil || !stopped {
		t.Fatalf("after Pause: stopped %v, %v", stopped, err)
	}
	if err := s.Resume(); err != nil {
		t.Fatal(err)
	}
	awaitStopped(t, s.PID(), false)

	// Stopping a paused server ends it by its SIGTERM, not by the kill that
	// follows when SIGTERM goes unheeded.
	if err := s.Pause(); err != nil {
		t.Fatal(err)
	}
	s.Stop()
	ws := s.cmd.ProcessState.Sys().(syscall.WaitStatus)
	if !ws.Signaled() || ws.Signal() != syscall.SIGTERM {
		t.Fatalf("paused server ended with %v, want SIGTERM", s.cmd.ProcessState)
	}
}

func TestParseStateFindsTheFieldAfterTheName(t *testing.T) {
	for _, c := range []struct {
		stat string
		want byte
	}{
		{"42 (notify_push) S 1 42", 'S'},
		{"42 (a) b) T 1 42", 'T'},
		{"42 (x (y)) R 1", 'R'},
	} {
		got, err := parseState(c.stat)
		if err != nil || got != c.want {
			t.Errorf("parseState(%q) = %q, %v; want %q", c.stat, got, err, c.want)
		}
	}
	if _, err := parseState("42 no name"); err == nil {
		t.Error("parseState without a name: no error")
	}
}
