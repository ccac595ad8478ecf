package systemd

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

type readiness struct{ ok atomic.Bool }

func (r *readiness) Ready(context.Context) error {
	if r.ok.Load() {
		return nil
	}
	return errors.New("redis: not subscribed")
}

// TestNotifySequence stands in for systemd: a datagram socket in
// NOTIFY_SOCKET, and WATCHDOG_USEC asking for keep-alives.
func TestNotifySequence(t *testing.T) {
	dir, err := os.MkdirTemp("", "sdn")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	sock := filepath.Join(dir, "notify")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	t.Setenv("NOTIFY_SOCKET", sock)
	t.Setenv("WATCHDOG_USEC", "200000")
	t.Setenv("WATCHDOG_PID", "")

	r := &readiness{}
	n := NewNotifier(r, slog.New(slog.NewTextHandler(io.Discard, nil)))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- n.Run(ctx) }()

	read := func() string {
		t.Helper()
		buf := make([]byte, 512)
		_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		k, _, err := conn.ReadFromUnix(buf)
		if err != nil {
			t.Fatalf("read notification: %v", err)
		}
		return string(buf[:k])
	}
	if got := read(); !strings.HasPrefix(got, "STATUS=waiting") {
		t.Fatalf("first notification %q", got)
	}
	time.Sleep(300 * time.Millisecond) // not ready yet: nothing more is sent
	r.ok.Store(true)
	if got := read(); !strings.HasPrefix(got, "READY=1") {
		t.Fatalf("got %q, want READY=1", got)
	}
	for range 2 {
		if got := read(); got != "WATCHDOG=1" {
			t.Fatalf("got %q, want WATCHDOG=1", got)
		}
	}
	cancel()
	for {
		if got := read(); got == "STOPPING=1" {
			break
		}
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestOutsideSystemdDoesNothing(t *testing.T) {
	t.Setenv("NOTIFY_SOCKET", "")
	n := NewNotifier(&readiness{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	done := make(chan error, 1)
	go func() { done <- n.Run(context.Background()) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Run waits for readiness outside systemd")
	}
}
