package contract

import (
	"context"
	"fmt"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/notifypush/notify_push/domain"
	"github.com/notifypush/notify_push/ports"
)

// Events is one ports.EventSource under test, with the means to feed it as
// the Nextcloud app would.
type Events struct {
	Source ports.EventSource
	// Publish sends a raw payload on a channel, the way the app does.
	Publish func(ctx context.Context, channel, payload string) error
	// Ready, when set, waits until what is published from now on reaches a
	// running Listen: Redis drops what is published before its subscription
	// is in place.
	Ready func(t testing.TB)
}

// SampleEvent is a valid payload of one channel and the event it decodes to.
type SampleEvent struct {
	Channel, Payload string
	Want             domain.Event
}

// SampleEvents returns one valid payload per channel of domain.Channels, with
// Unicode, nested JSON and ids beyond 31 bits where the channel carries them.
func SampleEvents() []SampleEvent {
	return []SampleEvent{
		{domain.ChannelStorageUpdate, `{"storage": 4294967295, "path": "files/a/b.txt", "file_id": 1099511627783}`,
			domain.StorageUpdate{Storage: 4294967295, Path: "files/a/b.txt", FileID: 1099511627783}},
		{domain.ChannelGroupMembershipUpdate, `{"user": "alice", "group": "team"}`,
			domain.GroupMembershipUpdate{User: "alice", Group: "team"}},
		{domain.ChannelUserShareCreated, `{"user": "bob"}`, domain.UserShareCreated{User: "bob"}},
		{domain.ChannelActivity, `{"user": "alice"}`, domain.Activity{User: "alice"}},
		{domain.ChannelNotification, `{"user": "ünï cödé"}`, domain.Notification{User: "ünï cödé"}},
		{domain.ChannelCustom, `{"user": "alice", "message": "my_type", "body": {"a": [1, 2]}}`,
			domain.Custom{User: "alice", Message: "my_type", Body: `{"a":[1,2]}`}},
		{domain.ChannelPreAuth, `{"user": "alice", "token": "0123456789abcdef0123456789abcdef"}`,
			domain.PreAuth{User: "alice", Token: "0123456789abcdef0123456789abcdef"}},
		{domain.ChannelTestCookie, `123456`, domain.TestCookie{Cookie: 123456}},
		{domain.ChannelQuery, `"metrics"`, domain.Query{Query: "metrics"}},
		{domain.ChannelSignal, `"reset"`, domain.Signal{Signal: "reset"}},
		{domain.ChannelConfig, `{"log_spec": "notify_push=debug"}`, domain.ConfigChange{LogSpec: "notify_push=debug"}},
	}
}

// EventSource checks a ports.EventSource: what is published on any channel
// arrives decoded and in order, and Listen returns nil once its context
// ends. newEvents is called once per subtest.
//
// What only one implementation can be asked stays in its adapter's tests:
// malformed payloads and unknown channels (the in-process bus decodes on
// Publish and refuses them there, so they never reach Listen), and lost,
// hung or restarted connections (Redis only).
func EventSource(t *testing.T, newEvents func(t *testing.T) Events) {
	t.Run("the samples cover every channel", func(t *testing.T) {
		covered := map[string]bool{}
		for _, s := range SampleEvents() {
			covered[s.Channel] = true
			if s.Want.Channel() != s.Channel {
				t.Errorf("the sample of %s decodes to an event of %s", s.Channel, s.Want.Channel())
			}
		}
		for _, ch := range domain.Channels {
			if !covered[ch] {
				t.Errorf("no sample for %s", ch)
			}
		}
	})

	t.Run("every channel arrives decoded", func(t *testing.T) {
		ev := newEvents(t)
		l := startListening(t, ev)
		for _, s := range SampleEvents() {
			publish(t, ev, s.Channel, s.Payload)
		}
		for _, s := range SampleEvents() {
			if got := l.next(t); !reflect.DeepEqual(got, s.Want) {
				t.Errorf("%s: got %#v, want %#v", s.Channel, got, s.Want)
			}
		}
	})

	t.Run("events keep their order", func(t *testing.T) {
		ev := newEvents(t)
		l := startListening(t, ev)
		const n = 200
		for i := 1; i <= n; i++ {
			publish(t, ev, domain.ChannelTestCookie, strconv.Itoa(i))
			if i%50 == 0 { // across channels too
				publish(t, ev, domain.ChannelActivity, fmt.Sprintf(`{"user":"u%d"}`, i))
			}
		}
		for i := 1; i <= n; i++ {
			if got := l.next(t); got != (domain.TestCookie{Cookie: uint32(i)}) {
				t.Fatalf("event %d: got %#v, want cookie %d", i, got, i)
			}
			if i%50 == 0 {
				if got := l.next(t); got != (domain.Activity{User: domain.UserID(fmt.Sprintf("u%d", i))}) {
					t.Fatalf("after cookie %d: got %#v, want the activity of u%d", i, got, i)
				}
			}
		}
	})

	t.Run("Listen returns nil when its context ends", func(t *testing.T) {
		ev := newEvents(t)
		l := startListening(t, ev)
		publish(t, ev, domain.ChannelActivity, `{"user":"alice"}`)
		l.next(t)
		l.stop(t)
	})

	t.Run("Listen returns nil for a context ended before", func(t *testing.T) {
		ev := newEvents(t)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		done := make(chan error, 1)
		go func() { done <- ev.Source.Listen(ctx, func(context.Context, domain.Event) {}) }()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("Listen = %v, want nil", err)
			}
		case <-time.After(Wait):
			t.Fatalf("Listen still running %s after it was called with an ended context", Wait)
		}
	})
}

// listening is a Listen running for a test.
type listening struct {
	events chan domain.Event
	done   chan error
	cancel context.CancelFunc
}

// startListening runs Listen until the test ends, and waits until it is
// ready for events.
func startListening(t *testing.T, ev Events) *listening {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	l := &listening{events: make(chan domain.Event, 1024), done: make(chan error, 1), cancel: cancel}
	go func() {
		l.done <- ev.Source.Listen(ctx, func(_ context.Context, e domain.Event) { l.events <- e })
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-l.done:
		case <-time.After(Wait):
			t.Errorf("Listen did not return within %s of its context ending", Wait)
		}
	})
	if ev.Ready != nil {
		ev.Ready(t)
	}
	return l
}

func (l *listening) next(t *testing.T) domain.Event {
	t.Helper()
	select {
	case e := <-l.events:
		return e
	case err := <-l.done:
		t.Fatalf("Listen returned %v while its context was alive", err)
	case <-time.After(Wait):
		t.Fatalf("no event within %s", Wait)
	}
	return nil
}

// stop ends Listen's context and checks that it returns nil.
func (l *listening) stop(t *testing.T) {
	t.Helper()
	l.cancel()
	select {
	case err := <-l.done:
		if err != nil {
			t.Fatalf("Listen = %v once its context ended, want nil", err)
		}
		l.done <- nil // for the cleanup's wait
	case <-time.After(Wait):
		t.Fatalf("Listen did not return within %s of its context ending", Wait)
	}
}

func publish(t *testing.T, ev Events, channel, payload string) {
	t.Helper()
	if err := ev.Publish(bounded(t), channel, payload); err != nil {
		t.Fatalf("publish %s on %s: %v", payload, channel, err)
	}
}
