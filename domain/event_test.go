package domain

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestDecodeEvent(t *testing.T) {
	tests := []struct {
		channel string
		payload string
		want    Event
	}{
		{ChannelStorageUpdate, `{"storage": 12, "path": "files/a/b.txt", "file_id": 345}`, StorageUpdate{Storage: 12, Path: "files/a/b.txt", FileID: 345}},
		{ChannelStorageUpdate, `{"storage": 4294967295, "path": "", "file_id": 18446744073709551615}`, StorageUpdate{Storage: 4294967295, Path: "", FileID: 18446744073709551615}},
		{ChannelGroupMembershipUpdate, `{"user": "alice", "group": "team"}`, GroupMembershipUpdate{User: "alice", Group: "team"}},
		{ChannelUserShareCreated, `{"user": "bob"}`, UserShareCreated{User: "bob"}},
		{ChannelActivity, `{"user": "alice"}`, Activity{User: "alice"}},
		{ChannelNotification, `{"user": "ünï cödé"}`, Notification{User: "ünï cödé"}},
		{ChannelCustom, `{"user": "alice", "message": "my_type"}`, Custom{User: "alice", Message: "my_type"}},
		{ChannelCustom, `{"user": "alice", "message": "my_type", "body": null}`, Custom{User: "alice", Message: "my_type"}},
		{ChannelCustom, `{"user": "alice", "message": "my_type", "body": { "a" : [1, 2, {"b": "c d"}] }}`, Custom{User: "alice", Message: "my_type", Body: `{"a":[1,2,{"b":"c d"}]}`}},
		{ChannelCustom, `{"user": "alice", "message": "m", "body": "text"}`, Custom{User: "alice", Message: "m", Body: `"text"`}},
		{ChannelPreAuth, `{"user": "alice", "token": "0123456789abcdef0123456789abcdef"}`, PreAuth{User: "alice", Token: "0123456789abcdef0123456789abcdef"}},
		{ChannelTestCookie, `123456`, TestCookie{Cookie: 123456}},
		{ChannelQuery, `"metrics"`, Query{Query: "metrics"}},
		{ChannelSignal, `"reset"`, Signal{Signal: "reset"}},
		{ChannelConfig, `{"log_spec": "notify_push=debug"}`, ConfigChange{LogSpec: "notify_push=debug"}},
		{ChannelConfig, ` "log_restore" `, ConfigChange{Restore: true}},
	}
	for _, tt := range tests {
		t.Run(tt.channel+" "+tt.payload, func(t *testing.T) {
			got, err := DecodeEvent(tt.channel, []byte(tt.payload))
			if err != nil {
				t.Fatalf("DecodeEvent: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %#v, want %#v", got, tt.want)
			}
			if got.Channel() != tt.channel {
				t.Fatalf("Channel() = %q, want %q", got.Channel(), tt.channel)
			}
		})
	}
}

