package events

import (
	"encoding/json"
	"testing"
)

// The custom payloads are what notify_push's custom channel expects, and
// the bodies read back with the parsers the worker uses.
func TestCustomPayloadsRoundTrip(t *testing.T) {
	var msg struct {
		User    string          `json:"user"`
		Message string          `json:"message"`
		Body    json.RawMessage `json:"body"`
	}
	if err := json.Unmarshal(AppendCustom(nil, 7, CustomMessage, "t", 1_700_000_000_000_000), &msg); err != nil {
		t.Fatal(err)
	}
	if at, err := PublishTime(msg.Body); msg.User != "user7" || msg.Message != CustomMessage || err != nil || at != 1_700_000_000_000_000 {
		t.Fatalf("%+v: publish time %d %v", msg, at, err)
	}
	if err := json.Unmarshal(AppendCustom(nil, 0, SoakMessage, "e", 42), &msg); err != nil {
		t.Fatal(err)
	}
	if id, err := SoakEventID(string(msg.Body)); msg.User != "user0" || msg.Message != SoakMessage || err != nil || id != 42 {
		t.Fatalf("%+v: event id %d %v", msg, id, err)
	}
	if _, err := PublishTime([]byte(`{"e":42}`)); err == nil {
		t.Error("a soak body read as a publish time")
	}
}
