package domain

import (
	"testing"
	"time"
)

func TestLogLimiterOneLinePerKeyPerWindow(t *testing.T) {
	l := NewLogLimiter(time.Minute, 0)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if ok, held := l.Allow("a", t0); !ok || held != 0 {
		t.Fatalf("first line: %v %d", ok, held)
	}
	for i := range 3 {
		if ok, _ := l.Allow("a", t0.Add(time.Duration(i+1)*time.Second)); ok {
			t.Fatal("a repeat within the window passed")
		}
	}
	if ok, _ := l.Allow("b", t0.Add(time.Second)); !ok {
		t.Fatal("another key was held back")
	}
	if ok, held := l.Allow("a", t0.Add(time.Minute)); !ok || held != 3 {
		t.Fatalf("after the window: %v, %d held; want true, 3", ok, held)
	}
}

func TestLogLimiterCapsLinesPerSecondOverAllKeys(t *testing.T) {
	l := NewLogLimiter(time.Minute, 2)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	passed := 0
	for i := range 10 {
		if ok, _ := l.Allow(i, t0); ok {
			passed++
		}
	}
	if passed != 2 {
		t.Fatalf("%d lines passed in one second, want 2", passed)
	}
	if ok, _ := l.Allow(99, t0.Add(time.Second)); !ok {
		t.Fatal("the next second's first line was held back")
	}
}

func TestLogLimiterStaysBounded(t *testing.T) {
	l := NewLogLimiter(time.Minute, 0)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 3 * maxLimiterKeys {
		l.Allow(i, t0)
	}
	if len(l.last) > maxLimiterKeys || len(l.suppressed) > maxLimiterKeys {
		t.Fatalf("limiter holds %d keys and %d counts, bound %d", len(l.last), len(l.suppressed), maxLimiterKeys)
	}
}