func TestDecodeEventRejectsMalformed(t *testing.T) {
	huge := `"` + strings.Repeat("x", 100_000) + `"`
	tests := []struct {
		channel string
		payload string
		errHas  string
	}{
		{ChannelStorageUpdate, ``, "empty payload"},
		{ChannelStorageUpdate, `not json`, "invalid JSON"},
		{ChannelStorageUpdate, `{"storage": -1, "path": "", "file_id": 1}`, `field "storage"`},
		{ChannelStorageUpdate, `{"storage": 4294967296, "path": "", "file_id": 1}`, `field "storage"`},
		{ChannelStorageUpdate, `{"storage": "12", "path": "", "file_id": 1}`, `field "storage"`},
		{ChannelStorageUpdate, `{"storage": 1.5, "path": "", "file_id": 1}`, `field "storage"`},
		{ChannelStorageUpdate, `{"storage": 1, "file_id": 1}`, "expected"},
		{ChannelStorageUpdate, `{"storage": 1, "path": "", "file_id": 1} trailing`, "invalid JSON"},
		{ChannelStorageUpdate, `[]`, "cannot use JSON array"},
		{ChannelActivity, `{}`, "expected"},
		{ChannelActivity, `{"user": 5}`, `field "user"`},
		{ChannelActivity, `{"user": null}`, "expected"},
		{ChannelNotification, `"alice"`, "cannot use JSON string"},
		{ChannelGroupMembershipUpdate, `{"group": "g"}`, "expected"},
		{ChannelCustom, `{"user": "a"}`, "expected"},
		{ChannelCustom, `{"user": "a", "message": "m", "body": }`, "invalid JSON"},
		{ChannelPreAuth, `{"user": "a", "token": ""}`, "expected"},
		{ChannelTestCookie, `-5`, "cannot use JSON number"},
		{ChannelTestCookie, `"5"`, "cannot use JSON string"},
		{ChannelQuery, `"other"`, "unknown query"},
		{ChannelQuery, huge, "unknown query"},
		{ChannelSignal, `"stop"`, "unknown signal"},
		{ChannelSignal, `{}`, "cannot use JSON object"},
		{ChannelConfig, `"restore"`, "unknown config command"},
		{ChannelConfig, `{"level": "debug"}`, "expected"},
		{ChannelConfig, `42`, "cannot use JSON number"},
	}
	for _, tt := range tests {
		name := tt.payload
		if len(name) > 40 {
			name = name[:40]
		}
		t.Run(tt.channel+" "+name, func(t *testing.T) {
			ev, err := DecodeEvent(tt.channel, []byte(tt.payload))
			if err == nil {
				t.Fatalf("want error, got %#v", ev)
			}
			if !strings.Contains(err.Error(), tt.errHas) {
				t.Fatalf("error %q does not mention %q", err, tt.errHas)
			}
			if len(err.Error()) > 300 {
				t.Fatalf("error is %d bytes long; errors must not echo payloads", len(err.Error()))
			}
		})
	}
}

func TestDecodeEventUnknownChannel(t *testing.T) {
	_, err := DecodeEvent("notify_something_else", []byte(`{}`))
	if !errors.Is(err, ErrUnknownChannel) {
		t.Fatalf("got %v, want ErrUnknownChannel", err)
	}
}

func TestChannelsAreAllDecodable(t *testing.T) {
	if len(Channels) != 11 {
		t.Fatalf("PROTOCOL §2 lists 11 channels, have %d", len(Channels))
	}
	for _, ch := range Channels {
		if _, err := DecodeEvent(ch, []byte(`{}`)); errors.Is(err, ErrUnknownChannel) {
			t.Fatalf("channel %s is listed but not decoded", ch)
		}
	}
}

func FuzzDecodeEvent(f *testing.F) {
	for _, ch := range Channels {
		f.Add(ch, []byte(`{"user":"alice","storage":1,"path":"files/x","file_id":2,"message":"m","body":{"a":1},"token":"t","log_spec":"debug"}`))
	}
	f.Add(ChannelTestCookie, []byte(`42`))
	f.Add(ChannelSignal, []byte(`"reset"`))
	f.Add(ChannelConfig, []byte(`"log_restore"`))
	f.Fuzz(func(t *testing.T, channel string, payload []byte) {
		ev, err := DecodeEvent(channel, payload)
		if err != nil {
			if ev != nil {
				t.Fatalf("error %v with event %#v", err, ev)
			}
			// Errors are logged: a string payload (a token sent on the
			// wrong channel, say) must not show in them.
			var s string
			if json.Unmarshal(payload, &s) == nil && len(s) >= 12 && strings.Contains(err.Error(), s) {
				t.Fatalf("error %q quotes the payload", err)
			}
			return
		}
		if ev.Channel() != channel {
			t.Fatalf("decoded %T for channel %q", ev, channel)
		}
		if c, ok := ev.(Custom); ok {
			text := EncodeCustom(c.Message, c.Body)
			if !strings.HasPrefix(text, c.Message) {
				t.Fatalf("custom text %q lost its message %q", text, c.Message)
			}
		}
	})
}
