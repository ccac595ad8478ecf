package domain

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"
)

func TestAuthFailureText(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{ErrInvalidCredentials, "Invalid credentials"},
		{fmt.Errorf("login: %w", ErrInvalidCredentials), "Invalid credentials"},
		{ErrInvalidAuthMessage, "Invalid authentication message"},
		{ErrConnectionLimit, "Connection limit exceeded for user"},
		{fmt.Errorf("authenticate: %w", ErrTooManyLogins), "Too many concurrent logins, try again later"},
		{&NextcloudError{Err: errors.New("Server error: 500 Internal Server Error"), Status: 500}, "Error while sending authentication request to nextcloud: Server error: 500 Internal Server Error"},
		// The address and the system's words stay in the log.
		{&NextcloudError{Err: errors.New("dial tcp 127.0.0.1:18080: connect: connection refused")}, "Error while sending authentication request to nextcloud: Nextcloud could not be reached"},
		{errors.New("secret internals"), "Internal error"},
		{&StartingError{Waiting: []string{"database unreachable", "redis not checked yet"}},
			"Push server is starting: database unreachable, redis not checked yet"},
		{fmt.Errorf("gate: %w", &StartingError{}), "Push server is starting"},
	}
	for _, tt := range tests {
		if got := AuthFailureText(tt.err); got != tt.want {
			t.Errorf("AuthFailureText(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
}

func TestMetricsSnapshotJSON(t *testing.T) {
	c := NewCounters()
	c.ActiveConnections.Add(3)
	c.ActiveUsers.Add(2)
	c.TotalConnections.Add(5)
	c.MappingQueries.Add(1)
	c.EventsReceived.Add(7)
	c.MessageSent(KindFile)
	c.MessageSent(KindFile)
	c.MessageSent(KindActivity)
	c.MessageSent(KindNotification)
	c.MessageSent(KindCustom)
	b, err := json.Marshal(c.Snapshot())
	if err != nil {
		t.Fatal(err)
	}
	want := `{"active_connection_count":3,"active_user_count":2,"total_connection_count":5,"mapping_query_count":1,"events_received":7,"messages_sent":5,"messages_sent_file":2,"messages_sent_activity":1,"messages_sent_notification":1,"messages_sent_custom":1}`
	if string(b) != want {
		t.Fatalf("got  %s\nwant %s", b, want)
	}
}

func TestCounterArraysFitTheirLists(t *testing.T) {
	if len(Channels) != channelCount {
		t.Fatalf("channelCount = %d, but %d channels", channelCount, len(Channels))
	}
	c := NewCounters()
	for i, ch := range Channels {
		for range i + 1 {
			c.EventOn(ch)
		}
	}
	c.EventOn("no_such_channel")
	for i, ch := range Channels {
		if got := c.EventsOn(ch); got != uint64(i+1) {
			t.Errorf("%s: %d events, want %d", ch, got, i+1)
		}
	}
	c.ClientConnected(ClientIOS)
	c.ClientConnected(ClientIOS)
	c.ClientDisconnected(ClientIOS)
	c.ClientMessageWritten(ClientDesktop, 0)
	c.ClientMessageWritten(ClientDesktop, 5)
	c.AuthFailed(AuthFailureOf(ErrInvalidCredentials))
	c.AuthFailed(AuthFailureOf(fmt.Errorf("authenticate: %w", ErrTooManyLogins)))
	if c.AuthFailuresOf(AuthFailureTooManyLogins) != 1 || AuthFailureTooManyLogins.String() != "too_many_logins" {
		t.Fatal("storm refusals are not counted as too_many_logins")
	}
	if c.ClientConnections(ClientIOS) != 1 || c.ClientMessages(ClientDesktop) != 2 ||
		c.AuthFailuresOf(AuthFailureInvalidCredentials) != 1 || c.AuthFailuresOf(AuthFailureOther) != 0 {
		t.Fatal("per-kind counters do not add up")
	}
}
