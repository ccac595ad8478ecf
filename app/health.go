package app

import (
	"context"
	"errors"
	"fmt"

	"github.com/notifypush/notify_push/ports"
)

// HealthCheck is one dependency the server needs, checked on demand.
type HealthCheck struct {
	Name  string
	Check func(ctx context.Context) error
}

// HealthChecks are the checks of one deployment shape.
type HealthChecks []HealthCheck

// Health says whether every dependency is there (GET /health, systemd
// readiness).
type Health struct {
	checks HealthChecks
}

var _ ports.Readiness = (*Health)(nil)

// NewHealth groups checks.
func NewHealth(checks HealthChecks) *Health { return &Health{checks: checks} }

// Ready runs every check and names each that fails.
func (h *Health) Ready(ctx context.Context) error {
	var problems []error
	for _, c := range h.checks {
		if err := c.Check(ctx); err != nil {
			problems = append(problems, fmt.Errorf("%s: %w", c.Name, err))
		}
	}
	return errors.Join(problems...)
}
