package soak

import (
	"testing"
)

func TestParseServerLog(t *testing.T) {
	l := parseServerLog(`time=2026-01-01T00:00:00Z level=INFO msg="subscribed to Redis" channels=11
time=2026-01-01T00:00:01Z level=WARN msg="Redis subscription lost; retrying every second" err=EOF
time=2026-01-01T00:00:05Z level=WARN msg="Redis subscription lost; retrying every second" err=EOF
time=2026-01-01T00:00:06Z level=ERROR msg=boom
panic: runtime error: index out of range
`)
	if l.Warnings != 2 || l.Errors != 1 || l.Panics != 1 || l.Messages["Redis subscription lost; retrying every second"] != 2 ||
		l.Messages["boom"] != 1 {
		t.Fatalf("%+v", l)
	}
	if top := l.topMessages(1); len(top) != 1 || top[0] != "2× Redis subscription lost; retrying every second" {
		t.Fatalf("top %q", top)
	}
}
