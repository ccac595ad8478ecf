package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/notifypush/notify_push/internal/process"
)

// buildTestClient builds the binary, as admins run it.
func buildTestClient(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "test_client")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

// clientRun is one run of the binary with env and args, its output as it
// comes, stopped (SIGINT) when the test ends.
type clientRun struct {
	cmd            *exec.Cmd
	stdout, stderr *process.Buffer
	done           chan error
}

func runClient(t *testing.T, bin string, env []string, args ...string) *clientRun {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	r := &clientRun{stdout: &process.Buffer{}, stderr: &process.Buffer{}, done: make(chan error, 1)}
	r.cmd = exec.CommandContext(ctx, bin, args...)
	r.cmd.Env = append([]string{"PATH=" + os.Getenv("PATH")}, env...)
	r.cmd.Stdout, r.cmd.Stderr = r.stdout, r.stderr
	if err := r.cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	go func() { r.done <- r.cmd.Wait() }()
	t.Cleanup(func() {
		_ = r.cmd.Process.Signal(os.Interrupt)
		select {
		case <-r.done:
		case <-time.After(5 * time.Second):
		}
		cancel()
	})
	return r
}

func (r *clientRun) exitCode(t *testing.T) int {
	t.Helper()
	select {
	case <-r.done:
		return r.cmd.ProcessState.ExitCode()
	case <-time.After(20 * time.Second):
		t.Fatalf("test_client did not exit:\n%s%s", r.stdout.String(), r.stderr.String())
		return -1
	}
}

// TestBinaryTakesAWebSocketURLAndHonoursLOG is issue 18 item 13: upstream's
// test_client takes a ws:// or wss:// URL as its first argument, and LOG
// decides what it prints (test_client=info,warn by default).
func TestBinaryTakesAWebSocketURLAndHonoursLOG(t *testing.T) {
	bin := buildTestClient(t)
	push := pushServer(t)
	ws := "ws://" + push + "/ws"

	// The positional ws:// URL, LOG unset: every message is printed.
	r := runClient(t, bin, nil, ws, "alice", "alice-pw")
	waitFor(t, r.stdout, `(?m)^`+stamp+`authenticated$`)
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(r.stdout.String(), "notify_activity") {
		if time.Now().After(deadline) {
			t.Fatalf("no message printed:\n%s\n%s", r.stdout.String(), r.stderr.String())
		}
		publish(t, push, "notify_activity", `{"user":"alice"}`)
		time.Sleep(50 * time.Millisecond)
	}

	// LOG=warn: the messages (info) are not printed, an error (warn) is.
	quiet := runClient(t, bin, []string{"LOG=warn"}, ws, "alice", "alice-pw")
	for range 10 {
		publish(t, push, "notify_activity", `{"user":"alice"}`)
		time.Sleep(20 * time.Millisecond)
	}
	refused := runClient(t, bin, []string{"LOG=warn"}, ws, "alice", "wrong")
	if code := refused.exitCode(t); code != 1 {
		t.Fatalf("wrong password: exit %d\n%s", code, refused.stderr.String())
	}
	if !strings.Contains(refused.stderr.String(), "Invalid credentials") {
		t.Fatalf("the failure is not printed at LOG=warn:\n%s", refused.stderr.String())
	}
	select {
	case err := <-quiet.done:
		t.Fatalf("test_client at LOG=warn ended (%v):\n%s", err, quiet.stderr.String())
	default: // logged in and listening, silently
	}
	if out := quiet.stdout.String() + quiet.stderr.String(); out != "" {
		t.Fatalf("printed at LOG=warn:\n%s", out)
	}

	// A spec flexi_logger refuses is refused, as upstream exits on it.
	bad := runClient(t, bin, []string{"LOG=test_client=loud"}, ws, "alice", "alice-pw")
	if code := bad.exitCode(t); code != 2 || !strings.Contains(bad.stderr.String(), "LOG") {
		t.Fatalf("LOG=test_client=loud: exit %d\n%s", code, bad.stderr.String())
	}
}
