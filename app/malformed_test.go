package app

import (
	"errors"
	"testing"

	"github.com/notifypush/notify_push/domain"
)

// TestMalformedEventsCountAsReceived is issue 18 item 12: upstream counts
// every pub/sub message in event_count_total, malformed ones too; nothing
// else happens with them.
func TestMalformedEventsCountAsReceived(t *testing.T) {
	f := newFixture(t, HubOptions{DebounceDisable: true})
	_, r := f.connect(t, "alice")
	f.handle(domain.MalformedEvent{On: domain.ChannelActivity, Err: errors.New("invalid JSON")})
	f.handle(domain.Activity{User: "alice"})
	if n := f.counters.EventsReceived.Load(); n != 2 {
		t.Fatalf("events received = %d, want 2", n)
	}
	if n := f.counters.Snapshot().EventsReceived; n != 2 {
		t.Fatalf("notify_query's events_received = %d, want 2", n)
	}
	if n := f.counters.EventsOn(domain.ChannelActivity); n != 2 {
		t.Fatalf("events on %s = %d, want 2", domain.ChannelActivity, n)
	}
	eq(t, "only the good event is delivered", r.Texts(), []string{"notify_activity"})
}
