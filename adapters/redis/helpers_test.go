package redis

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/notifypush/notify_push/domain"
)

// logRecorder keeps every record, for tests that check what was logged.
type logRecorder struct {
	mu      sync.Mutex
	records []string // "LEVEL msg key=value ..."
}

func (r *logRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (r *logRecorder) WithAttrs([]slog.Attr) slog.Handler       { return r }
func (r *logRecorder) WithGroup(string) slog.Handler            { return r }

func (r *logRecorder) Handle(_ context.Context, rec slog.Record) error {
	var b strings.Builder
	b.WriteString(rec.Level.String() + " " + rec.Message)
	rec.Attrs(func(a slog.Attr) bool {
		fmt.Fprintf(&b, " %s=%v", a.Key, a.Value)
		return true
	})
	r.mu.Lock()
	r.records = append(r.records, b.String())
	r.mu.Unlock()
	return nil
}

// count is the number of records at level whose text contains sub.
func (r *logRecorder) count(level slog.Level, sub string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, s := range r.records {
		if strings.HasPrefix(s, level.String()+" ") && strings.Contains(s, sub) {
			n++
		}
	}
	return n
}

func (r *logRecorder) all() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.records...)
}

// newClient makes a client of opts that is closed when the test ends.
func newClient(t testing.TB, opts Options) goredis.UniversalClient {
	t.Helper()
	c, cleanup, err := NewClient(opts, nil)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	t.Cleanup(cleanup)
	return c
}

// listener runs an EventSource's Listen for a test.
type listener struct {
	es     *EventSource
	logs   *logRecorder
	events chan domain.Event
	done   chan error
	cancel context.CancelFunc
	// resubscribed counts the domain.Resubscribed events publishUntilReceived
	// skipped.
	resubscribed int
}

// listen starts es (made with a recording logger by newSource) and stops it
// when the test ends.
func listen(t testing.TB, es *EventSource, logs *logRecorder) *listener {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	l := &listener{es: es, logs: logs, events: make(chan domain.Event, 4096), done: make(chan error, 1), cancel: cancel}
	go func() {
		l.done <- es.Listen(ctx, func(_ context.Context, ev domain.Event) { l.events <- ev })
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-l.done:
		case <-time.After(5 * time.Second):
			t.Error("Listen did not return within 5 s of cancel")
		}
	})
	return l
}

// newSource makes an EventSource over client that logs into a recorder.
func newSource(client goredis.UniversalClient) (*EventSource, *logRecorder) {
	logs := &logRecorder{}
	return NewEventSource(client, slog.New(logs)), logs
}

// next waits up to d for the next event.
func (l *listener) next(t testing.TB, d time.Duration) domain.Event {
	t.Helper()
	select {
	case ev := <-l.events:
		return ev
	case err := <-l.done:
		t.Fatalf("Listen returned %v", err)
	case <-time.After(d):
		t.Fatalf("no event within %s; logs:\n%s", d, strings.Join(l.logs.all(), "\n"))
	}
	return nil
}

// running fails the test if Listen has returned.
func (l *listener) running(t testing.TB) {
	t.Helper()
	select {
	case err := <-l.done:
		t.Fatalf("Listen returned %v", err)
	default:
	}
}

// waitSubscribed waits until some client listens on every channel of Redis
// reached by raw (a single node).
func waitSubscribed(t testing.TB, raw *goredis.Client) {
	t.Helper()
	waitFor(t, 5*time.Second, "the subscription", func() bool {
		counts, err := raw.PubSubNumSub(context.Background(), domain.Channels...).Result()
		if err != nil {
			return false
		}
		for _, ch := range domain.Channels {
			if counts[ch] < 1 {
				return false
			}
		}
		return true
	})
}

// rawClient is a plain go-redis client of s, for publishing and checking.
func rawClient(t testing.TB, s *server) *goredis.Client {
	t.Helper()
	opt := &goredis.Options{Network: s.network, Addr: s.addr, TLSConfig: s.tls}
	c := goredis.NewClient(opt)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// publishUntilReceived publishes increasing test cookies on raw every 50 ms
// until l receives one, and returns how long that took; it counts the
// domain.Resubscribed events it meets on the way.
func publishUntilReceived(t testing.TB, raw goredis.UniversalClient, l *listener, d time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for cookie := 1; ; cookie++ {
		_ = raw.Publish(context.Background(), domain.ChannelTestCookie, fmt.Sprint(cookie)).Err()
		select {
		case ev := <-l.events:
			if _, ok := ev.(domain.Resubscribed); ok {
				l.resubscribed++
				continue
			}
			if _, ok := ev.(domain.TestCookie); !ok {
				t.Fatalf("unexpected event %#v", ev)
			}
			return time.Since(start)
		case err := <-l.done:
			t.Fatalf("Listen returned %v", err)
		case <-tick.C:
		}
		if time.Since(start) > d {
			t.Fatalf("no event within %s; logs:\n%s", d, strings.Join(l.logs.all(), "\n"))
		}
	}
}

// drain empties l's queue of probe events.
func (l *listener) drain() {
	for {
		select {
		case <-l.events:
		case <-time.After(100 * time.Millisecond):
			return
		}
	}
}
