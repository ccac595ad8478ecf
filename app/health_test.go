package app

import (
	"context"
	"errors"
	"testing"
)

func TestHealthNamesEveryFailingCheck(t *testing.T) {
	ok := func(context.Context) error { return nil }
	h := NewHealth(HealthChecks{{"listener", ok}, {"redis", func(context.Context) error { return errors.New("not subscribed") }},
		{"database", func(context.Context) error { return errors.New("connection refused") }}})
	err := h.Ready(context.Background())
	if err == nil || err.Error() != "redis: not subscribed\ndatabase: connection refused" {
		t.Fatalf("Ready = %v", err)
	}
	if err := NewHealth(HealthChecks{{"listener", ok}}).Ready(context.Background()); err != nil {
		t.Fatalf("healthy: %v", err)
	}
}
