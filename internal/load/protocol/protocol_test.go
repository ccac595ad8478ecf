package protocol

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"
)

func TestServeAnswersUndecodableLines(t *testing.T) {
	var out strings.Builder
	err := Serve(strings.NewReader("{not json\n{\"id\":7,\"op\":\"x\"}\n"), &out, func(c Command) (Reply, bool) {
		return Reply{Error: "seen " + c.Op}, false
	})
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], "does not decode") || !strings.Contains(lines[1], `"id":7`) ||
		!strings.Contains(lines[1], "seen x") {
		t.Fatalf("replies:\n%s", out.String())
	}
}

// The orchestrator's side pairs each call with its reply, turns a worker's
// error into an error, and stops serving at quit.
func TestWorkerCallsAndQuits(t *testing.T) {
	cmdR, cmdW := io.Pipe()
	repR, repW := io.Pipe()
	served := make(chan error, 1)
	go func() {
		served <- Serve(cmdR, repW, func(c Command) (Reply, bool) {
			switch c.Op {
			case OpCount:
				return Reply{Stats: &Stats{Open: 3}}, false
			case OpQuit:
				return Reply{}, true
			}
			return Reply{Error: "unknown operation"}, false
		})
		repW.Close()
	}()
	w := NewWorker(cmdW, repR)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for range 2 {
		r, err := w.Call(ctx, Command{Op: OpCount})
		if err != nil || r.Stats == nil || r.Stats.Open != 3 {
			t.Fatalf("count: %+v %v", r, err)
		}
	}
	if _, err := w.Call(ctx, Command{Op: "bogus"}); err == nil || !strings.Contains(err.Error(), "unknown operation") {
		t.Fatalf("a worker's error came back as %v", err)
	}
	w.Quit()
	select {
	case err := <-served:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the worker side still serves after quit")
	}
}
